/**
 * When to try a failed delivery again, or whether to give it up: pure, so every case is a table test.
 */

/** The retry settings of the outbox worker. */
export interface RetryPolicy {
  /** Wait before the second attempt; each further attempt doubles it. */
  baseDelayMs: number;
  /** Longest wait between two attempts (before a Retry-After, which may ask for longer). */
  maxDelayMs: number;
  /** An item is given up once a failed attempt ends this long after it was queued. */
  horizonMs: number;
}

/** A failed attempt, as a deliverer reports it. */
export interface AttemptFailure {
  retryable: boolean;
  error: string;
  /** The destination's own "not before" (HTTP 429 Retry-After), honoured as the minimum wait. */
  retryAfterMs?: number;
}

export type RetryDecision = { giveUp: false; nextAttemptAt: number } | { giveUp: true; reason: string };

/**
 * Exponential backoff with "equal jitter": the n-th wait is between half and all of
 * `min(maxDelayMs, baseDelayMs * 2^(n-1))`, so waits grow but two lanes that failed together do not
 * retry in lockstep. `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const exponent = Math.max(0, attempt - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 40));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The decision after attempt number `attempts` (1 for the first) of an item queued at `createdAt`
 * failed at `now`. Non-retryable failures are given up at once. Otherwise the next attempt is after
 * the backoff or the Retry-After, whichever is later; the last one is placed at the horizon itself
 * (unless Retry-After asks for later), and a failure at or past the horizon gives up.
 */
export function decideAfterFailure(
  failure: AttemptFailure,
  item: { attempts: number; createdAt: number },
  now: number,
  policy: RetryPolicy,
  random: () => number,
): RetryDecision {
  if (!failure.retryable) return { giveUp: true, reason: failure.error };
  const deadline = item.createdAt + policy.horizonMs;
  if (now >= deadline) {
    return {
      giveUp: true,
      reason: `${failure.error} (still failing ${formatDuration(now - item.createdAt)} after it was queued)`,
    };
  }
  const retryAfter = Math.max(0, failure.retryAfterMs ?? 0);
  const wait = Math.max(backoffDelay(item.attempts, policy, random), retryAfter);
  const nextAttemptAt = Math.min(now + wait, Math.max(deadline, now + retryAfter));
  return { giveUp: false, nextAttemptAt };
}

/** `90 s`, `12 min`, `25 h`. */
export function formatDuration(ms: number): string {
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 120 * 60_000) return `${Math.round(ms / 60_000)} min`;
  return `${Math.round(ms / 3_600_000)} h`;
}
