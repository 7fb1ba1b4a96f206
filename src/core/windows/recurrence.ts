/**
 * Recurring windows from the configuration (`windows: [{ cron, duration, timezone, title }]`),
 * expanded into occurrences for a stretch of time so that they can be stored ahead and share
 * reminders, status-page maintenance and scheduled runs with windows scheduled from Slack.
 * cron-parser does the matching in the window's own time zone, so `0 2 * * TUE` in Europe/Oslo
 * stays 02:00 local across daylight-saving changes. Pure: the stretch is passed in.
 */
import { CronExpressionParser } from 'cron-parser';
import { validateCron } from '../../base/time-text.js';
import type { WindowOccurrence } from './types.js';

export { validateCron };

/** One recurring window as the configuration describes it (after validation). */
export interface RecurringWindowSpec {
  /** Cron expression for the start, read in `timezone`. */
  readonly cron: string;
  readonly durationMs: number;
  /** IANA time zone the cron expression is read in. */
  readonly timezone: string;
  readonly title: string;
}

/**
 * The most occurrences one spec yields in one expansion: a guard against an expression such as
 * `* * * * *` over a long stretch, not a limit a real schedule reaches.
 */
export const MAX_OCCURRENCES_PER_SPEC = 1000;

/**
 * Every occurrence of `specs` in `environment` whose start is in [`fromMs`, `toMs`), plus any
 * that started before `fromMs` and is still open at `fromMs`; sorted by start (then config order).
 * `configKey` is `<environment>#<index in specs>@<start ISO>`, stable across re-expansions.
 * A spec whose expression or time zone is invalid yields nothing (the configuration refuses it).
 */
export function expandRecurring(
  environment: string,
  specs: readonly RecurringWindowSpec[],
  fromMs: number,
  toMs: number,
): WindowOccurrence[] {
  const out: WindowOccurrence[] = [];
  specs.forEach((spec, index) => {
    for (const startsAt of startsOf(spec, fromMs, toMs)) {
      out.push({
        environment,
        title: spec.title,
        startsAt,
        endsAt: startsAt + spec.durationMs,
        configKey: `${environment}#${index}@${new Date(startsAt).toISOString()}`,
      });
    }
  });
  return out.sort((a, b) => a.startsAt - b.startsAt);
}

/** Starts of one spec that fall in [from, to) or whose window is open at `from`. */
function startsOf(spec: RecurringWindowSpec, fromMs: number, toMs: number): number[] {
  if (toMs <= fromMs || validateCron(spec.cron, spec.timezone) !== undefined) return [];
  // Begin one duration (and a second, since next() is exclusive) before `from`, so that a window
  // that began earlier and is still open is found by the same forward walk.
  const begin = fromMs - Math.max(spec.durationMs, 0) - 1000;
  const expression = CronExpressionParser.parse(spec.cron, {
    currentDate: new Date(begin),
    tz: spec.timezone,
  });
  const starts: number[] = [];
  for (let i = 0; i <= MAX_OCCURRENCES_PER_SPEC; i += 1) {
    const at = nextStart(expression);
    if (at === undefined || at >= toMs) break;
    const inRange = at >= fromMs;
    const openAtFrom = at < fromMs && at + spec.durationMs > fromMs;
    if (inRange || openAtFrom) starts.push(at);
    if (starts.length >= MAX_OCCURRENCES_PER_SPEC) break;
  }
  return starts;
}

/** The next start, or undefined when the expression has no more (cron-parser throws then). */
function nextStart(expression: ReturnType<typeof CronExpressionParser.parse>): number | undefined {
  try {
    return expression.next().getTime();
  } catch {
    return undefined;
  }
}
