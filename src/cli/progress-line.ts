/**
 * The CLI's progress line: long work (a restore, a migration that runs for minutes) shows one line
 * on stderr at most once a second — only when stderr is a terminal (`CliIo.errIsTTY`), so that
 * scripts, CI logs and tests get the same output every time.
 */
import { systemClock, type Clock } from '../base/clock.js';

/** What the line needs of the CLI's io (CliIo in output.ts, which uses this file). */
export interface ProgressIo {
  err(text: string): void;
  readonly errIsTTY?: boolean;
}

/** `12 s`, `3 min 5 s`. Pure. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Shows progress lines, at most one per interval, when stderr is a terminal; otherwise nothing. */
export class ProgressLine {
  private last = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly io: ProgressIo,
    private readonly clock: Clock = systemClock,
    private readonly intervalMs = 1000,
  ) {}

  /** True when lines are shown at all. */
  get enabled(): boolean {
    return this.io.errIsTTY === true;
  }

  /** Shows `text` unless a line was shown less than an interval ago. */
  show(text: string): void {
    if (!this.enabled) return;
    const now = this.clock.now();
    if (now - this.last < this.intervalMs) return;
    this.last = now;
    this.io.err(text);
  }

  /** While something runs: `label — 12 s elapsed`, once an interval, until `stopTimer`. */
  startTimer(label: string): void {
    this.stopTimer();
    if (!this.enabled) return;
    const started = this.clock.now();
    this.timer = setInterval(
      () => this.show(`${label} — ${formatElapsed(this.clock.now() - started)} elapsed`),
      this.intervalMs,
    );
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
