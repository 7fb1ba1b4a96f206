/**
 * HTTP mode deliveries: signed POSTs to the app's request URL, timed against Slack's ack window.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { signedHeaders } from './signing.js';
import type { Delivery } from './types.js';

/** Exactly this content type: Bolt rejects a `; charset=` suffix with 400. */
export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** POSTs a body with exactly the given headers; resolves with status, body and time, or times out. */
export function postTo(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Delivery & { contentType?: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let timedOut = false;
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)), Connection: 'close' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          clearTimeout(timer);
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = res.headers['content-type'];
          const out: Delivery & { contentType?: string } = {
            status: res.statusCode ?? 0,
            ackMs: performance.now() - started,
            body: text,
            timedOut: false,
          };
          if (contentType !== undefined) out.contentType = contentType;
          if (contentType?.startsWith('application/json') === true && text !== '') {
            try {
              out.json = JSON.parse(text);
            } catch {
              // not JSON after all: body stays text
            }
          }
          resolve(out);
        });
      },
    );
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy();
      resolve({ status: 0, ackMs: performance.now() - started, body: '', timedOut: true });
    }, timeoutMs);
    req.on('error', (err) => {
      clearTimeout(timer);
      if (!timedOut) reject(err);
    });
    req.end(body);
  });
}

/** Slack's signed form POST (slash commands, interactivity). */
export function postSignedForm(
  url: string,
  signingSecret: string,
  fields: Record<string, string>,
  timeoutMs: number,
): Promise<Delivery> {
  const body = new URLSearchParams(fields).toString();
  const headers = {
    'Content-Type': FORM_CONTENT_TYPE,
    'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signedHeaders(signingSecret, body),
  };
  return postTo(url, body, headers, timeoutMs);
}

/** Slack's signed JSON POST (Events API). */
export function postSignedJson(
  url: string,
  signingSecret: string,
  payload: unknown,
  timeoutMs: number,
): Promise<Delivery> {
  const body = JSON.stringify(payload);
  const headers = {
    'Content-Type': 'application/json',
    'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
    ...signedHeaders(signingSecret, body),
  };
  return postTo(url, body, headers, timeoutMs);
}
