/**
 * The Slack Web API client that outbox deliveries use. It differs from the client Bolt builds for
 * listeners in three ways, all so that the outbox — not the client — decides about retries:
 * - `retryConfig: { retries: 0 }`: the client never repeats a call by itself. Its default (ten retries
 *   over about thirty minutes) would repeat a chat.postMessage whose answer was lost, posting it twice,
 *   and would hold the lane for half an hour without recording anything.
 * - `rejectRateLimitedCalls: true`: a 429 is thrown as `slack_webapi_rate_limited_error` with its
 *   Retry-After instead of pausing the client's whole request queue; the worker waits in the store.
 * - `timeout`: a call that gets no answer ends (`slack_webapi_request_error`) instead of blocking its
 *   lane for ever. The call may still have reached Slack: see findPostedByKey in slack-delivery.ts.
 */
import bolt, { type Logger as SlackClientLogger } from '@slack/bolt';

const { WebClient, LogLevel } = bolt.webApi;
export type SlackWebClient = InstanceType<typeof WebClient>;

/**
 * A WebClient for deliveries (see the file comment). `slackApiUrl` is SLACK_API_URL (e.g. the
 * emulator's `http://127.0.0.1:PORT/api/`); `timeoutMs` bounds each call. Without a `logger` the
 * client logs errors only to the console: its failures are reported by the outbox worker.
 */
export function createDeliveryClient(
  token: string,
  slackApiUrl?: string,
  timeoutMs = 10_000,
  logger?: SlackClientLogger,
): SlackWebClient {
  return new WebClient(token, {
    ...(slackApiUrl === undefined ? {} : { slackApiUrl }),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: timeoutMs,
    ...(logger === undefined ? { logLevel: LogLevel.ERROR } : { logger }),
  });
}
