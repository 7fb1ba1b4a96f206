/**
 * What a window reminder says changed (describeChanges), how a check reads (summarizeCheck), and the
 * overrun flag of a run scheduled into a window (overrunOf). Pure.
 */
import { describeChanges, summarizeCheck, type PlanCheck } from '../../../src/core/windows/plan-check.js';
import { overrunOf } from '../../../src/core/windows/run-window.js';

const HOUR = 3_600_000;

function check(over: Partial<PlanCheck> = {}): PlanCheck {
  return {
    at: 0,
    verdict: 'ready',
    planHash: 'a'.repeat(64),
    plan: {
      environment: 'production',
      target: { identity: 'db:5432/app' },
      migrations: [
        { name: '20250102000000_orders', checksum: '1'.repeat(64) },
        { name: '20250103000000_user_name', checksum: '2'.repeat(64) },
      ],
      createdAt: 0,
    },
    review: { error: 0, warning: 1, info: 0 },
    rules: ['add-index-non-concurrent'],
    preflight: [
      { id: 'database', status: 'ok', message: 'Reachable' },
      { id: 'disk', status: 'ok', message: 'room' },
    ],
    ...over,
  };
}

describe('describeChanges', () => {
  it('says nothing when nothing changed', () => {
    expect(describeChanges(check(), check({ at: 5 }))).toEqual([]);
  });

  it('names an edited and an added migration, a new finding and a preflight that turned', () => {
    const before = check();
    const now = check({
      planHash: 'b'.repeat(64),
      plan: {
        ...before.plan,
        migrations: [
          { name: '20250102000000_orders', checksum: '3'.repeat(64) },
          { name: '20250103000000_user_name', checksum: '2'.repeat(64) },
          { name: '20250104000000_audit', checksum: '4'.repeat(64) },
        ],
      },
      review: { error: 1, warning: 1, info: 0 },
      rules: ['add-index-non-concurrent', 'set-not-null'],
      preflight: [
        { id: 'database', status: 'ok', message: 'Reachable' },
        { id: 'disk', status: 'fail', message: 'only 1 GB free' },
      ],
      verdict: 'blocked',
    });
    expect(describeChanges(before, now)).toEqual([
      'Migration 20250102000000_orders was edited since the plan was shown (checksum 111111111111 is now 333333333333).',
      'Migration 20250104000000_audit is new since the plan was shown.',
      'SQL review: 0 error(s) and 1 warning(s) before, 1 and 1 now.',
      'New review findings: set-not-null.',
      'Preflight disk: ok → fail (only 1 GB free)',
      'Verdict: ready → blocked.',
    ]);
  });
});

describe('summarizeCheck', () => {
  it.each([
    [[], 'preflight passes'],
    [[{ id: 'disk', status: 'warn', message: 'tight' }], 'preflight passes with warnings (disk)'],
    [[{ id: 'lock', status: 'fail', message: 'busy' }], 'preflight FAILS (lock)'],
  ])('%j → %s', (preflight, expected) => {
    expect(summarizeCheck(check({ preflight }))).toBe(
      `2 pending migration(s); review 0 error(s), 1 warning(s); ${expected}`,
    );
  });
});

describe('overrunOf', () => {
  const window = { startsAt: 10 * HOUR, endsAt: 12 * HOUR };
  it.each([
    ['unknown estimate', undefined, 0, false],
    ['fits from the start', 3600, 0, false],
    ['exactly the window', 7200, 0, false],
    ['longer than the window', 7201, 0, true],
    ['fits from the start, but the window is half gone', 5400, 11 * HOUR, true],
  ])('%s', (_what, seconds, now, flagged) => {
    const text = overrunOf(window, seconds, now);
    expect(text !== undefined).toBe(flagged);
    if (text) expect(text).toContain("would overrun the window's end");
  });
});
