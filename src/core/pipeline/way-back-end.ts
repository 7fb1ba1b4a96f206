/**
 * How every way back ends, once it succeeded (the run is `rolled_back` or `restored`): maintenance
 * mode is turned off when the run left it on and `maintenance.offOnFailure` says to turn it off, or
 * stays on with Turn maintenance off offered (authorize.ts, `maintenance_off`) when the config says
 * to leave it on; and the status-page maintenance is completed (the `run:returned` event, heard by
 * the integration subscribers). The way back has already succeeded: nothing here throws over it.
 */
import { describeError } from '../../base/errors.js';
import { RunStore } from '../../store/run-store.js';
import type { CoreDeps } from '../deps.js';
import { maintenanceMayBeOn, turnMaintenanceOff } from './maintenance-state.js';
import type { PipelineObserver } from './types.js';

/** How maintenance mode stands after a way back. */
export type MaintenanceAfterWayBack = 'not_on' | 'turned_off' | 'still_on' | 'off_failed';

/**
 * Ends the way back `how` of run `runId` taken by `actor`: maintenance mode, then the status page.
 * Returns how maintenance mode stands.
 */
export async function endWayBack(
  deps: CoreDeps,
  runId: string,
  actor: string,
  emit: PipelineObserver,
  how: 'rolled_back' | 'restored',
): Promise<MaintenanceAfterWayBack> {
  const runs = new RunStore(deps.store, deps.clock);
  const run = runs.getRun(runId);
  if (!run) return 'not_on';
  let after: MaintenanceAfterWayBack = 'not_on';
  try {
    after = await maintenanceAfter(deps, runs, runId, actor, emit);
  } catch (err) {
    after = 'off_failed';
    deps.logger.error({ runId, err: describeError(err) }, 'turning maintenance off after a way back failed');
  }
  emit({ kind: 'run:returned', runId, environment: run.environment, how, actor });
  return after;
}

async function maintenanceAfter(
  deps: CoreDeps,
  runs: RunStore,
  runId: string,
  actor: string,
  emit: PipelineObserver,
): Promise<MaintenanceAfterWayBack> {
  const run = runs.getRun(runId);
  const env = run ? deps.config.environment(run.environment) : undefined;
  if (!run || !env?.maintenance || !maintenanceMayBeOn(env, runs.listSteps(runId))) return 'not_on';
  if (!env.maintenance.offOnFailure) {
    emit({
      kind: 'detail',
      runId,
      detail: {
        title: 'Maintenance mode still on',
        text: `Maintenance mode is still on (maintenance.offOnFailure is false). Turn it off with Turn maintenance off on the run message, or /migrate maintenance off ${run.environment}, once the application is ready.`,
      },
    });
    emit({ kind: 'run:changed', runId });
    return 'still_on';
  }
  const off = await turnMaintenanceOff(deps, runId, actor, emit);
  return off.kind === 'maintenance_off' ? 'turned_off' : 'off_failed';
}
