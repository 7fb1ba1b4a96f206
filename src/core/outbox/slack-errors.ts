/**
 * What a failed Slack Web API call means for its delivery: try again (and when), or give up.
 *
 * Works on the errors @slack/web-api 8's WebClient throws (node_modules/@slack/web-api/dist/errors.js),
 * recognised by their stable `code`, not their class (two copies of the package would not share
 * classes) and never by message text:
 * - `slack_webapi_platform_error`: HTTP 200 `{ ok: false, error }`; `data.error` decides (tables below).
 *   An unknown error code is not retried: Slack's errors are about the request, and a request that
 *   was wrong once is wrong every time.
 * - `slack_webapi_http_error`: any non-200 but 429. 5xx, 408 and 429 are retried, other 4xx are not.
 * - `slack_webapi_rate_limited_error`: 429 with Retry-After, thrown when the client was built with
 *   `rejectRateLimitedCalls: true` (see slack-client.ts); retried after `retryAfter` seconds.
 * - `slack_webapi_request_error`: no answer (network error, connection reset, the client's timeout).
 *   Retried — and the call may have reached Slack, see slack-delivery.ts.
 * - anything else thrown (e.g. the plain Error of a 429 without a usable Retry-After): retried.
 */
import { redact } from '../../base/redact.js';

/** The verdict on one failed call. */
export interface SlackFailure {
  retryable: boolean;
  /** Short, redacted: the Slack error code or what happened on the wire. */
  error: string;
  /** Slack's Retry-After, in milliseconds, when it sent one. */
  retryAfterMs?: number;
}

/** Platform errors that say "not now": Slack's side failed or asked us to slow down. */
export const RETRYABLE_SLACK_ERRORS: ReadonlySet<string> = new Set([
  'ratelimited',
  'rate_limited', // chat.postMessage's per-channel posting limit
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org', // the workspace is being migrated; Slack says to retry later
]);

/**
 * Platform errors that will not change by trying again, named here for the reader; any other unknown
 * code is treated the same way.
 */
export const PERMANENT_SLACK_ERRORS: ReadonlySet<string> = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'not_authed',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'invalid_blocks',
  'invalid_blocks_format',
  'msg_too_long',
  'msg_blocks_too_long',
  'no_text',
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'thread_not_found',
  'user_not_found',
  'user_not_in_channel',
  'restricted_action',
  'invalid_arguments',
  'invalid_metadata_format',
]);

interface SlackLikeError {
  code?: unknown;
  data?: { error?: unknown; response_metadata?: { retryAfter?: unknown } };
  statusCode?: unknown;
  headers?: Record<string, unknown>;
  retryAfter?: unknown;
  original?: { name?: unknown; message?: unknown };
  message?: unknown;
}

function seconds(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number.parseInt(value, 10) : NaN;
  return Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
}

function withRetryAfter(verdict: SlackFailure, ms: number | undefined): SlackFailure {
  return ms === undefined ? verdict : { ...verdict, retryAfterMs: ms };
}

/** Classifies anything a WebClient call threw. */
export function classifySlackError(err: unknown): SlackFailure {
  const e = (typeof err === 'object' && err !== null ? err : {}) as SlackLikeError;
  switch (e.code) {
    case 'slack_webapi_platform_error': {
      const code = typeof e.data?.error === 'string' ? e.data.error : 'unknown_error';
      const retryAfterMs = seconds(e.data?.response_metadata?.retryAfter);
      return withRetryAfter({ retryable: RETRYABLE_SLACK_ERRORS.has(code), error: code }, retryAfterMs);
    }
    case 'slack_webapi_rate_limited_error': {
      const retryAfterMs = seconds(e.retryAfter);
      return withRetryAfter({ retryable: true, error: 'ratelimited (HTTP 429)' }, retryAfterMs);
    }
    case 'slack_webapi_http_error': {
      const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
      const retryable = status >= 500 || status === 408 || status === 429;
      return withRetryAfter({ retryable, error: `HTTP ${status}` }, seconds(e.headers?.['retry-after']));
    }
    case 'slack_webapi_request_error': {
      const detail = typeof e.original?.message === 'string' ? e.original.message : String(e.message);
      // fetch's abort is a DOMException; where it is not an Error of this realm the client wraps it as
      // `new Error(String(err))`, whose message then starts with the DOMException's name.
      const name = typeof e.original?.name === 'string' ? e.original.name : '';
      const timedOut = ['TimeoutError', 'AbortError'].some((n) => name === n || detail.startsWith(`${n}: `));
      return {
        retryable: true,
        error: redact(timedOut ? 'no answer in time (timeout)' : `request failed: ${detail}`),
      };
    }
    case 'slack_webapi_file_upload_invalid_args_error':
    case 'slack_webapi_file_upload_read_file_data_error':
      return { retryable: false, error: redact(String(e.message)) };
    default:
      return { retryable: true, error: redact(err instanceof Error ? err.message : String(err)) };
  }
}
