/**
 * Reading request bodies the way Slack's Web API does: form, JSON and multipart are all accepted;
 * fields that carry JSON in a form (blocks, view, files...) are decoded.
 */
import type { IncomingMessage } from 'node:http';

/** Form fields whose string value is JSON. */
const JSON_FIELDS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata']);

/** A multipart part that carried a file. */
export interface FilePart {
  name: string;
  filename: string;
  data: Buffer;
}

export interface ParsedBody {
  args: Record<string, unknown>;
  fileParts: FilePart[];
  /** Set when a JSON-carrying field did not parse (Slack answers invalid_blocks_format / invalid_arguments). */
  badJsonField?: string;
}

export async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function decodeJsonFields(args: Record<string, unknown>): string | undefined {
  let bad: string | undefined;
  for (const key of Object.keys(args)) {
    const v = args[key];
    if (!JSON_FIELDS.has(key) || typeof v !== 'string') continue;
    try {
      args[key] = JSON.parse(v);
    } catch {
      bad = key;
    }
  }
  return bad;
}

function parseMultipart(
  raw: Buffer,
  boundary: string,
): { fields: Record<string, unknown>; fileParts: FilePart[] } {
  const fields: Record<string, unknown> = {};
  const fileParts: FilePart[] = [];
  const delimiter = Buffer.from(`--${boundary}`);
  let pos = raw.indexOf(delimiter);
  while (pos !== -1) {
    const start = pos + delimiter.length;
    if (raw.subarray(start, start + 2).toString() === '--') break;
    const next = raw.indexOf(delimiter, start);
    if (next === -1) break;
    const part = raw.subarray(start + 2, next - 2); // skip CRLF after delimiter and before the next
    const headerEnd = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, headerEnd).toString('utf8');
    const data = part.subarray(headerEnd + 4);
    const name = /name="([^"]*)"/i.exec(head)?.[1] ?? '';
    const filename = /filename="([^"]*)"/i.exec(head)?.[1];
    if (filename !== undefined) fileParts.push({ name, filename, data: Buffer.from(data) });
    else fields[name] = data.toString('utf8');
    pos = next;
  }
  return { fields, fileParts };
}

/** Parses a request body by its Content-Type. */
export function parseBody(raw: Buffer, contentType: string | undefined): ParsedBody {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json') {
    const text = raw.toString('utf8');
    const parsed: unknown = text.length > 0 ? JSON.parse(text) : {};
    const args =
      typeof parsed === 'object' && parsed !== null ? { ...(parsed as Record<string, unknown>) } : {};
    return { args, fileParts: [] };
  }
  if (type === 'multipart/form-data') {
    const boundary = /boundary=("?)([^";]+)\1/i.exec(contentType ?? '')?.[2] ?? '';
    const { fields, fileParts } = parseMultipart(raw, boundary);
    return { args: fields, fileParts, badJsonField: decodeJsonFields(fields) };
  }
  const args: Record<string, unknown> = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  return { args, fileParts: [], badJsonField: decodeJsonFields(args) };
}

/** `Authorization: Bearer <token>` first, then the `token` body field. */
export function tokenOf(req: IncomingMessage, args: Record<string, unknown>): string | undefined {
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  if (m?.[1]) return m[1];
  return typeof args.token === 'string' && args.token.length > 0 ? args.token : undefined;
}
