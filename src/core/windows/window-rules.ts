/**
 * Pure decisions about maintenance windows: may this window be scheduled, which window is open now,
 * which comes next. The Slack command and the store call these; nothing here reads the clock.
 *
 * Refusal codes of {@link checkNewWindow}:
 * - `WINDOW_EMPTY`: it ends at or before its start;
 * - `WINDOW_TOO_LONG`: it lasts more than 24 h;
 * - `WINDOW_ENDED`: it has already ended (one that started a moment ago and is still open is fine);
 * - `WINDOW_IN_FREEZE`: some of it falls in a freeze;
 * - `WINDOW_OVERLAPS`: it overlaps a scheduled window of the same environment.
 */
import { refusal, type Refusal } from '../../base/errors.js';
import { MAX_WINDOW_MS } from '../../base/time-text.js';
import { freezeOverlapping } from './freezes.js';
import { formatHours, formatSpan, formatUtc, slackDate } from './time-input.js';
import type { Freeze, MaintenanceWindow } from './types.js';

/** What {@link checkNewWindow} needs to know about a window someone wants to schedule. */
export interface NewWindowInput {
  /** Windows already stored (any environment, any state). */
  readonly existing: readonly MaintenanceWindow[];
  readonly environment: string;
  readonly startsAt: number;
  readonly endsAt: number;
  readonly now: number;
  /** Freezes that apply to this environment (its own and the top-level ones). */
  readonly freezes: readonly Freeze[];
}

/** Why a new window may not be scheduled, or undefined when it may. */
export function checkNewWindow(input: NewWindowInput): Refusal | undefined {
  const { startsAt, endsAt, now } = input;
  const length = endsAt - startsAt;
  if (length <= 0) {
    return refusal(
      'WINDOW_EMPTY',
      'That window ends before it starts, so it would never be open.',
      'Give a duration such as 2h or 1h30m.',
    );
  }
  if (length > MAX_WINDOW_MS) {
    return refusal(
      'WINDOW_TOO_LONG',
      `A window may last at most 24 h; this one lasts ${formatHours(length)}.`,
      'Schedule it as several windows of 24 h or less.',
    );
  }
  if (endsAt <= now) {
    return refusal(
      'WINDOW_ENDED',
      `That window would have ended at ${slackDate(endsAt)}, which has already passed.`,
      'Pick a start in the future (times without Z or an offset are read in your Slack time zone).',
    );
  }
  const freeze = freezeOverlapping(input.freezes, startsAt, endsAt);
  if (freeze) {
    return refusal(
      'WINDOW_IN_FREEZE',
      `That window falls in a freeze (${freeze.reason}) that lasts until ${slackDate(freeze.to)}.`,
      `Pick a time after ${formatUtc(freeze.to)}.`,
    );
  }
  const clash = input.existing
    .filter((w) => w.state === 'scheduled' && w.environment === input.environment)
    .filter((w) => w.startsAt < endsAt && startsAt < w.endsAt)
    .sort((a, b) => a.startsAt - b.startsAt)[0];
  if (clash) {
    return refusal(
      'WINDOW_OVERLAPS',
      `That window overlaps window ${clash.id} "${clash.title}" in ${input.environment} (${formatSpan(clash.startsAt, clash.endsAt)}).`,
      `Pick a time outside it, or cancel ${clash.id} first.`,
    );
  }
  return undefined;
}

/** Whether `w` is scheduled and open at `at` (its start included, its end not). */
export function isInsideWindow(w: MaintenanceWindow, at: number): boolean {
  return w.state === 'scheduled' && w.startsAt <= at && at < w.endsAt;
}

/** The scheduled window of `environment` open at `at`, if any (the earliest-starting if several). */
export function windowAt(
  windows: readonly MaintenanceWindow[],
  environment: string,
  at: number,
): MaintenanceWindow | undefined {
  return earliest(windows.filter((w) => w.environment === environment && isInsideWindow(w, at)));
}

/** The first scheduled window of `environment` that starts at or after `after`, if any. */
export function nextWindow(
  windows: readonly MaintenanceWindow[],
  environment: string,
  after: number,
): MaintenanceWindow | undefined {
  return earliest(
    windows.filter((w) => w.environment === environment && w.state === 'scheduled' && w.startsAt >= after),
  );
}

function earliest(windows: readonly MaintenanceWindow[]): MaintenanceWindow | undefined {
  return windows.reduce<MaintenanceWindow | undefined>(
    (best, w) => (best === undefined || w.startsAt < best.startsAt ? w : best),
    undefined,
  );
}
