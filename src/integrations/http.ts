/**
 * Small helpers shared by the HTTP integrations (Statuspage, health checks, webhooks, metrics).
 * Request timeouts use real timers on purpose: they bound real network I/O, and a manual clock that
 * is advanced in big steps by a test must not time out a request that is still in flight. Waits
 * between attempts (backoff) use the injected Clock instead.
 */
import { redact } from '../base/redact.js';

/** A signal that aborts after `timeoutMs` of real time, or when `signal` aborts, whichever is first. */
export function timeoutSignal(timeoutMs: number, signal?: AbortSignal): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([timeout, signal]) : timeout;
}

/** True when the error came from the caller's own signal (cancellation), not from a timeout. */
export function isCallerAbort(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/**
 * One redacted line describing why a fetch failed: a timeout, a refused connection, a reset, etc.
 * Node's fetch throws `TypeError('fetch failed')` with the useful part in `cause`.
 */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  // Duck-typed on purpose: errors from Node's fetch may come from another realm (e.g. a test VM).
  const e = (err && typeof err === 'object' ? err : {}) as {
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = (e.cause && typeof e.cause === 'object' ? e.cause : {}) as {
    code?: unknown;
    message?: unknown;
  };
  const code = typeof cause.code === 'string' ? cause.code : undefined;
  const message = typeof cause.message === 'string' && cause.message ? cause.message : undefined;
  if (message) return redact(code && !message.includes(code) ? `${code}: ${message}` : message);
  if (code) return code;
  return redact(typeof e.message === 'string' ? e.message : String(err));
}

/** Reads and discards a response body so the connection can be reused; never throws. */
export async function discardBody(res: Response): Promise<void> {
  try {
    await res.arrayBuffer();
  } catch {
    // The body is of no interest; a broken stream changes nothing about the result.
  }
}

/** Exponential backoff: `base * 2^attempt`, capped at `max`. `attempt` counts from 0. */
export function backoffDelay(baseMs: number, attempt: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** attempt);
}
