/**
 * The one typed event stream (graphile-worker's event map is the model): core emits data-only
 * events, and Slack rendering, the status-page lifecycle and webhooks subscribe. A subscriber that
 * throws is logged and never disturbs the emitter or the other subscribers. Tests await events.
 */
import { describeError } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import type { PipelineEvent } from '../pipeline/types.js';

/** Every event, by its `kind`. */
export type DrawbridgeEventMap = { [K in PipelineEvent['kind']]: Extract<PipelineEvent, { kind: K }> };
export type EventKind = keyof DrawbridgeEventMap;
type Handler<K extends EventKind> = (event: DrawbridgeEventMap[K]) => void;

export class EventBus {
  private readonly handlers = new Map<EventKind, Set<(e: PipelineEvent) => void>>();
  private readonly any = new Set<(e: PipelineEvent) => void>();

  constructor(private readonly logger: Pick<Logger, 'error'>) {}

  /** Subscribes to one kind; returns the unsubscribe function. */
  on<K extends EventKind>(kind: K, handler: Handler<K>): () => void {
    let set = this.handlers.get(kind);
    if (!set) {
      set = new Set();
      this.handlers.set(kind, set);
    }
    const h = handler as (e: PipelineEvent) => void;
    set.add(h);
    return () => set.delete(h);
  }

  /** Subscribes to every event. */
  onAny(handler: (event: PipelineEvent) => void): () => void {
    this.any.add(handler);
    return () => this.any.delete(handler);
  }

  /** Delivers `event` to its subscribers, synchronously, in subscription order. */
  readonly emit = (event: PipelineEvent): void => {
    for (const h of [...(this.handlers.get(event.kind) ?? []), ...this.any]) {
      try {
        h(event);
      } catch (err) {
        this.logger.error({ kind: event.kind, err: describeError(err) }, 'an event subscriber failed');
      }
    }
  };

  /** Resolves with the first event of `kind` that matches, or rejects after `timeoutMs`. */
  waitFor<K extends EventKind>(
    kind: K,
    match: (event: DrawbridgeEventMap[K]) => boolean = () => true,
    timeoutMs = 30_000,
  ): Promise<DrawbridgeEventMap[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`no ${kind} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = this.on(kind, (e) => {
        if (!match(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  }
}
