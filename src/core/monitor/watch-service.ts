/**
 * The post-deploy watch, driven by the ticker: a baseline in preflight, a watch begun when the
 * deploy succeeds (the run goes `succeeded → monitoring`), then on every tick each watch takes the
 * sample that is due. Slots whose time passed without a sample (the bot was down, a tick was
 * missed) are recorded as gaps, never hidden. When the time is up (or a person stops it, or the run
 * leaves monitoring) the summary and the chart go out once (the outbox's dedupe keys), then the
 * run is `done`. Everything lives in the store, so a restart resumes where the watch was.
 */
import { describeError } from '../../base/errors.js';
import type { EnvironmentConfig, MonitorConfig } from '../../config/file-schema.js';
import { MonitorStore, type WatchRecord } from '../../store/monitor-store.js';
import { RunStore } from '../../store/run-store.js';
import type { RunRecord } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import { closeTarget, openEnvironmentTarget, type EnvironmentTarget } from '../environment-target.js';
import type { PipelineObserver } from '../pipeline/types.js';
import { applyRunEvent } from '../runs/apply-run-event.js';
import { evaluateAlerts } from './evaluate-alerts.js';
import { endWatch } from './end-watch.js';
import { takeSample } from './take-sample.js';
import type { AlertKind, Baseline, Counters, SampleData, WatchTargets } from './types.js';
import { watchTargets } from './watch-targets.js';

const MISSED = 'no sample was taken in time (the bot was not running, or a tick was missed)';

/** Reads the baseline through the run's target (preflight). Never throws. */
export async function takeBaseline(
  deps: CoreDeps,
  target: EnvironmentTarget,
  monitor: MonitorConfig,
  migrations: readonly string[],
): Promise<Baseline> {
  const targets = await watchTargets(target.config.migrations, migrations);
  const s = await takeSample(
    { env: target.config, monitor, databaseUrl: target.url, targets, clock: deps.clock },
    undefined,
  );
  return { at: deps.clock.now(), ...s.data };
}

/**
 * The deploy succeeded: records the watch (what the migrations touched, the counters to count
 * from, the new indexes' scans so far) and moves the run to `monitoring`. A watch of an earlier
 * deploy to the same environment ends (its summary is posted): its baseline no longer holds.
 */
export async function beginWatch(
  deps: CoreDeps,
  target: EnvironmentTarget,
  run: RunRecord,
  monitor: MonitorConfig,
  baseline: Baseline | null,
  emit: PipelineObserver,
): Promise<void> {
  const targets = await watchTargets(
    target.config.migrations,
    run.plan.migrations.map((m) => m.name),
  );
  const start = await takeSample(
    { env: target.config, monitor, databaseUrl: target.url, targets, clock: deps.clock },
    undefined,
  );
  const indexScansAtStart = Object.fromEntries((start.data.db?.indexes ?? []).map((i) => [i.name, i.scans]));
  const now = deps.clock.now();
  new MonitorStore(deps.store).createWatch({
    runId: run.id,
    environment: run.environment,
    startedAt: now,
    endsAt: now + Math.round(monitor.hours * 3_600_000),
    everyMs: Math.round(monitor.everyMinutes * 60_000),
    baseline: { ...(baseline ?? { at: now }), indexScansAtStart },
    targets,
    previous: start.counters,
  });
  applyRunEvent(new RunStore(deps.store, deps.clock), run.id, 'start_monitoring', { actor: 'system' });
  // An older watch of the environment would compare with a baseline this deploy has replaced.
  for (const older of new MonitorStore(deps.store).listWatching())
    if (older.environment === run.environment && older.runId !== run.id)
      endWatch(deps, emit, older.runId, `run ${run.id} deployed to ${run.environment} since`);
}

/** Slots of a watch: slot `n` is due at `startedAt + (n + 1) * everyMs`. */
export function slotCount(w: Pick<WatchRecord, 'startedAt' | 'endsAt' | 'everyMs'>): number {
  return Math.max(1, Math.ceil((w.endsAt - w.startedAt) / w.everyMs));
}

/** The latest slot due at `now` (-1 before the first), capped at the last slot. */
export function dueSlot(w: Pick<WatchRecord, 'startedAt' | 'endsAt' | 'everyMs'>, now: number): number {
  return Math.min(slotCount(w) - 1, Math.floor((now - w.startedAt) / w.everyMs) - 1);
}

/** One tick: every watch takes its due sample; watches whose time is up end. */
export async function tickWatches(deps: CoreDeps, emit: PipelineObserver): Promise<void> {
  const store = new MonitorStore(deps.store);
  for (const w of store.listWatching()) {
    try {
      await tickOne(deps, emit, store, w);
    } catch (err) {
      deps.logger.warn({ runId: w.runId, err: describeError(err) }, 'a watch tick failed');
    }
  }
}

async function tickOne(
  deps: CoreDeps,
  emit: PipelineObserver,
  store: MonitorStore,
  w: WatchRecord,
): Promise<void> {
  const run = new RunStore(deps.store, deps.clock).getRun(w.runId);
  if (!run || run.state !== 'monitoring') {
    endWatch(deps, emit, w.runId, `the run is ${run?.state.replace('_', ' ') ?? 'gone'}`);
    return;
  }
  const now = deps.clock.now();
  const slot = dueSlot(w, now);
  if (slot >= w.nextSlot) await sampleSlot(deps, emit, store, w, slot);
  if (slot >= slotCount(w) - 1 || now >= w.endsAt + w.everyMs)
    endWatch(deps, emit, w.runId, 'the watch time is up');
}

async function sampleSlot(
  deps: CoreDeps,
  emit: PipelineObserver,
  store: MonitorStore,
  w: WatchRecord,
  slot: number,
): Promise<void> {
  const env = deps.config.environment(w.environment) as Readonly<EnvironmentConfig> | undefined;
  const monitor = env?.monitor;
  const gaps = [];
  for (let s = w.nextSlot; s < slot; s++)
    gaps.push({ slot: s, dueAt: w.startedAt + (s + 1) * w.everyMs, error: MISSED });
  const dueAt = w.startedAt + (slot + 1) * w.everyMs;
  if (!env || !monitor) {
    store.recordSlots(
      w.runId,
      w.nextSlot,
      gaps,
      gapSample(slot, dueAt, deps.clock.now(), 'the environment has no monitor block any more'),
      undefined,
    );
    return;
  }
  const opened = await openEnvironmentTarget(deps, w.environment).catch((err: unknown) => ({
    error: describeError(err),
  }));
  const target = 'url' in opened ? opened : undefined;
  try {
    const databaseUrl = target
      ? target.url
      : { error: 'message' in opened ? opened.message : (opened as { error: string }).error };
    const taken = await takeSample(
      { env, monitor, databaseUrl, targets: w.targets as WatchTargets, clock: deps.clock },
      (w.previous as Counters | null) ?? undefined,
    );
    const takenAt = deps.clock.now();
    const recorded = taken.ok
      ? store.recordSlots(
          w.runId,
          w.nextSlot,
          gaps,
          { slot, dueAt, takenAt, data: taken.data, error: null, costMs: taken.costMs },
          taken.counters,
        )
      : store.recordSlots(
          w.runId,
          w.nextSlot,
          gaps,
          gapSample(
            slot,
            dueAt,
            takenAt,
            Object.values(taken.data.errors ?? {}).join('; ') || 'nothing could be read',
            taken.costMs,
          ),
          taken.counters,
        );
    if (!recorded) return;
    emit({ kind: 'monitor:sample', runId: w.runId, slot, gap: !taken.ok });
    if (taken.ok) raiseAlerts(deps, emit, store, w, monitor, taken.data, takenAt);
  } finally {
    if (target) await closeTarget(deps, target);
  }
}

function gapSample(
  slot: number,
  dueAt: number,
  takenAt: number,
  error: string,
  costMs: number | null = null,
) {
  return { slot, dueAt, takenAt, kind: 'gap' as const, data: null, error, costMs };
}

function raiseAlerts(
  deps: CoreDeps,
  emit: PipelineObserver,
  store: MonitorStore,
  w: WatchRecord,
  monitor: MonitorConfig,
  sample: SampleData,
  now: number,
): void {
  const lastAlertAt: Partial<Record<AlertKind, number>> = {};
  for (const a of store.listAlerts(w.runId)) lastAlertAt[a.kind as AlertKind] = a.at;
  const earlier = store
    .listSamples(w.runId)
    .slice(0, -1)
    .map((s) => (s.kind === 'sample' ? (s.data as SampleData) : null));
  const alerts = evaluateAlerts({
    sample,
    baseline: w.baseline as Baseline | null,
    thresholds: monitor.thresholds,
    earlier,
    lastAlertAt,
    now,
  });
  for (const alert of alerts) {
    store.addAlert(w.runId, alert.kind, now, alert.message);
    deps.logger.warn({ runId: w.runId, alert: alert.kind }, alert.message);
    emit({ kind: 'monitor:alert', runId: w.runId, alert, at: now });
  }
}

export { endWatch, watchBrief, watchSoFar, type WatchSoFar } from './end-watch.js';
