/**
 * HTTP health check with retries and exponential backoff. An unhealthy or unreachable target is a
 * result (`ok: false` with every attempt recorded), never an exception; only an invalid config throws
 * (`HEALTHCHECK_CONFIG`), and cancellation rejects with the signal's reason.
 */
import type { Clock } from '../base/clock.js';
import { DrawbridgeError } from '../base/errors.js';
import { redact } from '../base/redact.js';
import { backoffDelay, describeFetchError, discardBody, isCallerAbort, timeoutSignal } from './http.js';

/** The `healthcheck` block of an environment's config. */
export interface HealthCheckConfig {
  /** http(s) URL to GET. Redirects are not followed: a 3xx is the answer. */
  url: string;
  /** The status that means healthy, e.g. 200. */
  expectStatus: number;
  /** Per-attempt timeout in real milliseconds. */
  timeoutMs: number;
  /** Attempts after the first failure: at most `retries + 1` requests in all. */
  retries: number;
  /** Wait before the first retry; doubles each time, capped at 30 s (default 500). */
  backoffMs?: number;
}

/** One request. Exactly one of `status` (an answer came) or `error` (none came) is set. */
export interface HealthAttempt {
  status?: number;
  /** Redacted reason no answer came: timeout, refused connection, … */
  error?: string;
  /** Measured on the injected clock. */
  durationMs: number;
}

export interface HealthCheckResult {
  /** True when an attempt got `expectStatus`. */
  ok: boolean;
  attempts: HealthAttempt[];
  /** Status of the last answer received, or null if no attempt got one. */
  lastStatus: number | null;
}

const MAX_BACKOFF_MS = 30_000;

/** Throws `HEALTHCHECK_CONFIG` when the config cannot describe a health check. */
export function validateHealthCheckConfig(config: HealthCheckConfig): void {
  const fail = (what: string): never => {
    throw new DrawbridgeError('HEALTHCHECK_CONFIG', `Invalid health check config: ${what}`, {
      hint: 'Fix the healthcheck block of this environment in drawbridge.yml.',
    });
  };
  let url: URL | undefined;
  try {
    url = new URL(config.url);
  } catch {
    fail(`url ${redact(String(config.url))} is not a URL`);
  }
  if (url && url.protocol !== 'http:' && url.protocol !== 'https:') fail('url must be http or https');
  const int = (v: number, min: number, max: number): boolean => Number.isInteger(v) && v >= min && v <= max;
  if (!int(config.expectStatus, 100, 599)) fail('expectStatus must be an HTTP status (100-599)');
  if (!int(config.timeoutMs, 1, 600_000)) fail('timeoutMs must be a positive integer');
  if (!int(config.retries, 0, 100)) fail('retries must be an integer from 0 to 100');
  if (config.backoffMs !== undefined && !int(config.backoffMs, 0, MAX_BACKOFF_MS))
    fail('backoffMs out of range');
}

/** GETs `config.url` until it answers `expectStatus` or the retries run out. */
export async function checkHealth(
  config: HealthCheckConfig,
  clock: Clock,
  signal?: AbortSignal,
): Promise<HealthCheckResult> {
  validateHealthCheckConfig(config);
  const attempts: HealthAttempt[] = [];
  let lastStatus: number | null = null;
  for (let i = 0; i <= config.retries; i++) {
    if (i > 0) await clock.sleep(backoffDelay(config.backoffMs ?? 500, i - 1, MAX_BACKOFF_MS), signal);
    const attempt = await attemptOnce(config, clock, signal);
    attempts.push(attempt);
    if (attempt.status !== undefined) lastStatus = attempt.status;
    if (attempt.status === config.expectStatus) return { ok: true, attempts, lastStatus };
  }
  return { ok: false, attempts, lastStatus };
}

async function attemptOnce(
  config: HealthCheckConfig,
  clock: Clock,
  signal?: AbortSignal,
): Promise<HealthAttempt> {
  const started = clock.now();
  try {
    const res = await fetch(config.url, {
      method: 'GET',
      redirect: 'manual',
      headers: { Accept: 'application/json, text/plain, */*', 'User-Agent': 'drawbridge-healthcheck' },
      signal: timeoutSignal(config.timeoutMs, signal),
    });
    await discardBody(res);
    return { status: res.status, durationMs: clock.now() - started };
  } catch (err) {
    if (isCallerAbort(signal)) throw signal?.reason;
    return { error: describeFetchError(err, config.timeoutMs), durationMs: clock.now() - started };
  }
}
