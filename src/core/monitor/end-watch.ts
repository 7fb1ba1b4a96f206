/**
 * The end of a watch and what is said about it: the summary and chart emitted once, the run done;
 * the summary so far (`/migrate watch`) and the one-line brief (history, the run message).
 */
import { MonitorStore, type WatchRecord } from '../../store/monitor-store.js';
import { RunStore } from '../../store/run-store.js';
import type { CoreDeps } from '../deps.js';
import type { PipelineObserver } from '../pipeline/types.js';
import { applyRunEvent } from '../runs/apply-run-event.js';
import { chartOf, summarizeWatch, type WatchFacts } from './summarize-watch.js';
import type { Baseline, WatchBrief, WatchSummary, WatchTargets } from './types.js';

function factsOf(deps: CoreDeps, w: WatchRecord): WatchFacts {
  return {
    runId: w.runId,
    environment: w.environment,
    startedAt: w.startedAt,
    endsAt: w.endsAt,
    endedAt: w.endedAt,
    endReason: w.endReason,
    everyMs: w.everyMs,
    baseline: w.baseline as Baseline | null,
    targets: (w.targets as WatchTargets | null) ?? { tables: [], indexes: [] },
    alerts: new MonitorStore(deps.store).listAlerts(w.runId).length,
  };
}

/**
 * Ends a watch: the summary and chart are emitted first (their messages carry dedupe keys, so a
 * crash before the watch is marked ended repeats nothing), then the watch ends and a run still
 * `monitoring` becomes `done`. Returns false when there was no watch under way.
 */
export function endWatch(
  deps: CoreDeps,
  emit: PipelineObserver,
  runId: string,
  reason: string,
  actor = 'system',
): boolean {
  const store = new MonitorStore(deps.store);
  const w = store.getWatch(runId);
  if (!w || w.state !== 'watching') return false;
  const now = deps.clock.now();
  const ended = { ...w, endedAt: now, endReason: reason };
  const samples = store.listSamples(runId);
  const facts = factsOf(deps, ended);
  emit({
    kind: 'monitor:finished',
    runId,
    summary: summarizeWatch(samples, facts),
    chart: chartOf(samples, facts),
  });
  if (!store.endWatch(runId, now, reason)) return false;
  const runs = new RunStore(deps.store, deps.clock);
  if (runs.getRun(runId)?.state === 'monitoring') {
    applyRunEvent(runs, runId, 'finish', { actor, detail: { watch: reason }, expectedState: 'monitoring' });
    emit({ kind: 'run:changed', runId });
  }
  return true;
}

/** A watch's summary so far and whether it is still under way. */
export interface WatchSoFar {
  readonly summary: WatchSummary;
  readonly watching: boolean;
}

/** The summary so far (`/migrate watch <run>`), or undefined when the run has no watch. */
export function watchSoFar(deps: CoreDeps, runId: string): WatchSoFar | undefined {
  const store = new MonitorStore(deps.store);
  const w = store.getWatch(runId);
  if (!w) return undefined;
  return {
    summary: summarizeWatch(store.listSamples(runId), factsOf(deps, w)),
    watching: w.state === 'watching',
  };
}

/** A watch in one line, for history and the run message. */
export function watchBrief(deps: Pick<CoreDeps, 'store'>, runId: string): WatchBrief | undefined {
  const store = new MonitorStore(deps.store);
  const w = store.getWatch(runId);
  if (!w) return undefined;
  const samples = store.listSamples(runId);
  const gaps = samples.filter((s) => s.kind === 'gap').length;
  return {
    state: w.state,
    startedAt: w.startedAt,
    endsAt: w.endsAt,
    endedAt: w.endedAt,
    endReason: w.endReason,
    samples: samples.length - gaps,
    gaps,
    alerts: store.listAlerts(runId).length,
  };
}
