/**
 * The Bolt receiver, built here rather than by `App` so that it can be guarded before it starts:
 * HTTP mode (`POST /slack/events`, `GET /healthz`) with a screen that answers 400 for signed bodies
 * Bolt cannot dispatch, or Socket Mode (when an app-level token is configured) with a screen on the
 * WebSocket messages. Either way no request, however malformed, can end the process.
 */
import {
  HTTPModuleFunctions,
  HTTPReceiver,
  SocketModeReceiver,
  type Logger as BoltLogger,
  type CustomRoute,
} from '@slack/bolt';
import type { Logger } from '../../base/logger.js';
import { guardHttpReceiver } from './guard-http-receiver.js';
import { guardSocketModeClient } from './guard-socket-mode.js';

/** Where Slack posts events, commands and interactions in HTTP mode. */
const EVENTS_ENDPOINT = '/slack/events';

/** Bolt's own default (4 MB): far above any real Slack payload, and the screen reads the same. */
const BODY_LIMIT = HTTPModuleFunctions.defaultBodyLimit;

export interface ReceiverOptions {
  /** App-level token: Socket Mode when set. */
  appToken?: string | undefined;
  /** Signing secret (HTTP mode). */
  signingSecret?: string | undefined;
  /** Web API options (the Socket Mode client opens its connection through the Web API). */
  clientOptions: Record<string, unknown>;
  /** Extra HTTP routes (HTTP mode), e.g. `/healthz`. */
  customRoutes: CustomRoute[];
  boltLogger: BoltLogger;
  /** Where rejected requests are reported. */
  logger: Logger;
}

export type GuardedReceiver =
  { mode: 'http'; receiver: HTTPReceiver } | { mode: 'socket'; receiver: SocketModeReceiver };

/** Builds and guards the receiver for the configured mode. */
export function createReceiver(opts: ReceiverOptions): GuardedReceiver {
  if (opts.appToken) {
    const receiver = new SocketModeReceiver({
      appToken: opts.appToken,
      logger: opts.boltLogger,
      installerOptions: { clientOptions: opts.clientOptions },
    });
    guardSocketModeClient(receiver.client, opts.logger);
    return { mode: 'socket', receiver };
  }
  const signingSecret = opts.signingSecret ?? '';
  const receiver = new HTTPReceiver({
    signingSecret,
    endpoints: [EVENTS_ENDPOINT],
    customRoutes: opts.customRoutes,
    logger: opts.boltLogger,
    bodyLimit: BODY_LIMIT,
  });
  guardHttpReceiver(receiver, {
    signingSecret,
    bodyLimit: BODY_LIMIT,
    endpoint: EVENTS_ENDPOINT,
    logger: opts.logger,
  });
  return { mode: 'http', receiver };
}
