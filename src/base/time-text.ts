/**
 * The grammar of times people write, shared by the configuration file (recurring windows, freezes)
 * and Slack commands (`/migrate window schedule`): durations such as `1h30m`, ISO 8601 instants with
 * an offset, IANA time-zone names and cron expressions. It lives here, at the bottom, so that
 * `config` and `core` read the same words the same way. Pure: no clock, no I/O.
 */
import { CronExpressionParser } from 'cron-parser';
import { DateTime, IANAZone } from 'luxon';

/** The longest a maintenance window may last. */
export const MAX_WINDOW_MS = 24 * 60 * 60 * 1000;

const MINUTE_MS = 60 * 1000;
const HOUR_MS = 60 * MINUTE_MS;

/** The result of reading a duration. */
export type DurationResult = { ok: true; ms: number } | { ok: false; message: string };

/**
 * Reads a window's duration: `30m`, `2h`, `1h30m`, `90m` (case-insensitive, no spaces). Refuses
 * anything else, zero, and more than 24 h.
 */
export function parseDuration(text: string): DurationResult {
  const m = /^(?:(\d{1,4})h)?(?:(\d{1,5})m)?$/i.exec(text.trim());
  if (!m || (m[1] === undefined && m[2] === undefined)) {
    return { ok: false, message: `"${text}" is not a duration; write it like 30m, 2h or 1h30m.` };
  }
  const ms = Number(m[1] ?? 0) * HOUR_MS + Number(m[2] ?? 0) * MINUTE_MS;
  if (ms === 0) return { ok: false, message: `A window must last longer than zero; "${text}" is 0m.` };
  if (ms > MAX_WINDOW_MS) {
    return { ok: false, message: `A window may last at most 24 h; "${text}" is ${formatHours(ms)}.` };
  }
  return { ok: true, ms };
}

/** A duration for people, to the minute: `2h`, `1h30m`, `45m` (`0m` below a minute). */
export function formatHours(ms: number): string {
  const minutes = Math.round(ms / MINUTE_MS);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h === 0) return `${m}m`;
  return m === 0 ? `${h}h` : `${h}h${m}m`;
}

/** Whether `zone` is an IANA time-zone name this runtime knows (`Europe/Oslo`, `UTC`). */
export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** ISO 8601 date and time; the offset (`Z`, `+01:00`, `+0100`) is optional here so that its absence can be named. */
const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** The result of reading an ISO 8601 instant. */
export type IsoInstantResult =
  { ok: true; at: number } | { ok: false; reason: 'not-iso' | 'no-offset' | 'invalid'; message: string };

/**
 * Reads an ISO 8601 date and time that names its offset: `2026-12-03T02:00Z`,
 * `2026-12-03T02:00:00+01:00`, `2026-12-03T02:00:00.000Z`. Without an offset the instant is
 * ambiguous, so it is refused (`no-offset`); an impossible date such as Feb 30 is `invalid`.
 */
export function parseIsoInstant(text: string): IsoInstantResult {
  const m = ISO_PATTERN.exec(text);
  if (!m) return { ok: false, reason: 'not-iso', message: `"${text}" is not an ISO 8601 date and time.` };
  if (m[1] === undefined) {
    return {
      ok: false,
      reason: 'no-offset',
      message: `"${text}" has no time zone; add Z (UTC) or an offset such as +01:00.`,
    };
  }
  const dt = DateTime.fromISO(text, { setZone: true });
  if (!dt.isValid) {
    return { ok: false, reason: 'invalid', message: `"${text}" is not a real date and time.` };
  }
  return { ok: true, at: dt.toMillis() };
}

/**
 * Checks a cron expression (5 fields, 6 with seconds first, or an alias such as `@weekly`) for the time zone it runs in.
 * Returns a message for people, or undefined when both are fine.
 */
export function validateCron(expr: string, tz: string): string | undefined {
  if (!isValidTimeZone(tz)) return `"${tz}" is not a known IANA time zone (e.g. Europe/Oslo, UTC).`;
  const fields = expr.trim().split(/\s+/).length;
  if (!expr.trim().startsWith('@') && fields !== 5 && fields !== 6) {
    return `"${expr}" is not a cron expression; expected 5 fields (minute hour day month weekday), e.g. "0 2 * * TUE".`;
  }
  try {
    // A fixed start keeps the answer independent of today; next() throws when nothing ever matches.
    CronExpressionParser.parse(expr, { tz, currentDate: new Date(Date.UTC(2000, 0, 1)) }).next();
    return undefined;
  } catch (err) {
    return `"${expr}" is not a valid cron expression (${(err as Error).message}).`;
  }
}
