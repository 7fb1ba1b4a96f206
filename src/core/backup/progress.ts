/** Progress of a backup or restore, for the live message and the thread. Messages are redacted. */
export interface BackupProgress {
  phase:
    | 'prepare'
    | 'dump'
    | 'checksum'
    | 'verify'
    | 'copy-off'
    | 'retention'
    | 'restore'
    | 'snapshot'
    | 'compare';
  message: string;
  /**
   * Present on the periodic reports of long work (at most one per `progressIntervalMs`): how much
   * is done against the estimate — bytes of table data for a dump, tables for a restore.
   */
  amount?: ProgressAmount;
}

/** What a periodic report measured. */
export interface ProgressAmount {
  readonly unit: 'bytes' | 'tables';
  readonly done: number;
  /** The estimate (absent when none could be made). */
  readonly total?: number;
  readonly elapsedMs: number;
  /** Estimated time left, when enough is done to tell. */
  readonly etaMs?: number;
}

export type ProgressListener = (progress: BackupProgress) => void;

/** Periodic progress reports come at most this often by default (the run message shows one a second). */
export const PROGRESS_INTERVAL_MS = 1000;

/** A running ticker; `stop` waits for a tick under way. */
export interface Ticker {
  stop(): Promise<void>;
}

/**
 * Calls `tick` every `intervalMs` until stopped. A tick still running (it may ask the executor's host
 * something) is never overlapped: the next one is skipped, so reports never come faster than the
 * interval. A failing tick is ignored (progress must not break the work it describes).
 */
export function startTicker(intervalMs: number, tick: () => Promise<void> | void): Ticker {
  let running: Promise<void> | undefined;
  const timer = setInterval(
    () => {
      if (running) return;
      running = Promise.resolve()
        .then(tick)
        .catch(() => undefined)
        .finally(() => {
          running = undefined;
        });
    },
    Math.max(1, intervalMs),
  );
  return {
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}

/** `45 s`, `3 min 5 s`, `1 h 2 min`: a duration for a progress line. Pure. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${s % 60} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** Time left at a constant rate, when at least 1 % is done and some time has passed. Pure. */
export function etaOf(done: number, total: number | undefined, elapsedMs: number): number | undefined {
  if (!total || total <= 0 || done <= 0 || elapsedMs <= 0) return undefined;
  const f = Math.min(1, done / total);
  if (f < 0.01) return undefined;
  return Math.max(0, Math.round((elapsedMs * (1 - f)) / f));
}
