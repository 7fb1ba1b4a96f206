/**
 * Generic outgoing webhooks: each event is POSTed as JSON to every configured URL, signed like
 * Slack/Stripe do it: `X-Drawbridge-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`
 * with `X-Drawbridge-Timestamp` in Unix seconds. 5xx, 429, timeouts and network errors are retried a
 * bounded number of times with exponential backoff on the injected clock; other answers are final.
 * A failed delivery is a result per URL, never an exception; cancellation rejects with the signal's
 * reason.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../base/clock.js';
import { redactDeep, registerSecret } from '../base/redact.js';
import { backoffDelay, describeFetchError, discardBody, isCallerAbort, timeoutSignal } from './http.js';

/** One configured receiver; `secret` is the resolved value (config holds only `secretEnv`). */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** Any JSON object with a `type`, e.g. `{ type: 'run:succeeded', runId, environment }`. */
export type WebhookEvent = { readonly type: string } & Readonly<Record<string, unknown>>;

export interface WebhookSenderOptions {
  clock: Clock;
  /** Retries after the first failed attempt (default 3). */
  retries?: number;
  /** First backoff; doubles each retry, capped at 30 s (default 500). */
  backoffMs?: number;
  /** Per-attempt timeout in real milliseconds (default 5000). */
  timeoutMs?: number;
}

/** How delivery to one URL ended. */
export interface WebhookDelivery {
  url: string;
  ok: boolean;
  /** Last HTTP status received, or null if none came. */
  status: number | null;
  attempts: number;
  /** Redacted reason for the last failed attempt. */
  error?: string;
}

export const SIGNATURE_HEADER = 'X-Drawbridge-Signature';
export const TIMESTAMP_HEADER = 'X-Drawbridge-Timestamp';

/** `v1=<hex>` signature of `<timestamp>.<body>` (timestamp in Unix seconds). */
export function signWebhook(secret: string, timestampSec: number, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex')}`;
}

/**
 * For receivers (and tests): true when `signature` matches and the timestamp is within
 * `toleranceSec` (default 300) of `nowMs`.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  timestamp: string;
  signature: string;
  body: string;
  nowMs: number;
  toleranceSec?: number;
}): boolean {
  const ts = Number(input.timestamp);
  if (!/^\d+$/.test(input.timestamp)) return false;
  if (Math.abs(input.nowMs / 1000 - ts) > (input.toleranceSec ?? 300)) return false;
  const expected = Buffer.from(signWebhook(input.secret, ts, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const MAX_BACKOFF_MS = 30_000;
const retryable = (status: number): boolean => status >= 500 || status === 429;

export class WebhookSender {
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly targets: readonly WebhookTarget[],
    private readonly options: WebhookSenderOptions,
  ) {
    for (const t of targets) registerSecret(t.secret);
    this.retries = options.retries ?? 3;
    this.backoffMs = options.backoffMs ?? 500;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  /**
   * Delivers `event` (redacted) to every target in parallel; one result per target, in config order.
   * `deliveryId` (X-Drawbridge-Delivery) lets receivers drop a repeat; default a fresh UUID.
   */
  send(
    event: WebhookEvent,
    signal?: AbortSignal,
    deliveryId: string = randomUUID(),
  ): Promise<WebhookDelivery[]> {
    const body = JSON.stringify(redactDeep(event));
    return Promise.all(this.targets.map((t) => this.deliver(t, event.type, deliveryId, body, signal)));
  }

  private async deliver(
    target: WebhookTarget,
    type: string,
    deliveryId: string,
    body: string,
    signal?: AbortSignal,
  ): Promise<WebhookDelivery> {
    const result: WebhookDelivery = { url: target.url, ok: false, status: null, attempts: 0 };
    for (let i = 0; i <= this.retries; i++) {
      if (i > 0) await this.options.clock.sleep(backoffDelay(this.backoffMs, i - 1, MAX_BACKOFF_MS), signal);
      result.attempts++;
      const answer = await this.post(target, type, deliveryId, body, signal);
      if (typeof answer === 'string') {
        result.error = answer;
        continue;
      }
      result.status = answer;
      result.ok = answer >= 200 && answer < 300;
      if (result.ok) {
        delete result.error;
        return result;
      }
      result.error = `HTTP ${answer}`;
      if (!retryable(answer)) return result;
    }
    return result;
  }

  /** One attempt: the status, or a reason string when no answer came. */
  private async post(
    target: WebhookTarget,
    type: string,
    deliveryId: string,
    body: string,
    signal?: AbortSignal,
  ): Promise<number | string> {
    const timestamp = Math.floor(this.options.clock.now() / 1000);
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          'Content-Type': 'application/json',
          'User-Agent': 'drawbridge-webhook',
          'X-Drawbridge-Event': type,
          'X-Drawbridge-Delivery': deliveryId,
          [TIMESTAMP_HEADER]: String(timestamp),
          [SIGNATURE_HEADER]: signWebhook(target.secret, timestamp, body),
        },
        body,
        signal: timeoutSignal(this.timeoutMs, signal),
      });
      await discardBody(res);
      return res.status;
    } catch (err) {
      if (isCallerAbort(signal)) throw signal?.reason;
      return describeFetchError(err, this.timeoutMs);
    }
  }
}
