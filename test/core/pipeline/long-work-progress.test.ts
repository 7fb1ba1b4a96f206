/**
 * Progress lines of long work: the migration timer (elapsed against the impact estimate), the
 * forwarding of backup reports (movement keeps the step alive, time alone does not), and the CLI's
 * progress line (only on a terminal, at most once per interval).
 */
import { ManualClock, systemClock } from '../../../src/base/clock.js';
import { ProgressLine } from '../../../src/cli/progress-line.js';
import {
  describeElapsed,
  estimatedSecondsOf,
  MigrationTimer,
  progressForwarder,
} from '../../../src/core/pipeline/long-work-progress.js';
import type { StepContext } from '../../../src/core/pipeline/run-context.js';
import type { PipelineEvent } from '../../../src/core/pipeline/types.js';
import type { ReviewReport } from '../../../src/migrations/review/types.js';

const review = {
  results: [],
  summary: { error: 0, warning: 0, info: 0, suppressed: 0 },
  impact: {
    available: true,
    migrations: [{ migration: '2025_big', class: 'slow', estimatedSeconds: 30, reasoning: [], tables: [] }],
  },
} as unknown as ReviewReport;

/** The parts of a step context these helpers use, recording what they emit. */
function stepContext(): { ctx: StepContext; emitted: PipelineEvent[]; progressed: string[] } {
  const emitted: PipelineEvent[] = [];
  const progressed: string[] = [];
  const ctx = {
    run: { id: 'r1' },
    deps: { clock: systemClock },
    report: { review },
    emit: (e: PipelineEvent) => emitted.push(e),
    progress: (t: string) => progressed.push(t),
  } as unknown as StepContext;
  return { ctx, emitted, progressed };
}

const waitFor = async (cond: () => boolean): Promise<void> => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

describe('migration progress', () => {
  it('reads the estimate of a migration and says when it is exceeded', () => {
    expect(estimatedSecondsOf(review, '2025_big')).toBe(30);
    expect(estimatedSecondsOf(review, 'other')).toBeUndefined();
    expect(estimatedSecondsOf(undefined, '2025_big')).toBeUndefined();
    expect(describeElapsed('Migration 1 of 2: x', 12_000, 30)).toBe(
      'Migration 1 of 2: x — 12 s elapsed of ~30 s estimated',
    );
    expect(describeElapsed('m', 95_000, 30)).toBe(
      'm — 1 min 35 s elapsed of ~30 s estimated (over the estimate)',
    );
    expect(describeElapsed('m', 2_000)).toBe('m — 2 s elapsed');
  });

  it('shows the elapsed time while a migration runs, without claiming the step is alive', async () => {
    const { ctx, emitted, progressed } = stepContext();
    const timer = new MigrationTimer(ctx, 5);
    timer.start('Migration 1 of 1: 2025_big', '2025_big');
    await waitFor(() => emitted.length >= 2);
    timer.relabel('2025_big: statement 2 of 3');
    const before = emitted.length;
    await waitFor(() => emitted.length > before);
    await timer.stop();
    const after = emitted.length;
    await new Promise((r) => setTimeout(r, 30));
    expect(emitted.length).toBe(after);
    expect(progressed).toEqual([]);
    expect(emitted[0]).toMatchObject({ kind: 'progress', runId: 'r1', step: 'apply' });
    const last = emitted[emitted.length - 1];
    expect(last?.kind === 'progress' && last.text).toMatch(
      /^2025_big: statement 2 of 3 — \d+ s elapsed of ~30 s estimated$/,
    );
  });
});

describe('backup progress forwarding', () => {
  it('keeps the step alive when work moved, and only shows the line when time alone passed', () => {
    const { ctx, emitted, progressed } = stepContext();
    const forward = progressForwarder(ctx, 'backup');
    const report = (done: number) => ({
      phase: 'dump' as const,
      message: `pg_dump: ${done}`,
      amount: { unit: 'bytes' as const, done, total: 10, elapsedMs: 1 },
    });
    forward({ phase: 'prepare', message: 'Backup directory /b' });
    forward(report(1));
    forward(report(1));
    forward(report(5));
    expect(progressed).toEqual(['prepare: Backup directory /b', 'pg_dump: 1', 'pg_dump: 5']);
    expect(emitted).toEqual([{ kind: 'progress', runId: 'r1', step: 'backup', text: 'pg_dump: 1' }]);
  });
});

describe('the CLI progress line', () => {
  it('shows nothing when stderr is not a terminal', () => {
    const err: string[] = [];
    const line = new ProgressLine({ err: (t) => err.push(t) }, new ManualClock(0));
    line.show('Restore: 1 of 4 tables restored');
    expect(err).toEqual([]);
  });

  it('shows at most one line a second on a terminal', async () => {
    const err: string[] = [];
    const clock = new ManualClock(0);
    const line = new ProgressLine({ err: (t) => err.push(t), errIsTTY: true }, clock);
    line.show('a');
    line.show('b');
    await clock.advance(1000);
    line.show('c');
    expect(err).toEqual(['a', 'c']);
  });
});
