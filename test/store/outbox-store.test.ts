import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/base/clock.js';
import { registerSecret } from '../../src/base/redact.js';
import { OutboxStore, type NewOutboxItem } from '../../src/store/outbox-store.js';
import { Store } from '../../src/store/store.js';

const START = Date.UTC(2026, 0, 1);

describe('outbox store', () => {
  let clock: ManualClock;
  let store: Store;
  let outbox: OutboxStore;
  let seq = 0;

  beforeEach(() => {
    clock = new ManualClock(START);
    store = Store.open(mkdtempSync(join(tmpdir(), 'drawbridge-outbox-')), clock);
    outbox = new OutboxStore(store);
  });
  afterEach(() => store.close());

  const item = (destination: string, extra: Partial<NewOutboxItem> = {}): NewOutboxItem => ({
    destination,
    kind: 'slack.post',
    payload: { text: `message ${++seq}` },
    dedupeKey: `key-${seq}`,
    ...extra,
  });
  const ids = (rows: { id: number }[]) => rows.map((r) => r.id);

  it('queues an item once per dedupe key, whatever became of the first', () => {
    const first = outbox.enqueue(item('slack:C1', { dedupeKey: 'run-1:posted' }));
    expect(first.duplicate).toBe(false);
    const again = outbox.enqueue(item('slack:C1', { dedupeKey: 'run-1:posted', payload: { text: 'other' } }));
    expect(again).toEqual({ id: first.id, duplicate: true });
    expect(outbox.pending()).toEqual([{ destination: 'slack:C1', count: 1, oldestCreatedAt: START }]);
    expect(outbox.get(first.id)?.payload).toEqual({ text: 'message 1' });

    outbox.markAttempt(first.id);
    outbox.markSent(first.id, { ts: '1.000001' });
    expect(outbox.enqueue(item('slack:C1', { dedupeKey: 'run-1:posted' }))).toEqual({
      id: first.id,
      duplicate: true,
    });
    expect(outbox.getByDedupeKey('run-1:posted')).toMatchObject({
      sentAt: START,
      result: { ts: '1.000001' },
    });
  });

  it('reads a message back with every field', () => {
    const { id } = outbox.enqueue(item('slack:C1', { coalesceKey: 'run-1:message' }));
    expect(outbox.due(START, 10)).toEqual([
      {
        id,
        destination: 'slack:C1',
        kind: 'slack.post',
        payload: { text: `message ${seq}` },
        dedupeKey: `key-${seq}`,
        coalesceKey: 'run-1:message',
        attempts: 0,
        createdAt: START,
        nextAttemptAt: START,
      },
    ]);
  });

  it('redacts payloads, errors and results before storing them', () => {
    registerSecret('s3cret-outbox-password');
    const { id } = outbox.enqueue(
      item('webhook:hooks', { payload: { url: 'postgres://app:s3cret-outbox-password@db/app' } }),
    );
    outbox.markAttempt(id);
    outbox.markRetry(id, 'refused: s3cret-outbox-password', START + 1000);
    const rows = JSON.stringify(store.db.prepare('SELECT * FROM outbox').all());
    expect(rows).not.toContain('s3cret-outbox-password');
    outbox.markSent(id, { echoed: 's3cret-outbox-password' });
    expect(JSON.stringify(outbox.get(id))).not.toContain('s3cret-outbox-password');
  });

  it('coalesces: a newer item supersedes the older pending ones of its key in its lane only', () => {
    const v1 = outbox.enqueue(item('slack:C1', { kind: 'slack.update', coalesceKey: 'run-1:message' }));
    const reply = outbox.enqueue(item('slack:C1'));
    const otherLane = outbox.enqueue(
      item('slack:C2', { kind: 'slack.update', coalesceKey: 'run-1:message' }),
    );
    const v2 = outbox.enqueue(item('slack:C1', { kind: 'slack.update', coalesceKey: 'run-1:message' }));
    const v3 = outbox.enqueue(item('slack:C1', { kind: 'slack.update', coalesceKey: 'run-1:message' }));

    expect(outbox.get(v1.id)).toMatchObject({ sentAt: START, result: { superseded: true } });
    expect(outbox.get(v2.id)).toMatchObject({ sentAt: START, result: { superseded: true } });
    expect(outbox.get(v3.id)?.sentAt).toBeUndefined();
    expect(outbox.get(otherLane.id)?.sentAt).toBeUndefined();
    expect(outbox.pending()).toEqual([
      { destination: 'slack:C1', count: 2, oldestCreatedAt: START },
      { destination: 'slack:C2', count: 1, oldestCreatedAt: START },
    ]);
    // The lane keeps its order: the reply, then the newest update.
    expect(ids(outbox.due(START, 10))).toEqual([reply.id, otherLane.id]);
    outbox.markSent(reply.id);
    expect(ids(outbox.due(START, 10))).toEqual([otherLane.id, v3.id]);
  });

  it('does not supersede an item that was already sent', () => {
    const v1 = outbox.enqueue(item('slack:C1', { coalesceKey: 'k' }));
    outbox.markAttempt(v1.id);
    outbox.markSent(v1.id, { ts: '1.1' });
    outbox.enqueue(item('slack:C1', { coalesceKey: 'k' }));
    expect(outbox.get(v1.id)?.result).toEqual({ ts: '1.1' });
  });

  it('offers only the head of each lane, and only once it is due', () => {
    const a1 = outbox.enqueue(item('A'));
    const a2 = outbox.enqueue(item('A'));
    const b1 = outbox.enqueue(item('B'));
    expect(ids(outbox.due(START, 10))).toEqual([a1.id, b1.id]);

    // A's head waits for its retry: A offers nothing, not even a2 behind it.
    outbox.markAttempt(a1.id);
    outbox.markRetry(a1.id, 'internal_error', START + 5000);
    expect(ids(outbox.due(START, 10))).toEqual([b1.id]);
    expect(outbox.nextDueAt()).toBe(START);
    expect(outbox.nextDueAt(['B'])).toBe(START + 5000);
    expect(ids(outbox.due(START + 5000, 10))).toEqual([b1.id, a1.id]);

    outbox.markSent(a1.id);
    // Earliest due first (both were due at START), then the older one.
    expect(ids(outbox.due(START + 5000, 10))).toEqual([a2.id, b1.id]);
    expect(ids(outbox.due(START + 5000, 1))).toEqual([a2.id]);
  });

  it('a given-up item leaves its lane, so the items behind it go on', async () => {
    const a1 = outbox.enqueue(item('A'));
    const a2 = outbox.enqueue(item('A'));
    outbox.markAttempt(a1.id);
    await clock.advance(60_000);
    expect(outbox.markGaveUp(a1.id, 'channel_not_found')).toBe(true);
    expect(ids(outbox.due(START + 60_000, 10))).toEqual([a2.id]);
    expect(outbox.gaveUp()).toMatchObject([
      { id: a1.id, attempts: 1, lastError: 'channel_not_found', gaveUpAt: START + 60_000 },
    ]);
    expect(outbox.gaveUp(START + 60_001)).toEqual([]);
    // Given up is final: no later mark revives or re-sends it.
    expect(outbox.markRetry(a1.id, 'x', START)).toBe(false);
    expect(outbox.markSent(a1.id)).toBe(false);
    expect(outbox.markAttempt(a1.id)).toBeUndefined();
  });

  it('counts attempts when they start, and refuses to start one on an item that is no longer pending', () => {
    const a = outbox.enqueue(item('A', { coalesceKey: 'k' }));
    expect(outbox.markAttempt(a.id)).toBe(1);
    expect(outbox.markAttempt(a.id)).toBe(2);
    outbox.enqueue(item('A', { coalesceKey: 'k' }));
    expect(outbox.markAttempt(a.id)).toBeUndefined();
    expect(outbox.markGaveUp(a.id, 'late')).toBe(false);
    expect(outbox.gaveUp()).toEqual([]);
  });

  it('keeps everything across a reopen of the same file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-outbox-reopen-'));
    const s1 = Store.open(dir, clock);
    const o1 = new OutboxStore(s1);
    const a = o1.enqueue(item('A'));
    o1.markAttempt(a.id);
    s1.close();
    const s2 = Store.open(dir, clock);
    try {
      const o2 = new OutboxStore(s2);
      expect(o2.due(START, 10)).toMatchObject([{ id: a.id, attempts: 1 }]);
      expect(o2.enqueue(item('A', { dedupeKey: `key-${seq}` })).duplicate).toBe(true);
    } finally {
      s2.close();
    }
  });
});
