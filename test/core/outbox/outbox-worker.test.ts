import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/base/clock.js';
import { silentLogger } from '../../../src/base/logger.js';
import {
  OutboxWorker,
  type Deliverer,
  type DeliveryResult,
  type OutboxWorkerOptions,
} from '../../../src/core/outbox/outbox-worker.js';
import { OutboxStore, type OutboxMessage } from '../../../src/store/outbox-store.js';
import { Store } from '../../../src/store/store.js';

const START = Date.UTC(2026, 0, 1);

/** A small seeded generator (mulberry32) so that "random" failures are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lets pending I/O callbacks and promise chains run. */
async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** One delivery attempt as a test destination saw it. */
interface Seen {
  id: number;
  lane: string;
  at: number;
  attemptsBefore: number;
  text: string;
}

describe('outbox worker', () => {
  let clock: ManualClock;
  let dir: string;
  let store: Store;
  let outbox: OutboxStore;
  const workers: OutboxWorker[] = [];
  const stores: Store[] = [];

  beforeEach(() => {
    clock = new ManualClock(START);
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-outbox-worker-'));
    store = Store.open(dir, clock);
    stores.push(store);
    outbox = new OutboxStore(store);
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.stop();
    for (const s of stores.splice(0)) s.close();
  });

  const worker = (deliverers: Record<string, Deliverer>, opts: Partial<OutboxWorkerOptions> = {}) => {
    const w = new OutboxWorker({
      store: outbox,
      clock,
      logger: silentLogger(),
      deliverers,
      random: () => 0.5,
      ...opts,
    });
    workers.push(w);
    return w;
  };

  let seq = 0;
  const enqueue = (lane: string, extra: { kind?: string; coalesceKey?: string } = {}) =>
    outbox.enqueue({
      destination: lane,
      kind: extra.kind ?? 'test.send',
      payload: { text: `${lane}#${++seq}` },
      dedupeKey: `key-${seq}`,
      ...(extra.coalesceKey === undefined ? {} : { coalesceKey: extra.coalesceKey }),
    }).id;

  /** A destination that records every attempt and answers what `answer` says. */
  const destination = (
    answer: (msg: OutboxMessage, n: number) => DeliveryResult | Promise<DeliveryResult>,
  ) => {
    const attempts: Seen[] = [];
    const delivered: Seen[] = [];
    const deliver: Deliverer = async (msg) => {
      const seen: Seen = {
        id: msg.id,
        lane: msg.destination,
        at: clock.now(),
        attemptsBefore: msg.attempts,
        text: (msg.payload as { text: string }).text,
      };
      attempts.push(seen);
      const result = await answer(msg, attempts.length);
      if (result.ok) delivered.push(seen);
      return result;
    };
    return { attempts, delivered, deliver };
  };

  /** Advances the clock in steps (only while no delivery is in flight) until `done` holds. */
  const runUntil = async (w: OutboxWorker, done: () => boolean, stepMs: number, maxSteps = 20_000) => {
    for (let i = 0; i < maxSteps; i++) {
      await flush();
      if (done()) return;
      if (w.inFlight === 0) await clock.advance(stepMs);
    }
    throw new Error('runUntil: condition never held');
  };

  it('keeps each lane in order under random failures, lanes in parallel, every item delivered exactly once', async () => {
    const rnd = seeded(42);
    let inFlightNow = 0;
    let maxInFlight = 0;
    let maxPerLane = 0;
    const inFlightPerLane = new Map<string, number>();
    const dest = destination(async (msg) => {
      inFlightNow += 1;
      maxInFlight = Math.max(maxInFlight, inFlightNow);
      const lane = (inFlightPerLane.get(msg.destination) ?? 0) + 1;
      inFlightPerLane.set(msg.destination, lane);
      maxPerLane = Math.max(maxPerLane, lane);
      await new Promise((r) => setImmediate(r));
      inFlightNow -= 1;
      inFlightPerLane.set(msg.destination, lane - 1);
      const roll = rnd();
      if (roll < 0.25) return { ok: false, retryable: true, error: 'internal_error' };
      if (roll < 0.35) throw new Error('socket hang up');
      if (roll < 0.4) return { ok: false, retryable: true, error: 'ratelimited', retryAfterMs: 2500 };
      return { ok: true, result: { echo: msg.id } };
    });
    const lanes = ['slack:C1', 'slack:C2:1767225600.000100', 'statuspage:page1', 'webhook:hooks'];
    const queued = new Map<string, number[]>();
    for (let i = 0; i < 15; i++) {
      for (const lane of lanes) queued.set(lane, [...(queued.get(lane) ?? []), enqueue(lane)]);
    }
    const w = worker({ test: dest.deliver }, { random: seeded(7), baseDelayMs: 200, maxDelayMs: 5000 });
    w.start();
    await runUntil(w, () => dest.delivered.length === 60, 100);

    for (const lane of lanes) {
      expect(dest.delivered.filter((d) => d.lane === lane).map((d) => d.id)).toEqual(queued.get(lane));
      // No attempt of an item before the one ahead of it in its lane was delivered.
      const order = dest.attempts.filter((a) => a.lane === lane).map((a) => a.id);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    expect(new Set(dest.delivered.map((d) => d.id)).size).toBe(60);
    expect(dest.attempts.length).toBeGreaterThan(60);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(maxPerLane).toBe(1);
    expect(outbox.pending()).toEqual([]);
    expect(outbox.get(queued.get('slack:C1')?.[0] as number)?.result).toEqual({
      echo: queued.get('slack:C1')?.[0],
    });
  });

  it('lanes are independent: a lane waiting for its retry does not hold the others', async () => {
    const dest = destination((msg) =>
      msg.destination === 'down' ? { ok: false, retryable: true, error: 'HTTP 503' } : { ok: true },
    );
    enqueue('down');
    const up = [enqueue('up'), enqueue('up'), enqueue('up')];
    const w = worker({ test: dest.deliver });
    w.start();
    await flush();
    expect(dest.delivered.map((d) => d.id)).toEqual(up);
    expect(clock.now()).toBe(START);
    expect(outbox.pending()).toEqual([{ destination: 'down', count: 1, oldestCreatedAt: START }]);
  });

  it('backs off exponentially from baseDelayMs up to maxDelayMs', async () => {
    const dest = destination((_msg, n) =>
      n < 7 ? { ok: false, retryable: true, error: 'internal_error' } : { ok: true },
    );
    enqueue('lane');
    const w = worker({ test: dest.deliver }, { baseDelayMs: 1000, maxDelayMs: 8000, random: () => 0.5 });
    w.start();
    await runUntil(w, () => dest.delivered.length === 1, 250);
    const gaps = dest.attempts.slice(1).map((a, i) => a.at - (dest.attempts[i] as Seen).at);
    // 0.75 of 1, 2, 4, 8, 8, 8 s.
    expect(gaps).toEqual([750, 1500, 3000, 6000, 6000, 6000]);
    expect(dest.attempts.map((a) => a.attemptsBefore)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('honours Retry-After as the minimum wait, even beyond maxDelayMs', async () => {
    const dest = destination((_msg, n) =>
      n === 1
        ? { ok: false, retryable: true, error: 'ratelimited (HTTP 429)', retryAfterMs: 7 * 60_000 }
        : { ok: true },
    );
    enqueue('lane');
    const w = worker({ test: dest.deliver }, { baseDelayMs: 1000, maxDelayMs: 60_000 });
    w.start();
    await runUntil(w, () => dest.delivered.length === 1, 30_000);
    expect(dest.attempts.map((a) => a.at - START)).toEqual([0, 7 * 60_000]);
  });

  it('gives a non-retryable failure up at once, tells onGaveUp, and the lane goes on', async () => {
    const gaveUp: [number, string][] = [];
    const dest = destination((msg) =>
      msg.id === first ? { ok: false, retryable: false, error: 'channel_not_found' } : { ok: true },
    );
    const first = enqueue('lane');
    const second = enqueue('lane');
    const w = worker({ test: dest.deliver }, { onGaveUp: (msg, error) => gaveUp.push([msg.id, error]) });
    expect(await w.drain(60_000)).toBe(0);
    expect(dest.attempts.map((a) => a.id)).toEqual([first, second]);
    expect(gaveUp).toEqual([[first, 'channel_not_found']]);
    expect(outbox.gaveUp()).toMatchObject([{ id: first, attempts: 1, lastError: 'channel_not_found' }]);
    expect(clock.now()).toBe(START);
  });

  it('gives an item up once it still fails after the horizon, calling onFirstFailure once and onGaveUp once', async () => {
    const firstFailures: number[] = [];
    const gaveUp: { msg: OutboxMessage; error: string }[] = [];
    const dest = destination(() => ({ ok: false, retryable: true, error: 'HTTP 500' }));
    const id = enqueue('lane');
    const w = worker(
      { test: dest.deliver },
      {
        baseDelayMs: 1000,
        maxDelayMs: 20_000,
        horizonMs: 120_000,
        onFirstFailure: (msg) => firstFailures.push(msg.id),
        onGaveUp: (msg, error) => gaveUp.push({ msg, error }),
      },
    );
    w.start();
    await runUntil(w, () => gaveUp.length === 1, 1000);
    expect(firstFailures).toEqual([id]);
    expect(gaveUp[0]?.error).toBe('HTTP 500 (still failing 2 min after it was queued)');
    expect(gaveUp[0]?.msg).toMatchObject({ id, attempts: dest.attempts.length });
    // The last attempt is made at the horizon itself, not skipped.
    expect(dest.attempts.at(-1)?.at).toBe(START + 120_000);
    expect(outbox.get(id)).toMatchObject({ gaveUpAt: START + 120_000 });
    await clock.advance(600_000);
    await flush();
    expect(gaveUp).toHaveLength(1);
  });

  it('gives up an item of a kind nobody delivers', async () => {
    const gaveUp: string[] = [];
    enqueue('lane', { kind: 'carrier-pigeon.send' });
    const w = worker({}, { onGaveUp: (_m, error) => gaveUp.push(error) });
    expect(await w.drain(60_000)).toBe(0);
    expect(gaveUp).toEqual(['no deliverer for carrier-pigeon.send']);
  });

  it('picks the deliverer by the part of the kind before the first dot', async () => {
    const slack = destination(() => ({ ok: true }));
    const hooks = destination(() => ({ ok: true }));
    enqueue('a', { kind: 'slack.post' });
    enqueue('b', { kind: 'slack.update.blocks' });
    enqueue('c', { kind: 'webhook' });
    const w = worker({ slack: slack.deliver, webhook: hooks.deliver });
    expect(await w.drain(60_000)).toBe(0);
    expect(slack.delivered.map((d) => d.lane)).toEqual(['a', 'b']);
    expect(hooks.delivered.map((d) => d.lane)).toEqual(['c']);
  });

  it('wake() delivers an item queued while the loop sleeps, without waiting for the poll', async () => {
    const dest = destination(() => ({ ok: true }));
    const w = worker({ test: dest.deliver }, { pollMs: 60_000 });
    w.start();
    await flush();
    expect(clock.pendingSleepers).toBe(1);
    enqueue('lane');
    w.wake();
    await flush();
    expect(dest.delivered).toHaveLength(1);
    expect(clock.now()).toBe(START);
  });

  it('never delivers an item twice in one process, however often it is woken and drained', async () => {
    const dest = destination(async () => {
      await new Promise((r) => setTimeout(r, 2));
      return { ok: true };
    });
    const w = worker({ test: dest.deliver });
    w.start();
    for (let i = 0; i < 30; i++) {
      enqueue(`lane-${i % 3}`);
      w.wake();
      void w.drain(0);
    }
    expect(await w.drain(5000)).toBe(0);
    await runUntil(w, () => dest.delivered.length === 30, 1);
    expect(dest.attempts).toHaveLength(30);
    expect(new Set(dest.attempts.map((a) => a.id)).size).toBe(30);
  });

  it('sends only the newest of a coalesced series that queued up behind a slow delivery', async () => {
    let release: () => void = () => undefined;
    const dest = destination(async (msg, n) => {
      if (n === 1) await new Promise<void>((r) => (release = r));
      return { ok: true, result: msg.id };
    });
    enqueue('run-thread');
    const w = worker({ test: dest.deliver });
    w.start();
    await flush();
    const versions = [1, 2, 3].map(() => enqueue('run-thread', { coalesceKey: 'run-1:message' }));
    release();
    await runUntil(w, () => outbox.pending().length === 0, 1);
    expect(dest.delivered.map((d) => d.id)).toEqual([dest.attempts[0]?.id, versions[2]]);
    expect(outbox.get(versions[0] as number)?.result).toEqual({ superseded: true });
  });

  it('drain() returns how many items are still pending when its time is up', async () => {
    const dest = destination(() => ({ ok: false, retryable: true, error: 'HTTP 502' }));
    enqueue('lane');
    enqueue('lane');
    const w = worker({ test: dest.deliver }, { baseDelayMs: 1000 });
    const draining = w.drain(10_000);
    let remaining: number | undefined;
    void draining.then((n) => (remaining = n));
    await runUntil(w, () => remaining !== undefined, 500);
    expect(remaining).toBe(2);
    expect(clock.now()).toBe(START + 10_000);
    expect(dest.attempts.length).toBeGreaterThan(2);
  });

  it('stop() aborts the delivery in flight; the item stays pending and is retried', async () => {
    const dest = destination(
      (_msg, n) =>
        new Promise<DeliveryResult>((resolve) => {
          if (n > 1) resolve({ ok: true });
        }),
    );
    const aborting: Deliverer = (msg, signal) =>
      new Promise((resolve, reject) => {
        void dest.deliver(msg, signal).then(resolve);
        signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
      });
    const id = enqueue('lane');
    const w = worker({ test: aborting });
    w.start();
    await flush();
    expect(w.inFlight).toBe(1);
    await w.stop();
    expect(outbox.get(id)).toMatchObject({ attempts: 1, lastError: 'the outbox worker is stopping' });
    expect(outbox.pending()).toHaveLength(1);
    w.start();
    await runUntil(w, () => dest.delivered.length === 1, 1000);
    expect(dest.attempts.map((a) => a.attemptsBefore)).toEqual([0, 1]);
  });

  it('after a crash, a new worker on the same file delivers the items that were in flight at most once more, and the rest once', async () => {
    const sent: { id: number; attemptsBefore: number }[] = [];
    const crashId = enqueue('lane-a');
    const afterId = enqueue('lane-a');
    const otherId = enqueue('lane-b');
    // The first process: its destination receives the item, then the process dies before recording it.
    const first = worker({
      test: (msg, signal) => {
        sent.push({ id: msg.id, attemptsBefore: msg.attempts });
        return new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new Error('killed')), { once: true }),
        );
      },
    });
    first.start();
    await flush();
    expect(sent.map((s) => s.id)).toEqual([crashId, otherId]);

    // The second process opens the same database file.
    const again = Store.open(dir, clock);
    stores.push(again);
    const second = new OutboxWorker({
      store: new OutboxStore(again),
      clock,
      logger: silentLogger(),
      deliverers: {
        test: async (msg) => {
          sent.push({ id: msg.id, attemptsBefore: msg.attempts });
          return { ok: true };
        },
      },
    });
    workers.push(second);
    expect(await second.drain(60_000)).toBe(0);
    // The dead process's late bookkeeping changes nothing.
    await first.stop();

    const times = (id: number) => sent.filter((s) => s.id === id).length;
    expect(times(crashId)).toBe(2);
    expect(times(afterId)).toBe(1);
    expect(times(otherId)).toBe(2);
    // The repeat attempt knows an earlier one may have arrived.
    expect(sent.filter((s) => s.id === crashId).map((s) => s.attemptsBefore)).toEqual([0, 1]);
    expect(outbox.pending()).toEqual([]);
    expect(outbox.get(crashId)?.lastError).toBeUndefined();
  });
});
