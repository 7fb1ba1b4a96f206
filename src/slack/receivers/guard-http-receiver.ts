/**
 * A screen in front of Bolt's HTTP receiver. Bolt 5.1 verifies the signature, parses the body and then
 * reads `body.ssl_check` in an async closure nobody awaits: a signed `payload=null` (or a JSON body
 * `null`) throws there and the process dies of an unhandled rejection. The screen reads the body with
 * Bolt's own functions — the same size limit, the same signature check, the same parser — and answers
 * 400 for a verified body Bolt could not dispatch. Everything else, unsigned requests included, goes on
 * to Bolt unchanged (the buffered body is reused; Bolt verifies it again and answers 401 itself).
 */
import { HTTPModuleFunctions, isRawBodyError, type HTTPReceiver } from '@slack/bolt';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { describeError } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import { slackBodyProblem } from './slack-body.js';

/** What the screen needs to read a request the way Bolt will. */
export interface HttpGuardOptions {
  signingSecret: string;
  /** Bolt's `bodyLimit`, in bytes: the same value must be given to the receiver. */
  bodyLimit: number;
  /** The receiver's events endpoint, `/slack/events`. */
  endpoint: string;
  logger: Logger;
}

type Verdict = { pass: true } | { pass: false; status: number; reason: string };

async function screen(req: IncomingMessage, opts: HttpGuardOptions): Promise<Verdict> {
  try {
    await HTTPModuleFunctions.bufferIncomingMessage(req, opts.bodyLimit);
  } catch (err) {
    const tooLarge = isRawBodyError(err) && (err.statusCode === 413 || err.type === 'entity.too.large');
    return tooLarge
      ? { pass: false, status: 413, reason: `the body is larger than ${opts.bodyLimit} bytes` }
      : { pass: false, status: 400, reason: 'the body could not be read' };
  }
  let body: unknown;
  try {
    const verified = await HTTPModuleFunctions.parseAndVerifyHTTPRequest(
      { enabled: true, signingSecret: opts.signingSecret },
      req,
    );
    try {
      body = HTTPModuleFunctions.parseHTTPRequestBody(verified);
    } catch {
      return { pass: false, status: 400, reason: 'the body is not valid JSON' };
    }
  } catch {
    return { pass: true };
  }
  const problem = slackBodyProblem(body);
  return problem === undefined ? { pass: true } : { pass: false, status: 400, reason: problem };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Malformed Slack request',
  413: 'Request body too large',
  500: 'Internal error',
};

function answer(res: ServerResponse, status: number): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(`${STATUS_TEXT[status] ?? 'Error'}\n`);
}

function pathOf(req: IncomingMessage): string | undefined {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/** Puts the screen in front of the receiver's request listener (call before `app.start`). */
export function guardHttpReceiver(receiver: HTTPReceiver, opts: HttpGuardOptions): void {
  const next: RequestListener = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    if (req.method !== 'POST' || pathOf(req) !== opts.endpoint) {
      next(req, res);
      return;
    }
    screen(req, opts)
      .then((verdict) => {
        if (verdict.pass) {
          next(req, res);
          return;
        }
        opts.logger.warn(
          { status: verdict.status, reason: verdict.reason, contentType: req.headers['content-type'] },
          'rejected a malformed Slack request',
        );
        answer(res, verdict.status);
      })
      .catch((err: unknown) => {
        opts.logger.error({ err: describeError(err) }, 'screening a Slack request failed');
        answer(res, 500);
      });
  };
}
