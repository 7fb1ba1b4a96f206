/**
 * Reading the times people type for a window (`/migrate window schedule production
 * 2026-12-03 02:00 2h`) and writing times back to Slack. Local times are read in the person's
 * own time zone (from Slack's users.info) with luxon, so daylight-saving gaps and overlaps are
 * named rather than guessed. Pure: the current time is never read here.
 */
import { DateTime } from 'luxon';
import { formatHours, isValidTimeZone, parseDuration, parseIsoInstant } from '../../base/time-text.js';

export { formatHours, parseDuration };

/** The result of reading a window's start. `note` says how an unusual input was read. */
export type WindowStartResult = { ok: true; at: number; note?: string } | { ok: false; message: string };

const LOCAL_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2})$/;
const FORMS = 'YYYY-MM-DD HH:MM (your time zone) or ISO 8601 such as 2026-12-03T02:00Z';

/**
 * Reads a window's start: ISO 8601 with `Z` or an offset (`2026-12-03T02:00Z`,
 * `2026-12-03T02:00:00+01:00`), or `YYYY-MM-DD HH:MM` as wall-clock time in `opts.timeZone`.
 *
 * - an unknown time zone: read as UTC, and `note` says so;
 * - a local time skipped by a daylight-saving change (spring forward): refused, naming the zone and day;
 * - a local time that happens twice (fall back): the earlier instant, and `note` names the offset used;
 * - ISO without an offset, or an impossible date (Feb 30): refused.
 */
export function parseWindowStart(text: string, opts: { timeZone: string }): WindowStartResult {
  const input = text.trim();
  if (input.includes('T') || input.includes('t')) {
    const iso = parseIsoInstant(input);
    if (iso.ok) return { ok: true, at: iso.at };
    if (iso.reason === 'no-offset') {
      return {
        ok: false,
        message: `"${input}" has no time zone: add Z (UTC) or an offset such as +01:00, or write YYYY-MM-DD HH:MM to use your own time zone.`,
      };
    }
    if (iso.reason === 'invalid') return { ok: false, message: `"${input}" is not a real date and time.` };
  }
  const m = LOCAL_PATTERN.exec(input);
  if (!m) return { ok: false, message: `"${input}" is not a start time; write ${FORMS}.` };
  return readLocal(m, opts.timeZone);
}

function readLocal(m: RegExpExecArray, requestedZone: string): WindowStartResult {
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const day = `${m[1]}-${m[2]}-${m[3]}`;
  const clock = `${m[4]}:${m[5]}`;
  const known = isValidTimeZone(requestedZone);
  const zone = known ? requestedZone : 'UTC';
  const unknownNote = known
    ? undefined
    : `"${requestedZone}" is not a known time zone, so ${clock} was read as UTC.`;

  const dt = DateTime.fromObject({ year: y, month: mo, day: d, hour: h, minute: mi }, { zone });
  if (!dt.isValid) return { ok: false, message: `${day} ${clock} is not a real date and time.` };
  // luxon moves a time inside a spring-forward gap to after it; a different wall clock means a gap.
  if (dt.year !== y || dt.month !== mo || dt.day !== d || dt.hour !== h || dt.minute !== mi) {
    return {
      ok: false,
      message: `${clock} does not exist on ${day} in ${zone} (clocks go forward); pick another time, e.g. ${dt.toFormat('HH:mm')}.`,
    };
  }
  const candidates = dt.getPossibleOffsets();
  if (candidates.length > 1) {
    const earliest = candidates.reduce((a, b) => (b.toMillis() < a.toMillis() ? b : a));
    const later = candidates.find((c) => c !== earliest) ?? earliest;
    const note = `${clock} happens twice on ${day} in ${zone} (clocks go back); took the first, at UTC${earliest.toFormat('ZZ')}, not the second at UTC${later.toFormat('ZZ')}.`;
    return { ok: true, at: earliest.toMillis(), note };
  }
  return unknownNote ? { ok: true, at: dt.toMillis(), note: unknownNote } : { ok: true, at: dt.toMillis() };
}

/** `2026-12-03 02:00 UTC`: a time any reader can place, used as the fallback of Slack dates. */
export function formatUtc(ms: number): string {
  return `${utcDay(ms)} ${utcClock(ms)} UTC`;
}

/**
 * Slack's date formatting (`<!date^SECONDS^FORMAT|FALLBACK>`): each reader sees the time in their
 * own time zone; clients that cannot render it show the fallback, `YYYY-MM-DD HH:MM UTC`.
 */
export function slackDate(ms: number, format = '{date_short_pretty} {time}'): string {
  return `<!date^${Math.floor(ms / 1000)}^${format}|${formatUtc(ms)}>`;
}

/**
 * A window's span for Slack: `<!date^…^{date_short_pretty} {time}|2026-12-03 02:00 UTC>–<!date^…^{time}|04:00 UTC>`.
 * The end shows its date too when it falls on another UTC day.
 */
export function formatSpan(startMs: number, endMs: number): string {
  const end =
    utcDay(startMs) === utcDay(endMs)
      ? `<!date^${Math.floor(endMs / 1000)}^{time}|${utcClock(endMs)} UTC>`
      : slackDate(endMs);
  return `${slackDate(startMs)}–${end}`;
}

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function utcClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}
