/**
 * The uploadV2 flow: files.getUploadURLExternal, the upload URL itself, files.completeUploadExternal.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { botMessage, SlackApiError, type EmulatorContext } from './context.js';
import { channelArg } from './methods-chat.js';
import { readContent } from './message-content.js';
import { parseBody, readRaw } from './request-body.js';
import type { UploadedFile } from './types.js';

type Args = Record<string, unknown>;

export function getUploadUrlExternal(ctx: EmulatorContext, args: Args): Args {
  const filename = typeof args.filename === 'string' ? args.filename : '';
  const length = Number(args.length ?? 0);
  if (filename === '' || !Number.isFinite(length) || length <= 0) throw new SlackApiError('missing_argument');
  const id = ctx.ids.next('F');
  ctx.store.files.set(id, { id, filename, length, completed: false });
  return { ok: true, upload_url: `${ctx.baseUrl}/upload/v1/${id}`, file_id: id };
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
  if (file === undefined || file.completed) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('file_not_found');
    return;
  }
  const parsed = parseBody(raw, req.headers['content-type']);
  const part = parsed.fileParts.find((p) => p.name === 'body') ?? parsed.fileParts[0];
  const bodyField = parsed.args.body;
  file.content = part?.data ?? (typeof bodyField === 'string' ? Buffer.from(bodyField) : raw);
  ctx.store.changed();
  res.writeHead(200, { 'content-type': 'text/plain' }).end(`OK - ${file.content.length}`);
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
