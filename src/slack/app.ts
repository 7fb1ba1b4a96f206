/**
 * The Bolt app: HTTP mode (`POST /slack/events`, `GET /healthz`) or Socket Mode when an app-level
 * token is configured (then `/healthz` is served by a small HTTP server of its own). The receiver is
 * built and guarded in `receivers/` so that no malformed request can end the process. Listeners ack at
 * once and continue after the ack; `stop()` drains that work before returning.
 */
import { App, webApi } from '@slack/bolt';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InflightWork } from '../base/inflight.js';
import type { CoreDeps } from '../core/deps.js';
import { boltLogger } from './bolt-logger.js';
import { RunService } from '../core/pipeline/run-service.js';
import { describeError } from '../base/errors.js';
import { registerRunActions } from './listeners/actions/run-actions.js';
import { registerRestoreView } from './listeners/actions/restore-view.js';
import { registerCommands } from './listeners/commands/index.js';
import type { ListenerContext } from './listeners/context.js';
import { createReceiver } from './receivers/create-receiver.js';
import { RunMessenger } from './run-messenger.js';

/** How often runs left waiting past their approval window are expired. */
const EXPIRY_SWEEP_MS = 60_000;

export interface RunningSlackApp {
  app: App;
  mode: 'http' | 'socket';
  /** Port of the HTTP server (events in HTTP mode, /healthz in both). */
  port: number;
  inflight: InflightWork;
  runs: RunService;
  messenger: RunMessenger;
  /** Stops accepting, waits up to `drainMs` for work under way, then closes everything. */
  /**
   * Shutdown: runs under way stop at a safe point (RunService.shutdown, at most
   * `shutdown.applyWaitSeconds`), then other work drains (at most `drainMs`, default
   * `shutdown.drainSeconds`). Returns the runs left undecided and the work left over.
   */
  stop(drainMs?: number): Promise<{ undecided: string[]; left: number }>;
}

function healthBody(): string {
  return JSON.stringify({ ok: true });
}

/** Builds, initialises (auth.test) and starts the app. */
export async function startSlackApp(
  deps: CoreDeps,
  options: { port?: number } = {},
): Promise<RunningSlackApp> {
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
    customRoutes: [
      {
        path: '/healthz',
        method: ['GET'],
        handler: (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(healthBody());
        },
      },
    ],
  });
  const app = new App({
    token: env.SLACK_BOT_TOKEN,
    receiver,
    socketMode,
    clientOptions,
    logger,
    deferInitialization: true,
  });
  const inflight = new InflightWork();
  const messenger: RunMessenger = new RunMessenger({
    client: app.client,
    logger: deps.logger,
    teamChannel: deps.config.file.slack.channel,
    view: (runId: string) => runs.view(runId),
  });
  const runs: RunService = new RunService(deps, messenger.observe, async (groupId) => {
    const res = await app.client.usergroups.users.list({ usergroup: groupId });
    return res.users ?? [];
  });
  const ctx: ListenerContext = { deps, inflight, runs, messenger };
  registerCommands(app, ctx);
  registerRunActions(app, ctx);
  registerRestoreView(app, ctx);
  app.error(async (err) => {
    deps.logger.error({ err: err.message, code: err.code }, 'unhandled Slack listener error');
  });
  await app.init();

  let server: Server;
  let healthServer: Server | undefined;
  if (socketMode) {
    await app.start();
    healthServer = createServer((req, res) => {
      if (req.method === 'GET' && req.url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(healthBody());
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => healthServer?.listen(port, '0.0.0.0', resolve));
    server = healthServer;
  } else {
    server = (await app.start(port)) as Server;
  }
  const actualPort = (server.address() as AddressInfo).port;
  deps.logger.info({ mode: socketMode ? 'socket' : 'http', port: actualPort }, 'Drawbridge is listening');
  inflight.track(
    (async () => {
      const recovered = await runs.recover();
      if (recovered.length)
        deps.logger.warn({ runs: recovered.map((r) => r.run.id) }, 'interrupted runs found at start-up');
      await messenger.flush();
    })(),
    (err) => deps.logger.error({ err: describeError(err) }, 'start-up recovery failed'),
  );
  const sweep = setInterval(() => {
    try {
      runs.expireOverdue();
    } catch (err) {
      deps.logger.warn({ err: describeError(err) }, 'expiring overdue runs failed');
    }
  }, EXPIRY_SWEEP_MS);
  sweep.unref();

  return {
    app,
    mode: socketMode ? 'socket' : 'http',
    port: actualPort,
    inflight,
    runs,
    messenger,
    async stop(drainMs = deps.config.file.shutdown.drainSeconds * 1000) {
      clearInterval(sweep);
      const undecided = await runs.shutdown(deps.config.file.shutdown.applyWaitSeconds * 1000);
      if (undecided.length > 0)
        deps.logger.error(
          { runs: undecided },
          'stopping while a migration is still running: its outcome is decided from the journal at the next start',
        );
      const left = await inflight.drain(drainMs);
      await messenger.flush();
      if (left > 0) deps.logger.warn({ left }, 'stopping with work still under way');
      await app.stop().catch((err: unknown) => deps.logger.warn({ err }, 'stopping Bolt failed'));
      if (healthServer) await new Promise<void>((resolve) => healthServer?.close(() => resolve()));
      return { undecided, left };
    },
  };
}
