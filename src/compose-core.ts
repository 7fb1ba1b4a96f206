/**
 * The run and window services as the `drawbridge` CLI builds them on the core dependencies
 * (core-deps.ts), without Slack, the ticker or the metrics server, so that a CLI command loads none of
 * them. Loaded only by the commands that use the services (cli/runtime.ts `cliServices`).
 */
import type { CoreDeps } from './core/deps.js';
import type { PipelineObserver } from './core/pipeline/types.js';
import { RunService } from './core/pipeline/run-service.js';
import { WindowService } from './core/windows/window-service.js';
import { OutboxStore } from './store/outbox-store.js';
import { EventBus } from './core/events/event-bus.js';
import { queueRunEvent } from './core/outbox/run-event-queue.js';
import { subscribeIntegrations } from './core/subscribers/integration-subscribers.js';

/** What the `drawbridge` CLI drives: the same run and window services as the bot, without Slack. */
export interface CliServices {
  readonly runs: RunService;
  readonly windows: WindowService;
}

/**
 * The CLI's services on its CoreDeps: a RunService whose events go to `observer` (the terminal) and
 * into the store's outbox (the run's Slack message and thread, the status page, the webhooks, as the
 * bot queues them), and a WindowService that queues its Statuspage calls there too. The bot's worker
 * delivers them (the CLI starts no worker, no ticker and no Slack client).
 */
export function composeCliServices(deps: CoreDeps, observer: PipelineObserver): CliServices {
  const outbox = new OutboxStore(deps.store);
  const bus = new EventBus(deps.logger);
  bus.onAny(observer);
  // What the CLI does reaches Slack, the status page and the webhooks through the shared outbox.
  bus.onAny((event) => queueRunEvent(outbox, event));
  subscribeIntegrations(deps, bus, outbox, () => undefined);
  const runs = new RunService(deps, bus.emit);
  const windows = new WindowService({ deps, runs, outbox, wake: () => undefined });
  return { runs, windows };
}
