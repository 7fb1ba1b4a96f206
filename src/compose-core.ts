/**
 * The part of the composition root the `drawbridge` CLI needs: the core dependencies (store,
 * executors) and the run and window services, without Slack, the ticker or the metrics server, so that
 * a CLI command loads none of them (compose.ts builds the bot on top of these and re-exports them).
 */
import { systemClock, type Clock } from './base/clock.js';
import type { Logger } from './base/logger.js';
import type { AppConfig } from './config/load-config.js';
import type { CoreDeps } from './core/deps.js';
import type { PipelineObserver } from './core/pipeline/types.js';
import type { Executor } from './exec/executor.js';
import { createExecutor, minimalEnvironment } from './exec/index.js';
import { Store } from './store/store.js';
import { RunService } from './core/pipeline/run-service.js';
import { WindowService } from './core/windows/window-service.js';
import { OutboxStore } from './store/outbox-store.js';
import { EventBus } from './core/events/event-bus.js';
import { queueRunEvent } from './core/outbox/run-event-queue.js';
import { subscribeIntegrations } from './core/subscribers/integration-subscribers.js';

const openExecutors = new WeakMap<CoreDeps, Map<string, Executor>>();

export function buildCoreDeps(config: AppConfig, logger: Logger, clock: Clock = systemClock): CoreDeps {
  const store = Store.open(config.dataDir, clock);
  const executors = new Map<string, Executor>();
  const baseEnv = minimalEnvironment(config.hostEnvironment);
  const deps: CoreDeps = {
    config,
    store,
    clock,
    logger,
    executors: (environment) => {
      let ex = executors.get(environment);
      if (!ex) {
        const env = config.environment(environment);
        ex = createExecutor(env?.executor ?? { type: 'local' }, {
          logger,
          baseEnv,
          commandEnv: config.commandEnv(environment),
          clock,
        });
        executors.set(environment, ex);
      }
      return ex;
    },
  };
  openExecutors.set(deps, executors);
  return deps;
}

/** Closes what buildCoreDeps opened. */
export async function closeCoreDeps(deps: CoreDeps): Promise<void> {
  for (const ex of openExecutors.get(deps)?.values() ?? []) {
    await ex.close().catch((err: unknown) => deps.logger.warn({ err }, 'closing an executor failed'));
  }
  deps.store.close();
}

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
