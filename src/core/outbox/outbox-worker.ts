/**
 * Delivers the outbox (store/outbox-store.ts): lanes in parallel, each lane strictly in order with one
 * delivery in flight, failed deliveries retried with exponential backoff and jitter (honouring a
 * destination's Retry-After), given up when a failure is not worth retrying or the item is older than
 * the horizon. A delivery failure is reported through the callbacks and the log; it never throws into
 * the code that queued the item.
 *
 * Exactly-once within one process: a lane has at most one delivery in flight and an item leaves the
 * lane when it is marked sent. Across a crash an attempt that started but was not recorded is made
 * again — at most once more — and the deliverer sees `attempts > 0`, so a destination that can be
 * asked ("did you get this key already?", see slack-delivery.ts) is asked first.
 *
 * All time (due times, backoff, the drain deadline, the idle poll) is the injected Clock's.
 */
import type { Clock } from '../../base/clock.js';
import { describeError } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import type { OutboxMessage, OutboxStore } from '../../store/outbox-store.js';
import { decideAfterFailure, type RetryPolicy } from './retry-policy.js';

/** What a deliverer reports. A deliverer that throws counts as `{ ok: false, retryable: true }`. */
export type DeliveryResult =
  { ok: true; result?: unknown } | { ok: false; retryable: boolean; error: string; retryAfterMs?: number };

/**
 * Sends one item. `signal` aborts when the worker stops. `msg.attempts > 0` means an earlier attempt
 * may already have reached the destination.
 */
export type Deliverer = (msg: OutboxMessage, signal: AbortSignal) => Promise<DeliveryResult>;

export interface OutboxWorkerOptions {
  store: OutboxStore;
  clock: Clock;
  logger: Logger;
  /** By the part of `kind` before the first '.': `slack.post` is delivered by `deliverers.slack`. */
  deliverers: Record<string, Deliverer>;
  /** Wait before the second attempt (doubling after that). Default 1 s. */
  baseDelayMs?: number;
  /** Longest wait between attempts, unless a Retry-After asks for more. Default 5 min. */
  maxDelayMs?: number;
  /** Give an item up when it still fails this long after it was queued. Default 24 h. */
  horizonMs?: number;
  /** Jitter source, [0, 1). Default Math.random. */
  random?: () => number;
  /** Deliveries in flight at once, over all lanes. Default 8. */
  concurrency?: number;
  /** The loop re-reads the outbox at least this often (items queued by another process). Default 5 s. */
  pollMs?: number;
  /** An item was given up (so the app can show a visible warning). */
  onGaveUp?: (msg: OutboxMessage, error: string) => void;
  onDelivered?: (msg: OutboxMessage, result: unknown) => void;
  /** An item failed for the first time and will be retried (its delivery is late). */
  onFirstFailure?: (msg: OutboxMessage, error: string) => void;
}

/** The deliverer key of a kind: the part before the first '.'. */
export function delivererKey(kind: string): string {
  const dot = kind.indexOf('.');
  return dot === -1 ? kind : kind.slice(0, dot);
}

export class OutboxWorker {
  private readonly store: OutboxStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly policy: RetryPolicy;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly pollMs: number;
  /** Destination -> its delivery in flight. */
  private readonly lanes = new Map<string, Promise<void>>();
  /** Sleeps that a change (wake, a finished delivery, stop) cuts short. */
  private readonly waiters = new Set<AbortController>();
  private abort = new AbortController();
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();

  constructor(private readonly opts: OutboxWorkerOptions) {
    this.store = opts.store;
    this.clock = opts.clock;
    this.logger = opts.logger;
    this.policy = {
      baseDelayMs: opts.baseDelayMs ?? 1000,
      maxDelayMs: opts.maxDelayMs ?? 5 * 60_000,
      horizonMs: opts.horizonMs ?? 24 * 3_600_000,
    };
    this.random = opts.random ?? Math.random;
    this.concurrency = Math.max(1, opts.concurrency ?? 8);
    this.pollMs = Math.max(1, opts.pollMs ?? 5000);
  }

  /** Deliveries in flight now. */
  get inFlight(): number {
    return this.lanes.size;
  }

  /** Starts the delivery loop (idempotent). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Looks for due items now instead of at the next planned time (call it after an enqueue). */
  wake(): void {
    this.notify();
  }

  /**
   * Delivers what is due, and what becomes due, until nothing is pending or `timeoutMs` of clock time
   * has passed. Works whether or not the loop runs. Returns how many items are still pending.
   */
  async drain(timeoutMs: number): Promise<number> {
    const deadline = this.clock.now() + timeoutMs;
    for (;;) {
      this.dispatchSafely();
      const remaining = this.pendingCount();
      const now = this.clock.now();
      if (remaining === 0 || now >= deadline) return remaining;
      await this.waitForChange(Math.min(deadline - now, this.nextWaitMs(now)));
    }
  }

  /** Stops the loop, aborts the deliveries in flight (their items are retried later) and waits for them. */
  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort(new Error('the outbox worker is stopping'));
    this.notify();
    await this.loopDone;
    await Promise.allSettled([...this.lanes.values()]);
    this.abort = new AbortController();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.dispatchSafely();
      await this.waitForChange(this.nextWaitMs(this.clock.now()));
    }
  }

  /** Until the next lane head not in flight is due; the poll interval when there is none or no room. */
  private nextWaitMs(now: number): number {
    if (this.lanes.size >= this.concurrency) return this.pollMs;
    let next: number | undefined;
    try {
      next = this.store.nextDueAt([...this.lanes.keys()]);
    } catch {
      return this.pollMs;
    }
    return next === undefined ? this.pollMs : Math.min(this.pollMs, Math.max(1, next - now));
  }

  private dispatchSafely(): void {
    try {
      this.dispatch();
    } catch (err) {
      this.logger.error({ err }, 'outbox: could not read due deliveries');
    }
  }

  /** Starts a delivery for each due lane head whose lane has nothing in flight, up to the concurrency. */
  private dispatch(): void {
    if (this.abort.signal.aborted || this.lanes.size >= this.concurrency) return;
    const due = this.store.due(this.clock.now(), this.concurrency + this.lanes.size);
    for (const msg of due) {
      if (this.lanes.size >= this.concurrency) break;
      if (this.lanes.has(msg.destination)) continue;
      const delivery = this.deliver(msg).finally(() => {
        this.lanes.delete(msg.destination);
        this.notify();
      });
      this.lanes.set(msg.destination, delivery);
    }
  }

  private async deliver(msg: OutboxMessage): Promise<void> {
    try {
      const attempts = this.store.markAttempt(msg.id);
      if (attempts === undefined) return; // superseded or finished since it was read
      const outcome = await this.attempt(msg);
      if (outcome.ok) {
        if (this.store.markSent(msg.id, outcome.result)) {
          this.call('onDelivered', () => this.opts.onDelivered?.(msg, outcome.result));
        }
        return;
      }
      this.afterFailure(msg, attempts, outcome);
    } catch (err) {
      this.logger.error({ err, outboxId: msg.id, kind: msg.kind }, 'outbox: delivery bookkeeping failed');
    }
  }

  private async attempt(msg: OutboxMessage): Promise<DeliveryResult> {
    const deliverer = this.opts.deliverers[delivererKey(msg.kind)];
    if (deliverer === undefined) {
      return { ok: false, retryable: false, error: `no deliverer for ${msg.kind}` };
    }
    try {
      return await deliverer(msg, this.abort.signal);
    } catch (err) {
      return { ok: false, retryable: true, error: describeError(err) };
    }
  }

  private afterFailure(
    msg: OutboxMessage,
    attempts: number,
    failure: Extract<DeliveryResult, { ok: false }>,
  ): void {
    const now = this.clock.now();
    const decision = decideAfterFailure(
      failure,
      { attempts, createdAt: msg.createdAt },
      now,
      this.policy,
      this.random,
    );
    const log = {
      outboxId: msg.id,
      kind: msg.kind,
      destination: msg.destination,
      attempts,
      error: failure.error,
    };
    if (decision.giveUp) {
      if (!this.store.markGaveUp(msg.id, decision.reason)) return;
      this.logger.warn(log, 'outbox: delivery given up');
      const failed = { ...msg, attempts, lastError: decision.reason };
      this.call('onGaveUp', () => this.opts.onGaveUp?.(failed, decision.reason));
      return;
    }
    if (!this.store.markRetry(msg.id, failure.error, decision.nextAttemptAt)) return;
    this.logger.info(
      { ...log, retryInMs: decision.nextAttemptAt - now },
      'outbox: delivery failed, will retry',
    );
    if (msg.lastError === undefined) {
      const late = { ...msg, attempts, lastError: failure.error };
      this.call('onFirstFailure', () => this.opts.onFirstFailure?.(late, failure.error));
    }
  }

  /** Runs a callback; what it throws is logged, never allowed to stop deliveries. */
  private call(name: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.logger.error({ err }, `outbox: ${name} callback failed`);
    }
  }

  private pendingCount(): number {
    return this.store.pending().reduce((n, lane) => n + lane.count, 0);
  }

  private async waitForChange(ms: number): Promise<void> {
    const ctl = new AbortController();
    this.waiters.add(ctl);
    try {
      await this.clock.sleep(ms, ctl.signal);
    } catch {
      // Woken early: something changed.
    } finally {
      this.waiters.delete(ctl);
    }
  }

  private notify(): void {
    for (const w of this.waiters) w.abort();
    this.waiters.clear();
  }
}
