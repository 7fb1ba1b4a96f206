/**
 * Maintenance windows in the configuration (issue 12): recurring windows (`environments.<env>.windows`),
 * freezes (top-level and per environment) and the reminders before each window.
 */
import { DateTime } from 'luxon';
import * as z from 'zod';
import { isValidTimeZone, parseDuration, parseIsoInstant, validateCron } from '../base/time-text.js';

const nonEmpty = z.string().min(1, 'expected a non-empty string');

const knownZone = (zone: string): string | undefined =>
  isValidTimeZone(zone) ? undefined : `"${zone}" is not a known IANA time zone (e.g. Europe/Oslo, UTC)`;

/**
 * One recurring maintenance window: it opens at each match of `cron` read in `timezone` (so
 * `0 2 * * TUE` stays 02:00 local across daylight-saving changes) and lasts `duration` (`30m`,
 * `2h`, `1h30m`; at most 24 h). Becomes `{ cron, durationMs, timezone, title }`.
 */
export const recurringWindowSchema = z
  .object({
    cron: nonEmpty,
    duration: nonEmpty,
    timezone: nonEmpty.default('UTC'),
    title: nonEmpty.default('Maintenance window'),
  })
  .strict()
  .transform((w, ctx) => {
    const duration = parseDuration(w.duration);
    const zoneProblem = knownZone(w.timezone);
    const cronProblem = validateCron(w.cron, zoneProblem ? 'UTC' : w.timezone);
    if (!duration.ok) ctx.addIssue({ code: 'custom', path: ['duration'], message: duration.message });
    if (zoneProblem) ctx.addIssue({ code: 'custom', path: ['timezone'], message: zoneProblem });
    if (cronProblem) ctx.addIssue({ code: 'custom', path: ['cron'], message: cronProblem });
    if (!duration.ok || zoneProblem || cronProblem) return z.NEVER;
    return { cron: w.cron, durationMs: duration.ms, timezone: w.timezone, title: w.title };
  });

/**
 * A freeze bound: an ISO 8601 instant with `Z` or an offset, or a date `YYYY-MM-DD` in `zone`, which
 * for `from` means the start of that day and for `to` its end (the first moment of the next day:
 * a freeze covers [from, to)).
 */
function freezeBound(
  text: string,
  edge: 'from' | 'to',
  zone: string,
): { ok: true; at: number } | { ok: false; message: string } {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const day = DateTime.fromISO(text, { zone });
    if (!day.isValid) return { ok: false, message: `"${text}" is not a real date` };
    const at = edge === 'from' ? day.startOf('day') : day.plus({ days: 1 }).startOf('day');
    return { ok: true, at: at.toMillis() };
  }
  const instant = parseIsoInstant(text);
  return instant.ok
    ? instant
    : { ok: false, message: `${instant.message} Expected YYYY-MM-DD or ISO 8601 with Z or an offset.` };
}

/**
 * A stretch when nothing may be deployed or scheduled. `from`/`to`: ISO 8601 with `Z` or an
 * offset, or a date `YYYY-MM-DD` (the whole day, in `timezone`, default UTC). Becomes
 * `{ from, to, reason }` in ms, covering [from, to).
 */
export const freezeSchema = z
  .object({ from: nonEmpty, to: nonEmpty, reason: nonEmpty, timezone: nonEmpty.optional() })
  .strict()
  .transform((f, ctx) => {
    const zone = f.timezone ?? 'UTC';
    const zoneProblem = knownZone(zone);
    if (zoneProblem) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: zoneProblem });
      return z.NEVER;
    }
    const from = freezeBound(f.from, 'from', zone);
    const to = freezeBound(f.to, 'to', zone);
    if (!from.ok) ctx.addIssue({ code: 'custom', path: ['from'], message: from.message });
    if (!to.ok) ctx.addIssue({ code: 'custom', path: ['to'], message: to.message });
    if (!from.ok || !to.ok) return z.NEVER;
    if (to.at <= from.at) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'expected a moment after `from`' });
      return z.NEVER;
    }
    return { from: from.at, to: to.at, reason: f.reason };
  });

/** Reminders before each maintenance window. */
export const remindersSchema = z
  .object({
    /** Hours before a window's start when a reminder is posted (fractions allowed; `[]`: none). */
    offsetsHours: z
      .array(z.number().positive('expected a number > 0').max(336, 'expected at most 336 (two weeks)'))
      .refine((hours) => new Set(hours).size === hours.length, { message: 'expected each offset once' })
      .default([48, 24, 1]),
  })
  .strict();
