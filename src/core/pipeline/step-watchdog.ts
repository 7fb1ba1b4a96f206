/**
 * The per-step watchdog: a step that reports nothing (no progress line, no detail, no heartbeat) for
 * `environments.<env>.watchdog.stepStallMinutes` is stopped, its signal aborted so that the commands
 * and queries it runs are stopped too, and the run fails at that step saying so. A run never hangs.
 */
import type { StepContext, StepOutcome } from './run-context.js';
import { StepStopped } from './run-context.js';

/** Runs `fn` with a context whose signal also fires when the step stalls. */
export async function watchStep(
  ctx: StepContext,
  stallMs: number,
  fn: (ctx: StepContext) => Promise<StepOutcome>,
): Promise<StepOutcome> {
  const clock = ctx.deps.clock;
  const step = new AbortController();
  const stop = new AbortController();
  const forward = (): void => step.abort(ctx.signal.reason);
  if (ctx.signal.aborted) forward();
  else ctx.signal.addEventListener('abort', forward, { once: true });
  let last = clock.now();
  const touch = (): void => {
    last = clock.now();
  };
  const watched: StepContext = {
    ...ctx,
    signal: step.signal,
    progress: (text) => {
      touch();
      ctx.progress(text);
    },
    detail: (title, text, code) => {
      touch();
      ctx.detail(title, text, code);
    },
    alive: touch,
  };
  const stalled = (async (): Promise<never> => {
    for (;;) {
      await clock.sleep(Math.min(stallMs, 5000), stop.signal);
      if (clock.now() - last >= stallMs) {
        const minutes = Math.round(stallMs / 60_000);
        const err = new StepStopped(
          'STEP_STALLED',
          `The step reported no progress for ${minutes >= 1 ? `${minutes} min` : `${stallMs} ms`} and was stopped by the watchdog.`,
          false,
          { hint: 'Check the database and the bastion are reachable; the run can be retried.' },
        );
        step.abort(err);
        throw err;
      }
    }
  })();
  stalled.catch(() => undefined);
  try {
    return await Promise.race([fn(watched), stalled]);
  } catch (err) {
    // A step stopped because of the stall reports the stall, not what the abort made of it.
    if (step.signal.aborted && step.signal.reason instanceof StepStopped) throw step.signal.reason;
    throw err;
  } finally {
    stop.abort();
    ctx.signal.removeEventListener('abort', forward);
  }
}
