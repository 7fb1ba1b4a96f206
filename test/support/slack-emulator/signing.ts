/**
 * Slack request signing (v0): `v0=` + hex HMAC-SHA256(signing secret, `v0:<timestamp>:<raw body>`).
 */
import { createHmac } from 'node:crypto';
import { systemClock } from '../../../src/base/clock.js';

/** Computes the `X-Slack-Signature` value for a timestamp (Unix seconds) and the exact raw body. */
export function computeSlackSignature(
  signingSecret: string,
  timestamp: string | number,
  rawBody: string,
): string {
  const hmac = createHmac('sha256', signingSecret);
  hmac.update(`v0:${String(timestamp)}:${rawBody}`);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * The two signature headers Slack adds to every request to the app. The timestamp is wall-clock time,
 * because the app verifies it against its own wall clock.
 */
export function signedHeaders(
  signingSecret: string,
  rawBody: string,
  timestampSec: number = Math.floor(systemClock.now() / 1000),
): Record<string, string> {
  return {
    'X-Slack-Request-Timestamp': String(timestampSec),
    'X-Slack-Signature': computeSlackSignature(signingSecret, timestampSec, rawBody),
  };
}
