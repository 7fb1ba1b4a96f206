import {
  checkNewWindow,
  isInsideWindow,
  nextWindow,
  windowAt,
  type NewWindowInput,
} from '../../../src/core/windows/window-rules.js';
import { activeFreeze, describeFreeze, freezeOverlapping } from '../../../src/core/windows/freezes.js';
import type { Freeze, MaintenanceWindow } from '../../../src/core/windows/types.js';

const HOUR = 3_600_000;
const T = Date.parse('2026-12-03T02:00:00Z');

function win(
  id: string,
  startsAt: number,
  hours: number,
  extra: Partial<MaintenanceWindow> = {},
): MaintenanceWindow {
  return {
    id,
    environment: 'production',
    title: `Window ${id}`,
    startsAt,
    endsAt: startsAt + hours * HOUR,
    source: 'slack',
    createdBy: 'U0AAAAAAA',
    state: 'scheduled',
    createdAt: T - 48 * HOUR,
    ...extra,
  };
}

const christmas: Freeze = {
  from: Date.parse('2026-12-24T00:00:00Z'),
  to: Date.parse('2026-12-27T00:00:00Z'),
  reason: 'Christmas',
};

function input(over: Partial<NewWindowInput>): NewWindowInput {
  return {
    existing: [],
    environment: 'production',
    startsAt: T,
    endsAt: T + 2 * HOUR,
    now: T - HOUR,
    freezes: [christmas],
    ...over,
  };
}

describe('checkNewWindow', () => {
  it('accepts a window in the future', () => {
    expect(checkNewWindow(input({}))).toBeUndefined();
  });

  it('accepts a window that started a moment ago and is still open', () => {
    expect(checkNewWindow(input({ now: T + 60_000 }))).toBeUndefined();
  });

  it.each([
    ['WINDOW_EMPTY', { endsAt: T }, 'That window ends before it starts, so it would never be open.'],
    ['WINDOW_EMPTY', { endsAt: T - HOUR }, 'That window ends before it starts, so it would never be open.'],
    ['WINDOW_TOO_LONG', { endsAt: T + 25 * HOUR }, 'A window may last at most 24 h; this one lasts 25h.'],
    [
      'WINDOW_ENDED',
      { now: T + 2 * HOUR },
      'That window would have ended at <!date^1796270400^{date_short_pretty} {time}|2026-12-03 04:00 UTC>, which has already passed.',
    ],
    [
      'WINDOW_IN_FREEZE',
      { startsAt: christmas.from - HOUR, endsAt: christmas.from + HOUR },
      'That window falls in a freeze (Christmas) that lasts until <!date^1798329600^{date_short_pretty} {time}|2026-12-27 00:00 UTC>.',
    ],
    [
      'WINDOW_OVERLAPS',
      { existing: [win('a1b2c3d4', T + HOUR, 2)] },
      'That window overlaps window a1b2c3d4 "Window a1b2c3d4" in production (<!date^1796266800^{date_short_pretty} {time}|2026-12-03 03:00 UTC>–<!date^1796274000^{time}|05:00 UTC>).',
    ],
  ])('%s (%#)', (code, over, message) => {
    const result = checkNewWindow(input(over));
    expect(result).toEqual({ kind: 'refusal', code, message, hint: expect.any(String) });
    expect(result?.hint).toMatch(/^[A-Z].*\.$/);
  });

  it('does not count cancelled windows, other environments, or windows that only touch its ends', () => {
    const existing = [
      win('00000001', T, 2, { state: 'cancelled' }),
      win('00000002', T, 2, { environment: 'staging' }),
      win('00000003', T - 2 * HOUR, 2),
      win('00000004', T + 2 * HOUR, 1),
    ];
    expect(checkNewWindow(input({ existing }))).toBeUndefined();
  });

  it('accepts a window that ends as a freeze begins', () => {
    expect(
      checkNewWindow(input({ startsAt: christmas.from - 2 * HOUR, endsAt: christmas.from })),
    ).toBeUndefined();
    expect(checkNewWindow(input({ startsAt: christmas.to, endsAt: christmas.to + HOUR }))).toBeUndefined();
  });
});

describe('windowAt, nextWindow, isInsideWindow', () => {
  const windows = [
    win('later000', T + 48 * HOUR, 2),
    win('now00000', T, 2),
    win('cancel00', T + 24 * HOUR, 2, { state: 'cancelled' }),
    win('staging0', T + 12 * HOUR, 2, { environment: 'staging' }),
  ];

  it('isInsideWindow includes the start and excludes the end', () => {
    const w = win('x', T, 2);
    expect([T - 1, T, T + 2 * HOUR - 1, T + 2 * HOUR].map((at) => isInsideWindow(w, at))).toEqual([
      false,
      true,
      true,
      false,
    ]);
    expect(isInsideWindow(win('x', T, 2, { state: 'cancelled' }), T)).toBe(false);
  });

  it('windowAt finds the scheduled window open at that moment in that environment', () => {
    expect(windowAt(windows, 'production', T + HOUR)?.id).toBe('now00000');
    expect(windowAt(windows, 'production', T + 2 * HOUR)).toBeUndefined();
    expect(windowAt(windows, 'production', T + 24 * HOUR)).toBeUndefined();
    expect(windowAt(windows, 'staging', T + 13 * HOUR)?.id).toBe('staging0');
  });

  it('nextWindow finds the earliest scheduled window starting at or after the moment', () => {
    expect(nextWindow(windows, 'production', T)?.id).toBe('now00000');
    expect(nextWindow(windows, 'production', T + 1)?.id).toBe('later000');
    expect(nextWindow(windows, 'production', T + 49 * HOUR)).toBeUndefined();
    expect(nextWindow(windows, 'qa', 0)).toBeUndefined();
  });
});

describe('freezes', () => {
  const spring: Freeze = {
    from: Date.parse('2026-03-01T00:00:00Z'),
    to: Date.parse('2026-03-02T00:00:00Z'),
    reason: 'Audit',
  };
  const longer: Freeze = { from: christmas.from, to: Date.parse('2027-01-02T00:00:00Z'), reason: 'Year end' };

  it('activeFreeze covers [from, to) and prefers the one that ends last', () => {
    expect(activeFreeze([christmas, spring], christmas.from)).toBe(christmas);
    expect(activeFreeze([christmas, spring], christmas.to)).toBeUndefined();
    expect(activeFreeze([christmas, longer], christmas.from + HOUR)).toBe(longer);
  });

  it('freezeOverlapping finds a freeze that touches the span', () => {
    expect(freezeOverlapping([spring, christmas], christmas.to - 1, christmas.to + HOUR)).toBe(christmas);
    expect(freezeOverlapping([spring, christmas], christmas.to, christmas.to + HOUR)).toBeUndefined();
  });

  it('describeFreeze names the reason and when it ends', () => {
    expect(describeFreeze(christmas)).toBe(
      'Christmas (until <!date^1798329600^{date_short_pretty} {time}|2026-12-27 00:00 UTC>)',
    );
  });
});
