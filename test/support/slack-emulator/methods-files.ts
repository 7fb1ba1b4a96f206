/**
 * The uploadV2 flow: files.getUploadURLExternal, the upload URL itself, files.completeUploadExternal.
 * Faults for the two methods are injected by their names like any method's; faults for the upload URL
 * under {@link UPLOAD_URL_METHOD}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { botMessage, SlackApiError, type EmulatorContext } from './context.js';
import { channelArg } from './methods-chat.js';
import { readContent } from './message-content.js';
import { parseBody, readRaw } from './request-body.js';
import type { Fault, UploadedFile } from './types.js';

/**
 * The name the upload URL goes by in `injectFault` and in the recorded calls (args `file_id`, `bytes`).
 * Its faults: `ratelimit` → 429 with Retry-After, `http` → that status, `error` → 400 with the error
 * as text, `delay` → the bytes are stored at once and the answer comes after `ms`.
 */
export const UPLOAD_URL_METHOD = 'upload_url';

type Args = Record<string, unknown>;

export function getUploadUrlExternal(ctx: EmulatorContext, args: Args): Args {
  const filename = typeof args.filename === 'string' ? args.filename : '';
  const length = Number(args.length ?? 0);
  if (filename === '' || !Number.isFinite(length) || length <= 0) throw new SlackApiError('missing_argument');
  const id = ctx.ids.next('F');
  ctx.store.files.set(id, { id, filename, length, completed: false });
  return { ok: true, upload_url: `${ctx.baseUrl}/upload/v1/${id}`, file_id: id };
}

interface UploadAnswer {
  status: number;
  text: string;
  headers: Record<string, string>;
}

function uploadFaultAnswer(fault: Fault | undefined): UploadAnswer | undefined {
  switch (fault?.kind) {
    case 'ratelimit':
      return { status: 429, text: 'ratelimited', headers: { 'retry-after': String(fault.retryAfterSec) } };
    case 'http':
      return { status: fault.status, text: `http_${fault.status}`, headers: {} };
    case 'error':
      return { status: 400, text: fault.error, headers: {} };
    default:
      return undefined;
  }
}

function storeUpload(req: IncomingMessage, raw: Buffer, file: UploadedFile | undefined): UploadAnswer {
  if (file === undefined || file.completed) return { status: 404, text: 'file_not_found', headers: {} };
  const parsed = parseBody(raw, req.headers['content-type']);
  const part = parsed.fileParts.find((p) => p.name === 'body') ?? parsed.fileParts[0];
  const bodyField = parsed.args.body;
  file.content = part?.data ?? (typeof bodyField === 'string' ? Buffer.from(bodyField) : raw);
  return { status: 200, text: `OK - ${file.content.length}`, headers: {} };
}

/** POST /upload/v1/<file id>: multipart with a part named `body` (or a raw body). */
export async function handleUpload(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  fileId: string,
): Promise<void> {
  const file = ctx.store.files.get(fileId);
  const raw = await readRaw(req);
  const at = ctx.opts.clock.now();
  const fault = ctx.store.takeFault(UPLOAD_URL_METHOD);
  const { status, text, headers } = uploadFaultAnswer(fault) ?? storeUpload(req, raw, file);
  ctx.store.recordCall({
    method: UPLOAD_URL_METHOD,
    args: { file_id: fileId, bytes: raw.length },
    token: undefined,
    at,
    response: { status, text },
    status,
    ...(fault ? { fault: fault.kind } : {}),
  });
  const answer = (): void => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers }).end(text);
  };
  if (fault?.kind !== 'delay') {
    answer();
    return;
  }
  const timer = setTimeout(() => {
    ctx.delayedAnswers.delete(timer);
    if (!res.destroyed) answer();
  }, fault.ms);
  ctx.delayedAnswers.add(timer);
}

function fileObject(f: UploadedFile): Record<string, unknown> {
  return {
    id: f.id,
    name: f.filename,
    title: f.title ?? f.filename,
    mimetype: 'text/plain',
    filetype: 'text',
    size: f.content?.length ?? f.length,
  };
}

export function completeUploadExternal(ctx: EmulatorContext, args: Args): Args {
  const list = args.files;
  if (!Array.isArray(list) || list.length === 0) throw new SlackApiError('invalid_arguments');
  const files = list.map((entry: unknown) => {
    const e = (entry ?? {}) as Record<string, unknown>;
    const f = typeof e.id === 'string' ? ctx.store.files.get(e.id) : undefined;
    if (f === undefined || f.content === undefined || f.completed) throw new SlackApiError('file_not_found');
    return { f, title: typeof e.title === 'string' ? e.title : undefined };
  });
  const channel =
    args.channel_id !== undefined || args.channels !== undefined
      ? channelArg(ctx, { channel: args.channel_id ?? args.channels })
      : undefined;
  const content = readContent({ text: args.initial_comment, blocks: args.blocks }, 40000, true);
  for (const { f, title } of files) {
    f.completed = true;
    if (title !== undefined) f.title = title;
    if (channel !== undefined) f.channel = channel;
  }
  const objects = files.map(({ f }) => fileObject(f));
  if (channel !== undefined) {
    const threadTs = typeof args.thread_ts === 'string' ? args.thread_ts : undefined;
    const m = botMessage(
      ctx,
      channel,
      {
        text: content.text ?? '',
        ...(content.blocks ? { blocks: content.blocks } : {}),
        ...(threadTs ? { thread_ts: threadTs } : {}),
      },
      'files',
    );
    m.subtype = 'file_share';
    m.files = objects;
    ctx.store.addMessage(m);
  } else {
    ctx.store.changed();
  }
  return { ok: true, files: objects };
}
