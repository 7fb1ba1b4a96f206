/**
 * The status-page lifecycle and the webhooks as subscribers of the event stream: a run that starts
 * opens its status-page maintenance (components under maintenance) and tells the webhooks; a run
 * that ends completes it (components operational) or posts the failure (components per
 * `statuspage.onFailure`); a way back that ends a run (`run:returned`) completes it. Everything goes through the outbox: a status page or webhook that is
 * down delays the message, never the run, and never changes its outcome.
 */
import type { OutboxStore } from '../../store/outbox-store.js';
import { RunStore } from '../../store/run-store.js';
import { WindowStore } from '../../store/window-store.js';
import type { CoreDeps } from '../deps.js';
import type { EventBus } from '../events/event-bus.js';
import {
  statuspageStartKey,
  type StatuspageFinish,
  type StatuspageStart,
} from '../outbox/integration-delivery.js';

/** How a finished run reads to the outside. */
function endOf(state: string): 'succeeded' | 'failed' | 'cancelled' | 'interrupted' {
  if (state === 'done' || state === 'succeeded' || state === 'monitoring') return 'succeeded';
  if (state === 'cancelled' || state === 'interrupted') return state;
  return 'failed';
}

/** The incident name of a run's maintenance (searched for after a lost answer). */
export function maintenanceName(environment: string, runId: string): string {
  return `Database maintenance (${environment}, run ${runId})`;
}

/** The maintenance window a run starts in: the one it waited for, or the one open now. */
function windowOf(deps: CoreDeps, runId: string, environment: string): string | undefined {
  const run = new RunStore(deps.store, deps.clock).getRun(runId);
  if (run?.windowId) return run.windowId;
  const now = deps.clock.now();
  return new WindowStore(deps.store, deps.clock)
    .listScheduled(environment, now)
    .find((w) => w.startsAt <= now && now < w.endsAt)?.id;
}

export function subscribeIntegrations(
  deps: CoreDeps,
  bus: EventBus,
  outbox: OutboxStore,
  wake: () => void,
): void {
  const webhooks = (event: { type: string; runId: string } & Record<string, unknown>): void => {
    deps.config.file.webhooks.forEach((_, index) => {
      outbox.enqueue({
        destination: `webhook:${index}`,
        kind: 'webhook.post',
        payload: { index, event },
        dedupeKey: `webhook:${index}:${event.type}:${event.runId}`,
      });
    });
  };
  bus.on('run:started', (e) => {
    const env = deps.config.environment(e.environment);
    if (env?.statuspage) {
      const windowId = windowOf(deps, e.runId, e.environment);
      const payload: StatuspageStart = {
        environment: e.environment,
        runId: e.runId,
        name: maintenanceName(e.environment, e.runId),
        body: `We are applying ${e.migrations.length} database migration(s). Some features may be briefly unavailable.`,
        ...(windowId ? { windowId } : {}),
      };
      outbox.enqueue({
        destination: `statuspage:${e.runId}`,
        kind: 'statuspage.start',
        payload,
        dedupeKey: statuspageStartKey(e.runId),
      });
    }
    webhooks({ type: 'run:started', runId: e.runId, environment: e.environment, migrations: e.migrations });
    wake();
  });
  bus.on('run:finished', (e) => {
    if (!e.started) return;
    const end = endOf(e.state);
    const env = deps.config.environment(e.environment);
    if (env?.statuspage) {
      const payload: StatuspageFinish = {
        environment: e.environment,
        runId: e.runId,
        succeeded: end === 'succeeded',
        body:
          end === 'succeeded'
            ? 'The database maintenance is complete. Everything is operating normally.'
            : `The database maintenance did not complete (${end}). We are working on it.`,
      };
      outbox.enqueue({
        destination: `statuspage:${e.runId}`,
        kind: 'statuspage.finish',
        payload,
        dedupeKey: `statuspage:finish:${e.runId}`,
      });
    }
    webhooks({ type: `run:${end}`, runId: e.runId, environment: e.environment, outcome: e.outcome });
    wake();
  });
  // A way back ended the run: the database is as it was, so the maintenance is over. Its own dedupe
  // key, apart from the run's finish (which may have posted the failure and stays delivered).
  bus.on('run:returned', (e) => {
    if (!deps.config.environment(e.environment)?.statuspage) return;
    const payload: StatuspageFinish = {
      environment: e.environment,
      runId: e.runId,
      succeeded: true,
      body:
        e.how === 'restored'
          ? 'The database maintenance is over: the database was restored from the backup taken before it. Everything is operating normally.'
          : 'The database maintenance is over: the migration that failed was rolled back and the database is as it was. Everything is operating normally.',
    };
    outbox.enqueue({
      destination: `statuspage:${e.runId}`,
      kind: 'statuspage.finish',
      payload,
      dedupeKey: `statuspage:wayback:${e.runId}`,
    });
    wake();
  });
}
