import { DateTime } from 'luxon';
import {
  expandRecurring,
  MAX_OCCURRENCES_PER_SPEC,
  validateCron,
  type RecurringWindowSpec,
} from '../../../src/core/windows/recurrence.js';

const utc = (iso: string): number => Date.parse(iso);
const HOUR = 3_600_000;
const tuesdayOslo: RecurringWindowSpec = {
  cron: '0 2 * * TUE',
  durationMs: 2 * HOUR,
  timezone: 'Europe/Oslo',
  title: 'Weekly maintenance',
};

describe('expandRecurring', () => {
  it('keeps a weekly Tuesday 02:00 Europe/Oslo window at 02:00 local across the 2026-10-25 change', () => {
    const occurrences = expandRecurring(
      'production',
      [tuesdayOslo],
      utc('2026-10-13T00:00:00Z'),
      utc('2026-11-04T00:00:00Z'),
    );
    expect(occurrences.map((o) => new Date(o.startsAt).toISOString())).toEqual([
      '2026-10-13T00:00:00.000Z', // 02:00 CEST (+02:00); starts exactly at `from`
      '2026-10-20T00:00:00.000Z',
      '2026-10-27T01:00:00.000Z', // 02:00 CET (+01:00): the UTC instant moves by an hour
      '2026-11-03T01:00:00.000Z',
    ]);
    for (const o of occurrences) {
      const local = DateTime.fromMillis(o.startsAt, { zone: 'Europe/Oslo' });
      expect([local.weekday, local.hour, local.minute]).toEqual([2, 2, 0]);
      expect(o.endsAt - o.startsAt).toBe(2 * HOUR);
      expect(o.environment).toBe('production');
      expect(o.title).toBe('Weekly maintenance');
    }
  });

  it('includes a window that started before `from` and is still open, not one that has just ended', () => {
    const open = expandRecurring(
      'production',
      [tuesdayOslo],
      utc('2026-10-20T01:59:00Z'),
      utc('2026-10-21T00:00:00Z'),
    );
    expect(open.map((o) => o.configKey)).toEqual(['production#0@2026-10-20T00:00:00.000Z']);
    const ended = expandRecurring(
      'production',
      [tuesdayOslo],
      utc('2026-10-20T02:00:00Z'),
      utc('2026-10-21T00:00:00Z'),
    );
    expect(ended).toEqual([]);
  });

  it('excludes a start at `to`', () => {
    expect(
      expandRecurring('production', [tuesdayOslo], utc('2026-10-14T00:00:00Z'), utc('2026-10-20T00:00:00Z')),
    ).toEqual([]);
  });

  it('gives each occurrence a configKey that is the same whatever stretch it was expanded in', () => {
    const nightly: RecurringWindowSpec = {
      cron: '30 23 * * *',
      durationMs: HOUR,
      timezone: 'UTC',
      title: 'Nightly',
    };
    const specs = [tuesdayOslo, nightly];
    const wide = expandRecurring('staging', specs, utc('2026-10-12T00:00:00Z'), utc('2026-10-22T00:00:00Z'));
    const narrow = expandRecurring(
      'staging',
      specs,
      utc('2026-10-19T23:45:00Z'),
      utc('2026-10-20T12:00:00Z'),
    );
    expect(narrow.map((o) => o.configKey)).toEqual([
      'staging#1@2026-10-19T23:30:00.000Z',
      'staging#0@2026-10-20T00:00:00.000Z',
    ]);
    expect(wide.map((o) => o.configKey)).toEqual(expect.arrayContaining(narrow.map((o) => o.configKey)));
    const starts = wide.map((o) => o.startsAt);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    // 10-12 … 10-21, and 10-11 23:30, still open at `from`
    expect(wide.filter((o) => o.configKey.startsWith('staging#1@'))).toHaveLength(11);
  });

  it('bounds the walk and yields nothing for an empty stretch or an invalid spec', () => {
    const everyMinute: RecurringWindowSpec = {
      cron: '* * * * *',
      durationMs: 60_000,
      timezone: 'UTC',
      title: 'x',
    };
    const many = expandRecurring(
      'qa',
      [everyMinute],
      utc('2026-01-01T00:00:00Z'),
      utc('2026-02-01T00:00:00Z'),
    );
    expect(many).toHaveLength(MAX_OCCURRENCES_PER_SPEC);
    expect(
      expandRecurring('qa', [tuesdayOslo], utc('2026-10-20T00:00:00Z'), utc('2026-10-13T00:00:00Z')),
    ).toEqual([]);
    expect(
      expandRecurring('qa', [{ ...tuesdayOslo, timezone: 'Mars/Olympus' }], 0, utc('2026-10-13T00:00:00Z')),
    ).toEqual([]);
  });
});

describe('validateCron', () => {
  it.each(['0 2 * * TUE', '30 1 * * 0', '0 0 2 * * 1-5', '@weekly', '*/15 3 1 * *'])('accepts %j', (expr) => {
    expect(validateCron(expr, 'Europe/Oslo')).toBeUndefined();
  });

  it.each([
    ['0 25 * * *', 'UTC', /^"0 25 \* \* \*" is not a valid cron expression \(.+\)\.$/],
    ['every tuesday', 'UTC', /is not a cron expression; expected 5 fields/],
    ['0 2 * *', 'UTC', /is not a cron expression; expected 5 fields/],
    ['0 2 * * TUE', 'Mars/Olympus', /^"Mars\/Olympus" is not a known IANA time zone/],
  ])('refuses %j in %s', (expr, tz, message) => {
    expect(validateCron(expr, tz)).toMatch(message);
  });
});
