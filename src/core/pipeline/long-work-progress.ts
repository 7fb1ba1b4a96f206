/**
 * Progress lines for long work inside a step, at most one per interval: the backup's and the
 * restore's periodic reports, and the elapsed time of a running migration against its impact
 * estimate. A line that only says time went by is shown without telling the step watchdog the step
 * is alive (`emit` directly, not `ctx.progress`): the watchdog must still see a stuck command; a line
 * that says work moved (more bytes dumped, another table) goes through `ctx.progress` and does.
 */
import type { ReviewReport } from '../../migrations/review/types.js';
import {
  formatDuration,
  PROGRESS_INTERVAL_MS,
  startTicker,
  type BackupProgress,
  type Ticker,
} from '../backup/index.js';
import type { StepContext } from './run-context.js';
import type { PipelineStep } from './types.js';

/** The impact estimate's seconds for `migration`, when the plan's review has one. Pure. */
export function estimatedSecondsOf(review: ReviewReport | undefined, migration: string): number | undefined {
  if (!review?.impact.available) return undefined;
  return review.impact.migrations.find((m) => m.migration === migration)?.estimatedSeconds;
}

/** `Migration 1 of 2: x — 12 s elapsed of ~30 s estimated (over the estimate)`. Pure. */
export function describeElapsed(label: string, elapsedMs: number, estimatedSeconds?: number): string {
  const est =
    estimatedSeconds === undefined
      ? ''
      : ` of ~${formatDuration(Math.max(1000, estimatedSeconds * 1000))} estimated${
          elapsedMs > Math.max(1000, estimatedSeconds * 1000) ? ' (over the estimate)' : ''
        }`;
  return `${label} — ${formatDuration(elapsedMs)} elapsed${est}`;
}

/** Forwards a backup's or restore's reports: movement keeps the step alive, mere time does not. */
export function progressForwarder(
  ctx: StepContext,
  step: PipelineStep,
  prefix = '',
): (p: BackupProgress) => void {
  let lastDone: number | undefined;
  return (p) => {
    const text = `${prefix}${p.amount ? p.message : `${p.phase}: ${p.message}`}`.slice(0, 200);
    if (p.amount && p.amount.done === lastDone) {
      ctx.emit({ kind: 'progress', runId: ctx.run.id, step, text });
      return;
    }
    lastDone = p.amount?.done;
    ctx.progress(text);
  };
}

/** While a migration runs: its label and elapsed time against the estimate, every interval. */
export class MigrationTimer {
  private ticker: Ticker | undefined;
  private label = '';
  private started = 0;
  private estimate: number | undefined;

  constructor(
    private readonly ctx: StepContext,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  /** A migration started (`label` is its progress line). */
  start(label: string, migration: string): void {
    this.label = label;
    this.started = this.ctx.deps.clock.now();
    this.estimate = estimatedSecondsOf(this.ctx.report.review, migration);
    this.ticker ??= startTicker(this.intervalMs, () => {
      const text = describeElapsed(this.label, this.ctx.deps.clock.now() - this.started, this.estimate);
      this.ctx.emit({ kind: 'progress', runId: this.ctx.run.id, step: 'apply', text });
    });
  }

  /** The line changed within the migration (e.g. the next statement); the time runs on. */
  relabel(label: string): void {
    this.label = label;
  }

  async stop(): Promise<void> {
    const t = this.ticker;
    this.ticker = undefined;
    await t?.stop();
  }
}
