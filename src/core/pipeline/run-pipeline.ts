/**
 * The deploy pipeline: one ordered list of steps (PIPELINE_STEPS), each recorded in the store as it
 * starts and ends, each reported as a typed event. The first step that stops ends the run: later
 * steps are recorded `not_run`, maintenance mode is turned off or left on per config, the status
 * page and the team are told, and the run becomes `failed` (or `cancelled`).
 */
import { describeError, refusal, type Refusal } from '../../base/errors.js';
import { RunStore } from '../../store/run-store.js';
import type { RunRecord, StepState } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import { closeTarget, openEnvironmentTarget, type EnvironmentTarget } from '../environment-target.js';
import { applyRunEvent } from '../runs/apply-run-event.js';
import type { PlanDifference } from '../runs/plan.js';
import { replanRun } from '../runs/replan-run.js';
import { prepareTargetPlan } from './plan-report.js';
import {
  RunCancelled,
  RunStopped,
  StepStopped,
  type RunScratch,
  type StepContext,
  type StepFunction,
} from './run-context.js';
import { takeRunLock, type RunLock } from './run-lock.js';
import { watchStep } from './step-watchdog.js';
import { finishFailedRun } from './run-failure.js';
import { beginWatch, takeBaseline } from '../monitor/watch-service.js';
import type { Baseline } from '../monitor/types.js';
import { announceStep, closeStep } from './steps/announce-steps.js';
import { applyStep } from './steps/apply-step.js';
import { backupStep } from './steps/backup-step.js';
import { maintenanceOffStep, maintenanceOnStep } from './steps/maintenance-steps.js';
import { preflightStep } from './steps/preflight-step.js';
import { healthCheckStep, postDeployStep, verifyStep } from './steps/verify-steps.js';
import {
  PIPELINE_STEPS,
  STEP_TITLES,
  type PipelineObserver,
  type PipelineStep,
  type PlanReport,
} from './types.js';

const STEP_FUNCTIONS: Record<PipelineStep, StepFunction> = {
  preflight: preflightStep,
  announce: announceStep,
  maintenance_on: maintenanceOnStep,
  backup: backupStep,
  apply: applyStep,
  verify: verifyStep,
  post_deploy: postDeployStep,
  health_check: healthCheckStep,
  maintenance_off: maintenanceOffStep,
  close: closeStep,
};

export interface StartRunOptions {
  /** Who started it (the deciding approver, or `cli:<user>`); audited. */
  readonly actor: string;
  readonly emit: PipelineObserver;
  /** Aborting cancels the run (between steps, or the running statement during apply). */
  readonly signal: AbortSignal;
  /**
   * Aborted when Drawbridge shuts down: a step before apply is stopped, apply ends after the
   * migration under way, later steps finish; then the run becomes `interrupted`.
   */
  readonly stop?: AbortSignal;
}

/** How `startRun` ended. */
export type StartRunResult =
  | { readonly kind: 'finished'; readonly run: RunRecord }
  | { readonly kind: 'voided'; readonly run: RunRecord; readonly reasons: readonly PlanDifference[] };

/**
 * Starts an approved run: re-checks its plan (a changed plan voids the approvals and returns
 * `voided`), then runs every step in order. Resolves when the run has ended; never leaves the
 * run `running` unless the process dies (then start-up recovery marks it interrupted).
 */
export async function startRun(
  deps: CoreDeps,
  runId: string,
  opts: StartRunOptions,
): Promise<StartRunResult | Refusal> {
  const runs = new RunStore(deps.store, deps.clock);
  const run = runs.getRun(runId);
  if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
  if (run.state !== 'approved')
    return refusal('RUN_NOT_APPROVED', `Run ${runId} is ${run.state}, not approved.`);
  // The run's one target (and tunnel): the plan is re-read and every step works through it.
  let target: EnvironmentTarget | Refusal;
  try {
    target = await openEnvironmentTarget(deps, run.environment);
  } catch (err) {
    return failBeforeSteps(deps, runs, run, opts, `Could not re-read the plan: ${describeError(err)}`);
  }
  if ('kind' in target) return failBeforeSteps(deps, runs, run, opts, target.message);
  try {
    return await startOnTarget(deps, runs, run, target, opts);
  } finally {
    await closeTarget(deps, target);
  }
}

/** Re-reads the plan through the run's target and, when it is still the approved one, runs the steps. */
async function startOnTarget(
  deps: CoreDeps,
  runs: RunStore,
  run: RunRecord,
  target: EnvironmentTarget,
  opts: StartRunOptions,
): Promise<StartRunResult | Refusal> {
  const runId = run.id;
  let report: PlanReport;
  try {
    report = await prepareTargetPlan(deps, target, { ownRunId: runId });
  } catch (err) {
    return failBeforeSteps(deps, runs, run, opts, `Could not re-read the plan: ${describeError(err)}`);
  }
  if (report.planHash !== run.planHash) {
    const voided = replanRun(runs, runId, report.plan, 'system');
    if (voided.kind === 'refusal') return voided;
    opts.emit({ kind: 'run:changed', runId });
    return voided.kind === 'voided'
      ? { kind: 'voided', run: voided.run, reasons: voided.reasons }
      : { kind: 'finished', run: voided.run };
  }
  const started = applyRunEvent(runs, runId, 'start', { actor: opts.actor, expectedState: 'approved' });
  if (started.kind === 'refusal') return started;
  opts.emit({ kind: 'run:changed', runId });
  return { kind: 'finished', run: await runSteps(deps, runs, started.run, report, target, opts) };
}

/** The plan could not even be re-read: the run starts and fails at preflight, with the reason. */
function failBeforeSteps(
  deps: CoreDeps,
  runs: RunStore,
  run: RunRecord,
  opts: StartRunOptions,
  reason: string,
): StartRunResult | Refusal {
  const started = applyRunEvent(runs, run.id, 'start', { actor: opts.actor, expectedState: 'approved' });
  if (started.kind === 'refusal') return started;
  const seq = runs.startStep(run.id, 'preflight');
  runs.finishStep(run.id, seq, { state: 'refused', error: reason });
  runs.markStepsNotRun(run.id, PIPELINE_STEPS);
  const failed = applyRunEvent(runs, run.id, 'fail', { actor: 'system', outcome: `preflight: ${reason}` });
  runs.releaseEnvironmentLock(run.environment, run.id);
  const after = failed.kind === 'refusal' ? (runs.getRun(run.id) ?? run) : failed.run;
  opts.emit({
    kind: 'run:finished',
    runId: run.id,
    environment: run.environment,
    state: after.state,
    outcome: after.outcome ?? reason,
    started: false,
  });
  deps.logger.warn({ runId: run.id, reason }, 'run failed before its first step');
  return { kind: 'finished', run: after };
}

async function runSteps(
  deps: CoreDeps,
  runs: RunStore,
  run: RunRecord,
  report: PlanReport,
  target: EnvironmentTarget,
  opts: StartRunOptions,
): Promise<RunRecord> {
  const env = target.config;
  const scratch: RunScratch = { maintenanceOn: false, warnings: [] };
  let runLock: RunLock | undefined;
  let baseline: Baseline | null = null;
  let current: PipelineStep = 'preflight';
  const ctxOf = (signal: AbortSignal = opts.signal): StepContext => ({
    deps,
    runs,
    run,
    target,
    env,
    executor: target.executor,
    databaseUrl: target.url,
    executorDatabaseUrl: target.executorUrl,
    report,
    signal,
    stop: opts.stop ?? new AbortController().signal,
    emit: opts.emit,
    scratch,
    progress: (text) => opts.emit({ kind: 'progress', runId: run.id, step: current, text }),
    detail: (title, text, code) =>
      opts.emit({ kind: 'detail', runId: run.id, detail: { title, text, ...(code ? { code } : {}) } }),
    alive: () => undefined,
  });
  opts.emit({
    kind: 'run:started',
    runId: run.id,
    environment: run.environment,
    migrations: run.plan.migrations.map((m) => ({ name: m.name, checksum: m.checksum })),
  });
  try {
    const ctx = ctxOf();
    for (const step of PIPELINE_STEPS) {
      current = step;
      if (opts.signal.aborted) throw new RunCancelled(`Cancelled before ${step}`);
      // Once the migrations are in, the steps after apply (verify, maintenance off, post-deploy,
      // health check, close) still run to their end.
      if (opts.stop?.aborted && PIPELINE_STEPS.indexOf(step) <= PIPELINE_STEPS.indexOf('apply'))
        throw new RunStopped(`Drawbridge was shut down before ${STEP_TITLES[step].toLowerCase()}.`);
      if (step === 'preflight') runLock = await takeRunLock(target.url);
      await runOneStep(runs, ctx, step, opts);
      // The watch compares with how things were before anything changed.
      if (step === 'preflight' && env.monitor)
        baseline = await takeBaseline(
          deps,
          target,
          env.monitor,
          run.plan.migrations.map((m) => m.name),
        );
    }
    const ok = applyRunEvent(runs, run.id, 'succeed', {
      actor: 'system',
      outcome: successLine(run, scratch),
    });
    if (ok.kind === 'transitioned') await afterSuccess(deps, runs, target, ok.run, baseline, opts.emit);
    const done = runs.getRun(run.id) ?? run;
    opts.emit({
      kind: 'run:finished',
      runId: run.id,
      environment: run.environment,
      state: done.state,
      outcome: done.outcome ?? '',
      started: true,
    });
    return done;
  } catch (caught) {
    const failedAt = current;
    // A step before apply that the shutdown stopped reports the shutdown, not what the abort made of it.
    const err =
      opts.stop?.aborted && !opts.signal.aborted && !(caught instanceof RunStopped)
        ? new RunStopped(`Drawbridge was shut down during ${STEP_TITLES[failedAt].toLowerCase()}.`)
        : caught;
    const calm = new AbortController().signal;
    return await finishFailedRun({
      runs,
      run,
      env,
      scratch,
      err,
      step: failedAt,
      opts,
      ctx: ctxOf(calm),
      runMaintenanceOff: async () => {
        if (failedAt === 'maintenance_off') throw new Error('maintenance off already failed');
        current = 'maintenance_off';
        await runOneStep(runs, ctxOf(calm), 'maintenance_off', { ...opts, signal: calm });
      },
    });
  } finally {
    runs.releaseEnvironmentLock(run.environment, run.id);
    await runLock?.release();
  }
}

/** With a `monitor` block the run is watched (`monitoring`); without, it is done. */
async function afterSuccess(
  deps: CoreDeps,
  runs: RunStore,
  target: EnvironmentTarget,
  run: RunRecord,
  baseline: Baseline | null,
  emit: PipelineObserver,
): Promise<void> {
  const monitor = target.config.monitor;
  if (monitor) {
    try {
      await beginWatch(deps, target, run, monitor, baseline, emit);
      return;
    } catch (err) {
      deps.logger.error({ runId: run.id, err: describeError(err) }, 'the watch could not begin');
    }
  }
  applyRunEvent(runs, run.id, 'finish', { actor: 'system' });
}

function successLine(run: RunRecord, scratch: RunScratch): string {
  const w = scratch.warnings.length ? `, ${scratch.warnings.length} warning(s)` : '';
  return `${run.plan.migrations.length} migration(s) applied and verified${w}`;
}

/** Runs one step and records it; rethrows what stops the run after recording it. */
async function runOneStep(
  runs: RunStore,
  ctx: StepContext,
  step: PipelineStep,
  opts: StartRunOptions,
): Promise<void> {
  const runId = ctx.run.id;
  const seq = runs.startStep(runId, step);
  const t0 = ctx.deps.clock.now();
  opts.emit({ kind: 'step:started', runId, step });
  const end = (
    state: Exclude<StepState, 'running'>,
    summary: string,
    extra: { detail?: unknown; error?: string },
  ): void => {
    runs.finishStep(runId, seq, { state, ...extra });
    opts.emit({ kind: 'step:finished', runId, step, state, durationMs: ctx.deps.clock.now() - t0, summary });
  };
  try {
    const stallMs = ctx.env.watchdog.stepStallMinutes * 60_000;
    // Before apply nothing is changed that a shutdown must wait for: the stop cuts the step short.
    const beforeApply = PIPELINE_STEPS.indexOf(step) < PIPELINE_STEPS.indexOf('apply');
    const stepCtx = beforeApply ? { ...ctx, signal: AbortSignal.any([ctx.signal, ctx.stop]) } : ctx;
    const outcome = await watchStep(stepCtx, stallMs, STEP_FUNCTIONS[step]);
    end(outcome.state, outcome.summary, {
      detail: { summary: outcome.summary, ...(outcome.detail === undefined ? {} : { data: outcome.detail }) },
    });
  } catch (err) {
    const cancelled = err instanceof RunCancelled || opts.signal.aborted;
    const refused = err instanceof StepStopped && err.refused;
    const message = describeError(err);
    end(cancelled ? 'failed' : refused ? 'refused' : 'failed', message, {
      error: cancelled ? `cancelled: ${message}` : message,
      ...((err instanceof StepStopped || err instanceof RunCancelled) && err.detail !== undefined
        ? { detail: { data: err.detail } }
        : {}),
    });
    throw err;
  }
}
