/**
 * The Bolt app: HTTP mode (`POST /slack/events`, `GET /healthz`) or Socket Mode when an app-level
 * token is configured (then `/healthz` is served by a small HTTP server of its own). The receiver is
 * built and guarded in `receivers/` so that no malformed request can end the process. Listeners ack at
 * once and continue after the ack; `stop()` drains that work before returning.
 */
import { App, webApi } from '@slack/bolt';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleOpsRequest, type OpsEndpoints } from '../core/index.js';
import { boltLogger } from './bolt-logger.js';
import { registerListeners } from './listeners/index.js';
import type { ListenerContext } from './listeners/context.js';
import { createReceiver } from './receivers/create-receiver.js';

export interface SlackApp {
  app: App;
  mode: 'http' | 'socket';
  /** Port of the HTTP server (events in HTTP mode, /healthz in both). */
  port: number;
  /** Stops Bolt and the health server (the composition root stops the rest first). */
  close(): Promise<void>;
}

/**
 * Builds, initialises (auth.test) and starts the app. `ops` says what `/healthz` answers and whether
 * `/metrics` is served on this port (default: `/healthz` always ok, no `/metrics`).
 */
export async function startSlackApp(
  ctx: ListenerContext,
  options: { port?: number; ops?: OpsEndpoints } = {},
): Promise<SlackApp> {
  const ops: OpsEndpoints = options.ops ?? { health: () => ({ ok: true }) };
  const opsRoute = (path: string) => ({
    path,
    method: ['GET'],
    handler: (req: Parameters<typeof handleOpsRequest>[1], res: Parameters<typeof handleOpsRequest>[2]) => {
      if (!handleOpsRequest(ops, req, res)) res.writeHead(404).end();
    },
  });
  const deps = ctx.deps;
  const env = deps.config.env;
  const port = options.port ?? env.PORT;
  const socketMode = Boolean(env.SLACK_APP_TOKEN);
  const clientOptions = {
    ...(env.SLACK_API_URL ? { slackApiUrl: env.SLACK_API_URL } : {}),
    retryConfig: webApi.retryPolicies.fiveRetriesInFiveMinutes,
    timeout: 15_000,
  };
  const logger = boltLogger(deps.logger);
  const { receiver } = createReceiver({
    appToken: env.SLACK_APP_TOKEN,
    signingSecret: env.SLACK_SIGNING_SECRET,
    clientOptions,
    boltLogger: logger,
    logger: deps.logger,
    customRoutes: [opsRoute('/healthz'), ...(ops.metrics ? [opsRoute('/metrics')] : [])],
  });
  const app = new App({
    token: env.SLACK_BOT_TOKEN,
    receiver,
    socketMode,
    clientOptions,
    logger,
    deferInitialization: true,
  });
  registerListeners(app, ctx);
  app.error(async (err) => {
    deps.logger.error({ err: err.message, code: err.code }, 'unhandled Slack listener error');
  });
  await app.init();

  let server: Server;
  let healthServer: Server | undefined;
  if (socketMode) {
    await app.start();
    healthServer = createServer((req, res) => {
      if (!handleOpsRequest(ops, req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => healthServer?.listen(port, '0.0.0.0', resolve));
    server = healthServer;
  } else {
    server = (await app.start(port)) as Server;
  }
  const actualPort = (server.address() as AddressInfo).port;
  deps.logger.info({ mode: socketMode ? 'socket' : 'http', port: actualPort }, 'Drawbridge is listening');

  return {
    app,
    mode: socketMode ? 'socket' : 'http',
    port: actualPort,
    async close() {
      await app.stop().catch((err: unknown) => deps.logger.warn({ err }, 'stopping Bolt failed'));
      if (healthServer) await new Promise<void>((resolve) => healthServer?.close(() => resolve()));
    },
  };
}
