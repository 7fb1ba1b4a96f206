/**
 * Whether a stopped run left maintenance mode on, read from what the store recorded (the steps:
 * `maintenance_on` began and no `maintenance_off` succeeded), so that it survives a crash; and the
 * way to turn it off afterwards (the environment's `maintenance.off` command, recorded as the run's
 * maintenance_off step).
 */
import { DrawbridgeError, describeError, refusal, type Refusal } from '../../base/errors.js';
import type { EnvironmentConfig } from '../../config/file-schema.js';
import { RunStore } from '../../store/run-store.js';
import type { RunRecord, StepRecord } from '../../store/run-types.js';
import { runChecked, tail } from '../backup/run-checked.js';
import type { CoreDeps } from '../deps.js';
import { resolveTarget, type ResolvedEnvironment } from '../environment-target.js';
import type { PipelineObserver } from './types.js';

/** How long the maintenance-off command may take. */
const COMMAND_TIMEOUT_MS = 120_000;

/**
 * Runs the environment's `maintenance.off` command on its executor (in `prisma.cwd`, like the
 * pipeline's maintenance steps) and returns the tail of its output. Throws when it fails.
 */
export async function runMaintenanceOffCommand(env: ResolvedEnvironment): Promise<string> {
  const [command, ...args] = env.config.maintenance?.off ?? [];
  if (!command) throw new DrawbridgeError('COMMAND_EMPTY', 'maintenance.off is empty.');
  const lines: string[] = [];
  await runChecked(
    env.executor,
    { command, args, cwd: env.config.prisma.cwd, timeoutMs: COMMAND_TIMEOUT_MS },
    'Maintenance off',
    { failed: 'COMMAND_FAILED', cancelled: 'COMMAND_CANCELLED' },
    (l) => lines.push(l.line),
  );
  return tail(lines.join('\n'), 40);
}

/**
 * True when maintenance mode may still be on: the environment has a maintenance command, the
 * maintenance_on step began (a half-done command counts), and no maintenance_off step succeeded. Pure.
 */
export function maintenanceMayBeOn(
  env: Pick<EnvironmentConfig, 'maintenance'> | undefined,
  steps: readonly StepRecord[],
): boolean {
  if (!env?.maintenance) return false;
  const on = steps.some(
    (s) => s.name === 'maintenance_on' && ['succeeded', 'failed', 'running'].includes(s.state),
  );
  const off = steps.some((s) => s.name === 'maintenance_off' && s.state === 'succeeded');
  return on && !off;
}

/** What `turnMaintenanceOff` did. */
export interface MaintenanceTurnedOff {
  readonly kind: 'maintenance_off';
  readonly run: RunRecord;
}

/**
 * Runs the environment's `maintenance.off` command for a stopped run that left maintenance mode on
 * and records it as the run's maintenance_off step. Refused when the run does not show it on.
 */
export async function turnMaintenanceOff(
  deps: CoreDeps,
  runId: string,
  actor: string,
  emit: PipelineObserver,
): Promise<MaintenanceTurnedOff | Refusal> {
  const runs = new RunStore(deps.store, deps.clock);
  const run = runs.getRun(runId);
  if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
  if (run.state === 'running')
    return refusal('RUN_RUNNING', `Run ${run.id} is running: it turns maintenance mode off itself.`);
  const resolved = resolveTarget(deps, run.environment);
  if ('kind' in resolved) return resolved;
  if (!maintenanceMayBeOn(resolved.config, runs.listSteps(run.id)) || !resolved.config.maintenance)
    return refusal('MAINTENANCE_NOT_ON', `Run ${run.id} did not leave maintenance mode on.`);
  const seq = runs.startStep(run.id, 'maintenance_off');
  let output: string;
  try {
    output = await runMaintenanceOffCommand(resolved);
  } catch (err) {
    runs.finishStep(run.id, seq, { state: 'failed', error: describeError(err) });
    emit({ kind: 'detail', runId, detail: { title: 'Maintenance off failed', text: describeError(err) } });
    emit({ kind: 'run:changed', runId });
    return refusal('MAINTENANCE_OFF_FAILED', `Turning maintenance mode off failed: ${describeError(err)}`);
  }
  runs.finishStep(run.id, seq, {
    state: 'succeeded',
    detail: { summary: `turned off by ${actor}`, data: { output } },
  });
  emit({
    kind: 'detail',
    runId,
    detail: {
      title: 'Maintenance mode off',
      text: `@${actor} turned maintenance mode off (${resolved.config.maintenance.off.join(' ')}).`,
      mentions: true,
    },
  });
  emit({ kind: 'run:changed', runId });
  return { kind: 'maintenance_off', run: runs.getRun(run.id) ?? run };
}
