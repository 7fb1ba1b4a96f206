/** Test helpers that move a ManualClock forward while real loopback I/O runs in between. */
import type { ManualClock } from '../../src/base/clock.js';

/** Polls `cond` on real time (1 ms steps, bounded) until it holds. */
export async function waitFor(cond: () => boolean, what: string, limit = 5000): Promise<void> {
  for (let i = 0; i < limit; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Lets `promise` run to the end, advancing `clock` by `stepMs` each time it is found sleeping.
 * Returns the outcome and how far the clock moved.
 */
export async function runWithClock<T>(
  clock: ManualClock,
  promise: Promise<T>,
  stepMs: number,
  maxSteps = 100,
) {
  let settled = false;
  const watched = promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  void watched.finally(() => {
    settled = true;
  });
  const start = clock.now();
  for (let step = 0; step < maxSteps; step++) {
    await waitFor(() => settled || clock.pendingSleepers > 0, 'a sleeper or the end');
    if (settled) break;
    await clock.advance(stepMs);
  }
  const outcome = await watched;
  return { outcome, elapsedMs: clock.now() - start };
}
