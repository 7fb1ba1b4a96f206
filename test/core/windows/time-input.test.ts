import {
  formatHours,
  formatSpan,
  formatUtc,
  parseDuration,
  parseWindowStart,
  slackDate,
} from '../../../src/core/windows/time-input.js';

const utc = (iso: string): number => Date.parse(iso);

describe('parseWindowStart', () => {
  describe('local wall-clock time in the person’s time zone', () => {
    it.each([
      // Europe/Oslo: +01:00 in winter, +02:00 in summer; forward 2026-03-29 02:00, back 2026-10-25 03:00.
      ['Europe/Oslo', '2026-12-03 02:00', '2026-12-03T01:00:00.000Z'],
      ['Europe/Oslo', '2026-07-01 02:00', '2026-07-01T00:00:00.000Z'],
      ['Europe/Oslo', '2026-03-30 02:30', '2026-03-30T00:30:00.000Z'],
      ['Europe/Oslo', '2026-10-26 02:30', '2026-10-26T01:30:00.000Z'],
      ['Europe/Oslo', '2026-10-25 03:30', '2026-10-25T02:30:00.000Z'],
      // America/New_York: forward 2026-03-08 02:00, back 2026-11-01 02:00.
      ['America/New_York', '2026-12-03 02:00', '2026-12-03T07:00:00.000Z'],
      ['America/New_York', '2026-03-09 02:30', '2026-03-09T06:30:00.000Z'],
      ['America/New_York', '2026-11-02 01:30', '2026-11-02T06:30:00.000Z'],
      // Australia/Sydney: back 2026-04-05 03:00 (AEDT +11 → AEST +10), forward 2026-10-04 02:00.
      ['Australia/Sydney', '2026-04-06 02:30', '2026-04-05T16:30:00.000Z'],
      ['Australia/Sydney', '2026-10-05 02:30', '2026-10-04T15:30:00.000Z'],
      // Asia/Kolkata: +05:30, no daylight saving.
      ['Asia/Kolkata', '2026-12-03 02:00', '2026-12-02T20:30:00.000Z'],
      ['Asia/Kolkata', '2026-03-29 02:30', '2026-03-28T21:00:00.000Z'],
      ['UTC', '2026-12-03 02:00', '2026-12-03T02:00:00.000Z'],
    ])('%s %s → %s', (timeZone, text, expected) => {
      expect(parseWindowStart(text, { timeZone })).toEqual({ ok: true, at: utc(expected) });
    });
  });

  describe('a time skipped by the clocks going forward is refused, naming the zone and the day', () => {
    it.each([
      [
        'Europe/Oslo',
        '2026-03-29 02:30',
        '02:30 does not exist on 2026-03-29 in Europe/Oslo (clocks go forward)',
      ],
      [
        'America/New_York',
        '2026-03-08 02:00',
        '02:00 does not exist on 2026-03-08 in America/New_York (clocks go forward)',
      ],
      [
        'Australia/Sydney',
        '2026-10-04 02:59',
        '02:59 does not exist on 2026-10-04 in Australia/Sydney (clocks go forward)',
      ],
    ])('%s %s', (timeZone, text, message) => {
      const result = parseWindowStart(text, { timeZone });
      expect(result.ok).toBe(false);
      expect(!result.ok && result.message.startsWith(message)).toBe(true);
    });
  });

  describe('a time that happens twice when the clocks go back takes the earlier instant and says so', () => {
    it.each([
      ['Europe/Oslo', '2026-10-25 02:30', '2026-10-25T00:30:00.000Z', 'UTC+02:00'],
      ['America/New_York', '2026-11-01 01:30', '2026-11-01T05:30:00.000Z', 'UTC-04:00'],
      ['Australia/Sydney', '2026-04-05 02:30', '2026-04-04T15:30:00.000Z', 'UTC+11:00'],
    ])('%s %s → %s (%s)', (timeZone, text, expected, offset) => {
      const result = parseWindowStart(text, { timeZone });
      expect(result).toEqual({ ok: true, at: utc(expected), note: expect.stringContaining(offset) });
      expect(result.ok && result.note).toMatch(
        /happens twice on .* in .* \(clocks go back\); took the first/,
      );
    });
  });

  it.each([
    ['2026-12-03T02:00Z', '2026-12-03T02:00:00.000Z'],
    ['2026-12-03T02:00:00Z', '2026-12-03T02:00:00.000Z'],
    ['2026-12-03T02:00:00.000Z', '2026-12-03T02:00:00.000Z'],
    ['2026-12-03T02:00:00+01:00', '2026-12-03T01:00:00.000Z'],
    ['2026-12-03T02:00-05:00', '2026-12-03T07:00:00.000Z'],
    ['2026-12-03T02:00:00+0530', '2026-12-02T20:30:00.000Z'],
  ])('ISO 8601 with an offset is read as written, whatever the zone: %s', (text, expected) => {
    expect(parseWindowStart(text, { timeZone: 'America/New_York' })).toEqual({ ok: true, at: utc(expected) });
  });

  it('reads a time as UTC when the time zone is unknown, and says so', () => {
    expect(parseWindowStart('2026-12-03 02:00', { timeZone: 'Mars/Olympus' })).toEqual({
      ok: true,
      at: utc('2026-12-03T02:00:00.000Z'),
      note: '"Mars/Olympus" is not a known time zone, so 02:00 was read as UTC.',
    });
  });

  it.each([
    ['2026-12-03T02:00', /no time zone: add Z \(UTC\) or an offset .* or write YYYY-MM-DD HH:MM/],
    ['2026-12-03T02:00:00', /no time zone: add Z/],
    ['2026-02-30 10:00', /^2026-02-30 10:00 is not a real date and time\.$/],
    ['2026-02-30T10:00Z', /is not a real date and time/],
    ['2026-12-03 25:00', /is not a real date and time/],
    ['2026-12-03  02:00', /is not a start time; write YYYY-MM-DD HH:MM/],
    ['tomorrow 2am', /is not a start time/],
    ['', /is not a start time/],
  ])('refuses %j', (text, message) => {
    const result = parseWindowStart(text, { timeZone: 'Europe/Oslo' });
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['30m', 30],
    ['2h', 120],
    ['1h30m', 90],
    ['90m', 90],
    ['2H', 120],
    ['1H5M', 65],
    ['24h', 1440],
    ['1440m', 1440],
    [' 45m ', 45],
  ])('%j is %d minutes', (text, minutes) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms: minutes * 60_000 });
  });

  it.each([
    ['0m', 'A window must last longer than zero; "0m" is 0m.'],
    ['0h0m', 'A window must last longer than zero; "0h0m" is 0m.'],
    ['25h', 'A window may last at most 24 h; "25h" is 25h.'],
    ['24h1m', 'A window may last at most 24 h; "24h1m" is 24h1m.'],
    ['1500m', 'A window may last at most 24 h; "1500m" is 25h.'],
    ['2 hours', '"2 hours" is not a duration; write it like 30m, 2h or 1h30m.'],
    ['30m1h', '"30m1h" is not a duration; write it like 30m, 2h or 1h30m.'],
    ['1h 30m', '"1h 30m" is not a duration; write it like 30m, 2h or 1h30m.'],
    ['-1h', '"-1h" is not a duration; write it like 30m, 2h or 1h30m.'],
    ['', '"" is not a duration; write it like 30m, 2h or 1h30m.'],
  ])('refuses %j', (text, message) => {
    expect(parseDuration(text)).toEqual({ ok: false, message });
  });
});

describe('writing times', () => {
  const start = utc('2026-12-03T02:00:00.000Z');
  const seconds = start / 1000;

  it('slackDate lets Slack show each reader their own time, with a UTC fallback', () => {
    expect(seconds).toBe(1796263200);
    expect(slackDate(start)).toBe('<!date^1796263200^{date_short_pretty} {time}|2026-12-03 02:00 UTC>');
    expect(slackDate(start + 999, '{time}')).toBe('<!date^1796263200^{time}|2026-12-03 02:00 UTC>');
  });

  it('formatSpan shows the end’s date only when it is on another UTC day', () => {
    expect(formatSpan(start, start + 2 * 3_600_000)).toBe(
      '<!date^1796263200^{date_short_pretty} {time}|2026-12-03 02:00 UTC>–<!date^1796270400^{time}|04:00 UTC>',
    );
    expect(formatSpan(start + 21 * 3_600_000, start + 23 * 3_600_000)).toBe(
      '<!date^1796338800^{date_short_pretty} {time}|2026-12-03 23:00 UTC>–<!date^1796346000^{date_short_pretty} {time}|2026-12-04 01:00 UTC>',
    );
  });

  it.each([
    [2 * 60, '2h'],
    [90, '1h30m'],
    [45, '45m'],
    [0, '0m'],
    [24 * 60, '24h'],
  ])('formatHours(%d minutes) is %s', (minutes, text) => {
    expect(formatHours(minutes * 60_000)).toBe(text);
  });

  it('formatUtc', () => {
    expect(formatUtc(utc('2026-03-29T00:30:59.999Z'))).toBe('2026-03-29 00:30 UTC');
  });
});
