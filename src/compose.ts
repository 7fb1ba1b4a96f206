/**
 * The composition root: the only place (with main.ts) that creates real adapters. The CLI builds
 * its CoreDeps here; the bot is composed here whole (composeBot) and only its Slack listeners are
 * registered in slack/app.ts.
 */
import type { Clock } from './base/clock.js';
import type { Logger } from './base/logger.js';
import type { AppConfig } from './config/load-config.js';
import type { CoreDeps } from './core/deps.js';
import { describeError } from './base/errors.js';
import { InflightWork } from './base/inflight.js';
import { EventBus } from './core/events/event-bus.js';
import { statuspageDeliverer, webhookDeliverer } from './core/outbox/integration-delivery.js';
import { OutboxWorker, type Deliverer } from './core/outbox/outbox-worker.js';
import { createDeliveryClient } from './core/outbox/slack-client.js';
import { RunService } from './core/pipeline/run-service.js';
import { subscribeIntegrations } from './core/subscribers/integration-subscribers.js';
import { CronTicker, type Ticker } from './core/ticker.js';
import { startSlackApp, type SlackApp } from './slack/app.js';
import { RunMessenger } from './slack/run-messenger.js';
import { watchMessages } from './slack/watch-messages.js';
import { chartDeliverer, type ChartUpload } from './core/monitor/chart-delivery.js';
import { windowReminderDeliverer } from './slack/window-delivery.js';
import { WindowService } from './core/windows/window-service.js';
import { checkShadowConfigs } from './core/shadow/shadow-config-check.js';
import { OutboxStore, type OutboxMessage } from './store/outbox-store.js';
import { buildCoreDeps, closeCoreDeps } from './core-deps.js';
import { BotMetrics } from './core/metrics/bot-metrics.js';
import { HealthCheck } from './core/metrics/health.js';
import { startOpsServer, type OpsServer } from './core/metrics/ops-endpoints.js';

export { buildCoreDeps, closeCoreDeps } from './core-deps.js';
export { composeCliServices, type CliServices } from './compose-core.js';

/** Everything the bot is made of, built once. */
export interface ComposedBot {
  readonly deps: CoreDeps;
  readonly bus: EventBus;
  readonly outbox: OutboxStore;
  readonly worker: OutboxWorker;
  readonly runs: RunService;
  readonly messenger: RunMessenger;
  readonly ticker: Ticker;
  readonly inflight: InflightWork;
  readonly windows: WindowService;
  /** The bot's own Prometheus metrics (`GET /metrics`). */
  readonly metrics: BotMetrics;
  /** What `GET /healthz` answers. */
  readonly health: HealthCheck;
}

export interface ComposeOptions {
  readonly clock?: Clock;
  /** Default: node-cron every minute. Tests pass a ManualTicker. */
  readonly ticker?: Ticker;
  /** How long the outbox keeps trying an item (default 24 h). */
  readonly outboxHorizonMs?: number;
  /** How long one Slack delivery call may take before it counts as lost (default 10 s). */
  readonly slackTimeoutMs?: number;
}

/**
 * The composition root: store repositories, the event bus and its subscribers (Slack messages,
 * the status-page lifecycle, webhooks — all through the outbox), the outbox worker, the run
 * service and the ticker. The Slack app (slack/app.ts) only registers listeners on top of it.
 */
export function composeBot(config: AppConfig, logger: Logger, opts: ComposeOptions = {}): ComposedBot {
  const deps = buildCoreDeps(config, logger, opts.clock);
  const bus = new EventBus(logger);
  const outbox = new OutboxStore(deps.store);
  const client = createDeliveryClient(
    config.env.SLACK_BOT_TOKEN ?? '',
    config.env.SLACK_API_URL,
    opts.slackTimeoutMs ?? 10_000,
  );
  const runs: RunService = new RunService(deps, bus.emit, async (groupId) => {
    const res = await client.usergroups.users.list({ usergroup: groupId });
    return res.users ?? [];
  });
  const deliverers: Record<string, Deliverer> = {
    statuspage: statuspageDeliverer(deps, outbox),
    webhook: webhookDeliverer(deps),
    chart: chartDeliverer(client, (runId) => {
      const r = runs.find(runId);
      return r?.channel && r.messageTs ? { channel: r.channel, ts: r.messageTs } : undefined;
    }),
  };
  const horizonMs = opts.outboxHorizonMs ?? config.file.delivery.horizonHours * 3_600_000;
  const worker = new OutboxWorker({
    store: outbox,
    clock: deps.clock,
    logger,
    deliverers,
    horizonMs,
    onFirstFailure: (msg, error) => late(msg, error, false),
    onGaveUp: (msg, error) => late(msg, error, true),
  });
  const messenger: RunMessenger = new RunMessenger({
    client,
    logger,
    clock: deps.clock,
    teamChannel: config.file.slack.channel,
    view: (runId) => runs.view(runId),
    remember: (runId, channel, ts) => runs.runs.setMessage(runId, channel, ts),
    outbox,
    worker,
  });
  const windows = new WindowService({ deps, runs, outbox, wake: () => worker.wake() });
  const runDeliverer = messenger.deliverer();
  const windowDeliverer = windowReminderDeliverer({
    client,
    teamChannel: config.file.slack.channel,
    thread: (id) => windows.store.get(id)?.thread,
    remember: (id, channel, ts) => windows.store.setThread(id, channel, ts),
  });
  deliverers.slack = (msg, signal) =>
    msg.kind === 'slack.window' ? windowDeliverer(msg) : runDeliverer(msg, signal);
  /** Tells the run's thread that the status page or a webhook is late (once) or given up. */
  const late = (msg: OutboxMessage, error: string, gaveUp: boolean): void => {
    const runId =
      (msg.payload as { runId?: unknown; event?: { runId?: unknown } }).runId ??
      (msg.payload as { event?: { runId?: unknown } }).event?.runId;
    const what = msg.kind.startsWith('statuspage.')
      ? 'The status page'
      : msg.kind.startsWith('webhook.')
        ? 'A webhook'
        : undefined;
    logger.warn(
      { kind: msg.kind, runId, error, gaveUp },
      gaveUp ? 'a delivery was given up' : 'a delivery is late',
    );
    // The watch's chart could not be shared: its numbers go to the thread as text instead.
    if (gaveUp && msg.kind === 'chart.upload' && typeof runId === 'string')
      messenger.note(runId, 'watch-chart-fallback', `${(msg.payload as ChartUpload).fallback}\n_(${error})_`);
    if (!what || typeof runId !== 'string') return;
    messenger.note(
      runId,
      `${gaveUp ? 'gave-up' : 'late'}:${msg.kind}`,
      gaveUp
        ? `:warning: ${what} could not be updated and Drawbridge gave up: ${error}`
        : `:warning: ${what} could not be updated (${error}); Drawbridge keeps trying in the background.`,
    );
  };
  bus.onAny(messenger.observe);
  bus.onAny(watchMessages(messenger, (runId) => runs.view(runId)));
  subscribeIntegrations(deps, bus, outbox, () => worker.wake());
  const ticker = opts.ticker ?? new CronTicker(logger, () => deps.clock.now());
  ticker.onTick(() => void runs.expireOverdue());
  ticker.onTick(() => runs.tickWatches());
  ticker.onTick(() => windows.tick());
  const metrics = new BotMetrics({ clock: deps.clock, outbox, ticker, findRun: (id) => runs.find(id) });
  for (const [key, deliver] of Object.entries(deliverers)) deliverers[key] = metrics.countFailures(deliver);
  bus.onAny(metrics.observe);
  const health = new HealthCheck({ store: deps.store, outbox, ticker, clock: deps.clock, horizonMs });
  const inflight = new InflightWork();
  return { deps, bus, outbox, worker, runs, messenger, ticker, inflight, windows, metrics, health };
}

/** Starts the ticker, the outbox worker and start-up recovery (tracked as work under way). */
export function startBot(bot: ComposedBot): void {
  bot.worker.start();
  bot.ticker.start();
  bot.inflight.track(
    (async () => {
      const recovered = await bot.runs.recover();
      if (recovered.length)
        bot.deps.logger.warn({ runs: recovered.map((r) => r.run.id) }, 'interrupted runs found at start-up');
    })(),
    (err) => bot.deps.logger.error({ err: describeError(err) }, 'start-up recovery failed'),
  );
}

/**
 * Stops what startBot started: runs stop at a safe point, work under way drains, the outbox
 * delivers what it can within `drainMs`, then everything closes. Returns the runs left undecided.
 */
export async function stopBot(
  bot: ComposedBot,
  drainMs = bot.deps.config.file.shutdown.drainSeconds * 1000,
): Promise<{ undecided: string[]; left: number; undelivered: number }> {
  bot.ticker.stop();
  const undecided = await bot.runs.shutdown(bot.deps.config.file.shutdown.applyWaitSeconds * 1000);
  if (undecided.length > 0)
    bot.deps.logger.error(
      { runs: undecided },
      'stopping while a migration is still running: its outcome is decided from the journal at the next start',
    );
  const left = await bot.inflight.drain(drainMs);
  if (left > 0) bot.deps.logger.warn({ left }, 'stopping with work still under way');
  const undelivered = await bot.worker.drain(Math.min(drainMs, 10_000));
  if (undelivered > 0)
    bot.deps.logger.warn({ undelivered }, 'stopping with deliveries pending: they go out at the next start');
  await bot.worker.stop();
  return { undecided, left, undelivered };
}

/** The bot running: composed, listening, delivering. */
export interface RunningBot {
  readonly bot: ComposedBot;
  readonly slack: SlackApp;
  readonly port: number;
  readonly runs: RunService;
  readonly messenger: RunMessenger;
  readonly inflight: InflightWork;
  /** The port of `/metrics`' own server (`metrics.port`), when it has one. */
  readonly metricsPort?: number;
  /**
   * Shutdown: runs under way stop at a safe point (at most `shutdown.applyWaitSeconds`), other work
   * drains (at most `drainMs`, default `shutdown.drainSeconds`), the outbox delivers what it can,
   * then Slack and the store close. Returns the runs left undecided.
   */
  stop(drainMs?: number): Promise<{ undecided: string[]; left: number; undelivered: number }>;
}

/** Composes the bot, starts its Slack app, the outbox worker, the ticker and start-up recovery. */
export async function launchBot(
  config: AppConfig,
  logger: Logger,
  opts: ComposeOptions & { port?: number } = {},
): Promise<RunningBot> {
  const bot = composeBot(config, logger, opts);
  let slack: SlackApp;
  let metricsServer: OpsServer | undefined;
  try {
    // A shadow database that is its target itself stops the bot here (ConfigError).
    await checkShadowConfigs(bot.deps);
    // /metrics stays off the public Slack path: a port of its own, or a bearer token on the main port.
    const token = config.secrets.metricsToken();
    const scrape = { metrics: bot.metrics, ...(token === undefined ? {} : { token }) };
    const { port: metricsPort, host } = config.file.metrics;
    if (metricsPort !== undefined)
      metricsServer = await startOpsServer(scrape, { port: metricsPort, host }, logger);
    slack = await startSlackApp(
      {
        deps: bot.deps,
        inflight: bot.inflight,
        runs: bot.runs,
        messenger: bot.messenger,
        windows: bot.windows,
        metrics: bot.metrics,
      },
      {
        ...(opts.port === undefined ? {} : { port: opts.port }),
        ops: { health: () => bot.health.check(), ...(token === undefined ? {} : scrape) },
      },
    );
  } catch (err) {
    await metricsServer?.close();
    await closeCoreDeps(bot.deps);
    throw err;
  }
  startBot(bot);
  return {
    bot,
    slack,
    port: slack.port,
    ...(metricsServer ? { metricsPort: metricsServer.port } : {}),
    runs: bot.runs,
    messenger: bot.messenger,
    inflight: bot.inflight,
    async stop(drainMs?: number) {
      const stopped = await stopBot(bot, drainMs);
      await slack.close();
      await metricsServer?.close();
      await closeCoreDeps(bot.deps);
      return stopped;
    },
  };
}
