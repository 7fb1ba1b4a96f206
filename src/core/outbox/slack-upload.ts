/**
 * A file (e.g. the watch summary's chart) into a run's Slack thread, by Slack's current upload flow:
 *
 * 1. `files.getUploadURLExternal` (`filename`, `length`) answers an `upload_url` and a `file_id`;
 * 2. the bytes are POSTed to that URL, multipart with one part named `body` as @slack/web-api's
 *    filesUploadV2 sends them, without the bot token (the URL carries its own authorisation);
 * 3. `files.completeUploadExternal` (`files: [{ id, title }]`, `channel_id`, `thread_ts`,
 *    `initial_comment`) shares the file in the thread.
 *
 * Like every outbox deliverer it never retries and never throws: a failure comes back as a
 * {@link DeliveryResult} saying which step failed and whether the outbox should try again, classified
 * by {@link classifySlackError} (the upload URL's HTTP status by the same rule as the Web API's).
 * Each attempt starts from step 1: an upload URL is single-use. If the answer to step 3 is lost, the
 * file may already be in the thread and the repeat attempt shares a second copy.
 */
import { redact } from '../../base/redact.js';
import type { DeliveryResult } from './outbox-worker.js';
import type { SlackWebClient } from './slack-client.js';
import { classifySlackError } from './slack-errors.js';

/** What {@link uploadFileToThread} shares, and where. */
export interface ThreadFileUpload {
  /** Channel id. */
  channel: string;
  /** The thread's parent message ts. */
  threadTs: string;
  /** e.g. `watch-run-42.png`; Slack derives the file type from its extension. */
  filename: string;
  /** Shown above the file in Slack. */
  title: string;
  bytes: Uint8Array;
  /** The message text posted with the file. */
  initialComment?: string;
  /** Aborts the attempt (the outbox worker stopping); the result is then a retryable failure. */
  signal?: AbortSignal;
  /** Bounds the POST of the bytes (the Web API calls are bounded by the client's own timeout). Default 30 s. */
  uploadTimeoutMs?: number;
}

/** What the outbox records for a shared file. */
export interface UploadedToThread {
  fileId: string;
  channel: string;
  threadTs: string;
}

type Failure = Extract<DeliveryResult, { ok: false }>;

const DEFAULT_UPLOAD_TIMEOUT_MS = 30_000;

function failed(step: string, verdict: Omit<Failure, 'ok'>): Failure {
  return { ok: false, ...verdict, error: `${step}: ${verdict.error}` };
}

/** A function, not an inline test: TypeScript would keep `signal.aborted` narrowed to false across awaits. */
const stopped = (signal: AbortSignal | undefined): boolean => signal?.aborted === true;

const aborted = (step: string): Failure => ({ ok: false, retryable: true, error: `${step}: aborted` });

/** By name, not `instanceof`: fetch's abort is a DOMException, not always an Error of this realm. */
function isTimeout(err: unknown): boolean {
  return (err as { name?: unknown } | null)?.name === 'TimeoutError';
}

/** fetch's "fetch failed" says little; its cause says what happened (ECONNREFUSED, a reset...). */
function describe(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { message?: unknown; cause?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const cause = e.cause as { code?: unknown; message?: unknown } | undefined;
  const why =
    typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
  return why === '' ? message : `${message} (${why})`;
}

/** Step 2. The answer's status is judged like a Web API call's HTTP status. */
async function postBytes(url: string, upload: ThreadFileUpload): Promise<Failure | undefined> {
  const step = 'upload';
  const body = new FormData();
  body.append('body', new Blob([upload.bytes]), upload.filename);
  const timeout = AbortSignal.timeout(upload.uploadTimeoutMs ?? DEFAULT_UPLOAD_TIMEOUT_MS);
  const signal = upload.signal === undefined ? timeout : AbortSignal.any([upload.signal, timeout]);
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, signal });
    await res.arrayBuffer();
  } catch (err) {
    if (stopped(upload.signal)) return aborted(step);
    const detail = isTimeout(err) ? 'no answer in time (timeout)' : `request failed: ${describe(err)}`;
    // The URL itself is a credential for this one upload: the error never names it.
    return {
      ok: false,
      retryable: true,
      error: `${step}: ${redact(detail.replaceAll(url, '<upload_url>'))}`,
    };
  }
  if (res.status === 200) return undefined;
  const headers = { 'retry-after': res.headers.get('retry-after') ?? undefined };
  return failed(
    step,
    classifySlackError({ code: 'slack_webapi_http_error', statusCode: res.status, headers }),
  );
}

/**
 * Uploads `upload.bytes` as a file and shares it in the thread `upload.threadTs` of `upload.channel`
 * (see the file comment for the three steps). Never throws.
 */
export async function uploadFileToThread(
  client: SlackWebClient,
  upload: ThreadFileUpload,
): Promise<DeliveryResult> {
  const { channel, threadTs, filename, title, bytes, initialComment, signal } = upload;
  let step = 'files.getUploadURLExternal';
  try {
    if (stopped(signal)) return aborted(step);
    const target = await client.files.getUploadURLExternal({ filename, length: bytes.byteLength });
    const { upload_url: url, file_id: fileId } = target;
    if (url === undefined || fileId === undefined) {
      return { ok: false, retryable: true, error: `${step}: the answer has no upload_url or file_id` };
    }

    const posted = await postBytes(url, upload);
    if (posted !== undefined) return posted;

    step = 'files.completeUploadExternal';
    if (stopped(signal)) return aborted(step);
    await client.files.completeUploadExternal({
      files: [{ id: fileId, title }],
      channel_id: channel,
      thread_ts: threadTs,
      ...(initialComment === undefined ? {} : { initial_comment: initialComment }),
    });
    return { ok: true, result: { fileId, channel, threadTs } satisfies UploadedToThread };
  } catch (err) {
    return failed(step, classifySlackError(err));
  }
}
