/**
 * `/migrate maintenance off <env>`: runs the environment's `maintenance.off` command outside any
 * run, for whatever a run did not turn off (a way back whose config leaves it on, an off command
 * that failed, a page left on by hand). Audited; every stopped run of the environment whose steps
 * show maintenance still on records the step as done, so their messages stop offering the button.
 * Who may is decided in authorize.ts (`authorizeEnvironmentMaintenanceOff`).
 */
import { describeError, refusal, type Refusal } from '../../base/errors.js';
import { RunStore } from '../../store/run-store.js';
import type { CoreDeps } from '../deps.js';
import { resolveTarget } from '../environment-target.js';
import { authorizeEnvironmentMaintenanceOff, MAINTENANCE_OFF_STATES } from '../runs/authorize.js';
import { maintenanceMayBeOn, runMaintenanceOffCommand } from './maintenance-state.js';
import type { PipelineObserver } from './types.js';

/** How many recent runs of the environment are looked at for maintenance left on. */
const RECENT_RUNS = 50;

/** What `turnEnvironmentMaintenanceOff` did. */
export interface EnvironmentMaintenanceOff {
  readonly kind: 'maintenance_off';
  readonly environment: string;
  /** The command that ran. */
  readonly command: readonly string[];
  /** Its last output lines. */
  readonly output: string;
  /** Runs whose messages showed maintenance on and now record it off. */
  readonly runs: readonly string[];
}

/**
 * Runs `maintenance.off` of `environment` for `actor` (a member of `actorGroups`). Refused for an
 * unknown environment, one without maintenance commands, a person who may not, or while a run or
 * a restore holds the environment (it turns maintenance off itself).
 */
export async function turnEnvironmentMaintenanceOff(
  deps: CoreDeps,
  environment: string,
  actor: string,
  actorGroups: readonly string[],
  emit: PipelineObserver,
): Promise<EnvironmentMaintenanceOff | Refusal> {
  const resolved = resolveTarget(deps, environment);
  if ('kind' in resolved) return resolved;
  const maintenance = resolved.config.maintenance;
  if (!maintenance)
    return refusal(
      'MAINTENANCE_NOT_CONFIGURED',
      `${environment} has no maintenance commands (environments.${environment}.maintenance).`,
    );
  const who = authorizeEnvironmentMaintenanceOff({
    environment,
    approvers: resolved.config.approvals.approvers,
    actor,
    actorGroups,
  });
  if (who) return who;
  const runs = new RunStore(deps.store, deps.clock);
  const lock = runs.getEnvironmentLock(environment);
  if (lock)
    return refusal(
      'ENVIRONMENT_BUSY',
      `Run ${lock.runId} is working on ${environment}; it turns maintenance mode off itself.`,
      'Wait for it to end, then try again if maintenance mode is still on.',
    );
  let output: string;
  try {
    output = await runMaintenanceOffCommand(resolved);
  } catch (err) {
    deps.store.audit({
      actor,
      action: 'maintenance_off',
      environment,
      detail: { command: maintenance.off, ok: false, error: describeError(err) },
    });
    return refusal('MAINTENANCE_OFF_FAILED', `Turning maintenance mode off failed: ${describeError(err)}`);
  }
  const recorded = recordOff(deps, runs, environment, actor, output, emit);
  deps.store.audit({
    actor,
    action: 'maintenance_off',
    environment,
    detail: { command: maintenance.off, ok: true, runs: recorded },
  });
  return { kind: 'maintenance_off', environment, command: maintenance.off, output, runs: recorded };
}

/** Records the maintenance_off step on each stopped run that showed maintenance still on. */
function recordOff(
  deps: CoreDeps,
  runs: RunStore,
  environment: string,
  actor: string,
  output: string,
  emit: PipelineObserver,
): string[] {
  const env = deps.config.environment(environment);
  const recorded: string[] = [];
  for (const run of runs.listRecentRuns(environment, RECENT_RUNS)) {
    if (!MAINTENANCE_OFF_STATES.includes(run.state) || !maintenanceMayBeOn(env, runs.listSteps(run.id)))
      continue;
    const seq = runs.startStep(run.id, 'maintenance_off');
    runs.finishStep(run.id, seq, {
      state: 'succeeded',
      detail: { summary: `turned off by ${actor} (/migrate maintenance off)`, data: { output } },
    });
    emit({
      kind: 'detail',
      runId: run.id,
      detail: {
        title: 'Maintenance mode off',
        text: `@${actor} turned maintenance mode off with /migrate maintenance off ${environment}.`,
        mentions: true,
      },
    });
    emit({ kind: 'run:changed', runId: run.id });
    recorded.push(run.id);
  }
  return recorded;
}
