/**
 * POST /api/<method>: token checks, fault injection, dispatch, recording of every call.
 * Like Slack, errors are HTTP 200 `{ok:false,error}`; only injected faults use other statuses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SlackApiError, type EmulatorContext } from './context.js';
import * as chat from './methods-chat.js';
import * as conversations from './methods-conversations.js';
import * as dir from './methods-directory.js';
import * as files from './methods-files.js';
import * as views from './methods-views.js';
import { parseBody, readRaw, tokenOf } from './request-body.js';
import type { Fault } from './types.js';

type Args = Record<string, unknown>;

interface MethodSpec {
  /** Token kind the method accepts. */
  token: 'bot' | 'app' | 'any';
  scope?: string;
  run(ctx: EmulatorContext, args: Args, token: string): Args;
}

const METHODS: Record<string, MethodSpec> = {
  'auth.test': { token: 'any', run: dir.authTest },
  'chat.postMessage': { token: 'bot', scope: 'chat:write', run: chat.postMessage },
  'chat.update': { token: 'bot', scope: 'chat:write', run: chat.update },
  'chat.postEphemeral': { token: 'bot', scope: 'chat:write', run: chat.postEphemeral },
  'chat.getPermalink': { token: 'bot', run: chat.getPermalink },
  'views.open': { token: 'bot', run: views.open },
  'views.push': { token: 'bot', run: views.push },
  'views.update': { token: 'bot', run: views.update },
  'views.publish': { token: 'bot', run: views.publish },
  'users.info': { token: 'bot', scope: 'users:read', run: dir.usersInfo },
  'usergroups.users.list': { token: 'bot', scope: 'usergroups:read', run: dir.usergroupsUsersList },
  'conversations.info': { token: 'bot', scope: 'channels:read', run: dir.conversationsInfo },
  'conversations.history': {
    token: 'bot',
    scope: 'channels:history',
    run: conversations.conversationsHistory,
  },
  'conversations.replies': {
    token: 'bot',
    scope: 'channels:history',
    run: conversations.conversationsReplies,
  },
  'conversations.open': { token: 'bot', scope: 'im:write', run: conversations.conversationsOpen },
  'files.getUploadURLExternal': { token: 'bot', scope: 'files:write', run: files.getUploadUrlExternal },
  'files.completeUploadExternal': { token: 'bot', scope: 'files:write', run: files.completeUploadExternal },
  'apps.connections.open': { token: 'app', run: (ctx) => dir.appsConnectionsOpen(ctx) },
};

/** Names of the Web API methods the emulator implements. */
export const SUPPORTED_METHODS = Object.keys(METHODS);

function checkToken(ctx: EmulatorContext, spec: MethodSpec, token: string | undefined): string {
  if (token === undefined) throw new SlackApiError('not_authed');
  const { botToken, appToken } = ctx.opts;
  const kind = token === botToken ? 'bot' : appToken !== undefined && token === appToken ? 'app' : undefined;
  if (kind === undefined) throw new SlackApiError('invalid_auth');
  if (spec.token !== 'any' && spec.token !== kind) throw new SlackApiError('not_allowed_token_type');
  const scopes = ctx.opts.scopes;
  if (kind === 'bot' && spec.scope !== undefined && scopes !== undefined && !scopes.includes(spec.scope)) {
    throw new SlackApiError('missing_scope', { needed: spec.scope, provided: scopes.join(',') });
  }
  return token;
}

interface Answer {
  status: number;
  body: Args;
  headers: Record<string, string>;
}

/** The answer a fault gives instead of running the method; undefined for a `delay` (the method runs). */
function faultAnswer(fault: Fault | undefined): Answer | undefined {
  switch (fault?.kind) {
    case 'ratelimit':
      return {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(fault.retryAfterSec) },
      };
    case 'http':
      return { status: fault.status, body: { ok: false, error: `http_${fault.status}` }, headers: {} };
    case 'error':
      return {
        status: 200,
        body: { ok: false, error: fault.error },
        headers: fault.retryAfterSec === undefined ? {} : { 'retry-after': String(fault.retryAfterSec) },
      };
    default:
      return undefined;
  }
}

function run(ctx: EmulatorContext, method: string, args: Args, token: string | undefined): Answer {
  const spec = METHODS[method];
  try {
    if (spec === undefined) throw new SlackApiError('unknown_method');
    const valid = checkToken(ctx, spec, token);
    return { status: 200, body: spec.run(ctx, args, valid), headers: {} };
  } catch (err) {
    if (err instanceof SlackApiError)
      return { status: 200, body: { ok: false, error: err.error, ...err.extra }, headers: {} };
    throw err;
  }
}

/** Handles one Web API request. */
export async function handleApi(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
): Promise<void> {
  const raw = await readRaw(req);
  let args: Args;
  try {
    args = parseBody(raw, req.headers['content-type']).args;
  } catch {
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ok: false, error: 'invalid_json' }));
    return;
  }
  const token = tokenOf(req, args);
  const at = ctx.opts.clock.now();
  const fault = ctx.store.takeFault(method);
  const { status, body, headers } = faultAnswer(fault) ?? run(ctx, method, args, token);
  if (ctx.opts.scopes !== undefined) headers['x-oauth-scopes'] = ctx.opts.scopes.join(',');
  ctx.store.recordCall({
    method,
    args,
    token,
    at,
    response: body,
    status,
    ...(fault ? { fault: fault.kind } : {}),
  });
  const answer = (): void => {
    res
      .writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers })
      .end(JSON.stringify(body));
  };
  if (fault?.kind !== 'delay') {
    answer();
    return;
  }
  // The call has taken effect; the answer comes late (or never, if the client gave up and closed).
  const timer = setTimeout(() => {
    ctx.delayedAnswers.delete(timer);
    if (!res.destroyed) answer();
  }, fault.ms);
  ctx.delayedAnswers.add(timer);
}
