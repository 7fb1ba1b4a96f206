/**
 * The end of a run that stopped: record the remaining steps as not run, turn maintenance mode off
 * when the config says so (and say so either way), update the status page, send the webhook, tell
 * the team, and move the run to `failed` or `cancelled` with a one-line outcome.
 */
import { describeError } from '../../base/errors.js';
import type { MaintenanceAfterStop } from '../events/team-notice.js';
import type { EnvironmentConfig } from '../../config/file-schema.js';
import type { RunStore } from '../../store/run-store.js';
import type { RunRecord } from '../../store/run-types.js';
import { applyRunEvent } from '../runs/apply-run-event.js';
import { RunCancelled, RunStopped, StepStopped, type RunScratch, type StepContext } from './run-context.js';
import { PIPELINE_STEPS, STEP_TITLES, type PipelineObserver, type PipelineStep } from './types.js';

export interface FailedRunInput {
  readonly runs: RunStore;
  readonly run: RunRecord;
  readonly env: Readonly<EnvironmentConfig>;
  readonly scratch: RunScratch;
  readonly err: unknown;
  /** The step that stopped. */
  readonly step: PipelineStep;
  readonly opts: { readonly emit: PipelineObserver; readonly signal: AbortSignal };
  /** Absent when the target could not even be opened. */
  readonly ctx: StepContext | undefined;
  /** Runs and records the maintenance_off step. */
  readonly runMaintenanceOff: () => Promise<void>;
}

export async function finishFailedRun(input: FailedRunInput): Promise<RunRecord> {
  const { runs, run, scratch, err, step, opts } = input;
  const stopped = err instanceof RunStopped;
  const cancelled = !stopped && (err instanceof RunCancelled || opts.signal.aborted);
  const reason = describeError(err);
  const maintenance = await maintenanceAfterFailure(input);
  runs.markStepsNotRun(run.id, PIPELINE_STEPS);
  // The status page and the webhooks hear it from the run:finished event, through the outbox.
  opts.emit({
    kind: 'notice',
    runId: run.id,
    notice: {
      kind: 'run_stopped',
      environment: run.environment,
      runId: run.id,
      how: stopped ? 'interrupted' : cancelled ? 'cancelled' : 'failed',
      step: STEP_TITLES[step].toLowerCase(),
      reason,
      maintenance: maintenance.after,
    },
  });
  const hint = err instanceof StepStopped && err.hint ? ` ${err.hint}` : '';
  const outcome = `${stopped ? 'interrupted' : cancelled ? 'cancelled' : 'failed'} at ${step}: ${reason}${hint}`;
  const moved = applyRunEvent(runs, run.id, stopped ? 'interrupt' : cancelled ? 'cancel' : 'fail', {
    actor: 'system',
    outcome,
    detail: { step, maintenanceOn: scratch.maintenanceOn, failedMigration: scratch.failedMigration ?? null },
  });
  const after = moved.kind === 'transitioned' ? moved.run : (runs.getRun(run.id) ?? run);
  opts.emit({
    kind: 'run:finished',
    runId: run.id,
    environment: run.environment,
    state: after.state,
    outcome: after.outcome ?? outcome,
    started: true,
  });
  return after;
}

async function maintenanceAfterFailure(
  input: FailedRunInput,
): Promise<{ off: boolean; after: MaintenanceAfterStop }> {
  const { env, scratch } = input;
  // A failure after the maintenance_off step (post-deploy, health check) never turns it on again.
  const turnedOff = input.runs
    .listSteps(input.run.id)
    .some((s) => s.name === 'maintenance_off' && s.state === 'succeeded');
  if (env.maintenance && turnedOff) return { off: true, after: { state: 'already_off' } };
  if (!env.maintenance || !scratch.maintenanceOn) return { off: true, after: { state: 'not_on' } };
  if (!env.maintenance.offOnFailure) return { off: false, after: { state: 'still_on' } };
  try {
    await input.runMaintenanceOff();
    return { off: true, after: { state: 'turned_off' } };
  } catch (err) {
    return { off: false, after: { state: 'off_failed', error: describeError(err) } };
  }
}
