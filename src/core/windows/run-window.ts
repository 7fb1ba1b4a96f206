/**
 * The maintenance window of a run as its message shows it, with the overrun flag: when the impact
 * estimate of the plan says the migrations would run past the window's end (counted from the
 * window's start, or from now when it is already open).
 */
import type { RunRecord } from '../../store/run-store.js';
import { WindowStore } from '../../store/window-store.js';
import type { CoreDeps } from '../deps.js';
import type { PlanReport } from '../pipeline/types.js';
import { formatHours } from './time-input.js';
import type { RunWindow } from './types.js';

export type { RunWindow };

/** Estimated seconds of the plan's size-bound work (impact estimate), when known. */
export function estimatedSeconds(report: PlanReport | undefined): number | undefined {
  const impact = report?.review?.impact;
  if (!impact?.available) return undefined;
  return impact.migrations.reduce((sum, m) => sum + m.estimatedSeconds, 0);
}

/** Pure: the overrun sentence, or undefined when the estimate fits (or is unknown). */
export function overrunOf(
  window: { startsAt: number; endsAt: number },
  seconds: number | undefined,
  now: number,
): string | undefined {
  if (seconds === undefined) return undefined;
  const from = Math.max(now, window.startsAt);
  const needed = seconds * 1000;
  if (from + needed <= window.endsAt) return undefined;
  const room = Math.max(0, window.endsAt - from);
  return `The impact estimate (about ${formatHours(Math.max(60_000, needed))}) would overrun the window's end: only ${formatHours(room)} of it is left from the start.`;
}

/** The window of `run`, if it waits for (or ran in) one. */
export function runWindowOf(
  deps: CoreDeps,
  run: RunRecord,
  report: PlanReport | undefined,
): RunWindow | undefined {
  if (!run.windowId) return undefined;
  const w = new WindowStore(deps.store, deps.clock).get(run.windowId);
  if (!w) return undefined;
  const overrun = ['awaiting_approval', 'approved', 'planned'].includes(run.state)
    ? overrunOf(w, estimatedSeconds(report), deps.clock.now())
    : undefined;
  return {
    id: w.id,
    title: w.title,
    startsAt: w.startsAt,
    endsAt: w.endsAt,
    state: w.state,
    ...(overrun ? { overrun } : {}),
  };
}
