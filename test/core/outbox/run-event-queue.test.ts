/**
 * Events of a process without Slack (the CLI) queued in the outbox in RunMessenger's shapes: one
 * coalesced update of the run's message, thread details, notices as data; progress left out.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/base/clock.js';
import { queueRunEvent } from '../../../src/core/outbox/run-event-queue.js';
import { OutboxStore } from '../../../src/store/outbox-store.js';
import { Store } from '../../../src/store/store.js';

describe('queueRunEvent', () => {
  it('queues the run message update once (coalesced), its thread details and its notices; no progress', () => {
    const store = Store.open(mkdtempSync(join(tmpdir(), 'drawbridge-runq-')), new ManualClock(0));
    try {
      const outbox = new OutboxStore(store);
      queueRunEvent(outbox, { kind: 'run:changed', runId: 'r1' });
      queueRunEvent(outbox, { kind: 'progress', runId: 'r1', step: 'backup', text: '10 %' });
      queueRunEvent(outbox, {
        kind: 'detail',
        runId: 'r1',
        detail: { title: 'Cancel requested', text: 'by cli:ops' },
      });
      queueRunEvent(outbox, { kind: 'run:changed', runId: 'r1' });
      queueRunEvent(outbox, {
        kind: 'notice',
        runId: 'r1',
        notice: { kind: 'restored', environment: 'staging', runId: 'r1', actor: 'cli:ops' } as never,
      });
      const pending = outbox.due(Number.MAX_SAFE_INTEGER, 100);
      // One lane, head of line: the first pending item is offered; read them all from the table.
      expect(pending).toHaveLength(1);
      const rows = store.db
        .prepare("SELECT kind, payload, result FROM outbox WHERE destination = 'slack:run:r1' ORDER BY id")
        .all() as { kind: string; payload: string; result: string | null }[];
      expect(rows.map((r) => [r.kind, r.result])).toEqual([
        ['slack.update', '{"superseded":true}'],
        ['slack.thread', null],
        ['slack.update', null],
        ['slack.team', null],
      ]);
      expect(JSON.parse(rows[3]?.payload ?? '{}')).toMatchObject({
        runId: 'r1',
        notice: { kind: 'restored' },
      });
    } finally {
      store.close();
    }
  });
});
