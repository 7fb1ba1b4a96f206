import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock } from '../../src/base/clock.js';
import { registerSecret } from '../../src/base/redact.js';
import { Store } from '../../src/store/store.js';
import { schemaSteps } from '../../src/store/schema.js';

describe('store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-store-'));
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  let store: Store;
  beforeAll(() => {
    store = Store.open(dir, clock);
  });
  afterAll(() => store.close());

  it('uses WAL mode and its own schema version, and reopening keeps the data', () => {
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.schemaVersion()).toBe(schemaSteps.length);
    store.audit({ actor: 'U0ALICE01', action: 'test:reopen' });
    store.close();
    store = Store.open(dir, clock);
    expect(store.schemaVersion()).toBe(schemaSteps.length);
    expect(store.auditLog().map((e) => e.action)).toContain('test:reopen');
  });

  it('keeps the audit log append-only and redacted', () => {
    registerSecret('hunter2-db-password');
    const id = store.audit({
      actor: 'U0ALICE01',
      action: 'run:approved',
      environment: 'staging',
      runId: 'r1',
      detail: { url: 'postgres://app:hunter2-db-password@db/app', token: 'xoxb-123-abc' },
    });
    const entry = store.auditLog({ runId: 'r1' })[0];
    expect(entry?.id).toBe(id);
    expect(JSON.stringify(entry)).not.toContain('hunter2');
    expect(JSON.stringify(entry)).not.toContain('xoxb-123-abc');
    expect(() => store.db.prepare('UPDATE audit SET action = ? WHERE id = ?').run('x', id)).toThrow(
      /append-only/,
    );
    expect(() => store.db.prepare('DELETE FROM audit WHERE id = ?').run(id)).toThrow(/append-only/);
  });

  it('upgrades a version-1 database in place, keeping its runs', () => {
    const old = mkdtempSync(join(tmpdir(), 'drawbridge-store-v1-'));
    // A database exactly as version 1 left it: the first schema step and nothing after it.
    const s1 = new Database(join(old, 'drawbridge.sqlite'));
    s1.exec(schemaSteps[0] as string);
    s1.pragma('user_version = 1');
    s1.prepare(
      `INSERT INTO runs (id, environment, state, requested_by, plan_json, plan_hash, created_at, updated_at)
         VALUES ('0badc0de', 'staging', 'done', 'U0ALICE01', '{}', 'h', 1, 1)`,
    ).run();
    s1.prepare(
      `INSERT INTO outbox (kind, payload, created_at, next_attempt_at) VALUES ('slack.post', '{}', 1, 1)`,
    ).run();
    s1.close();
    const s2 = Store.open(old, clock);
    expect(s2.schemaVersion()).toBe(schemaSteps.length);
    expect(s2.db.prepare('SELECT id, report_json FROM runs').all()).toEqual([
      { id: '0badc0de', report_json: null },
    ]);
    expect(s2.db.prepare('SELECT kind, destination, dedupe_key, gave_up_at FROM outbox').all()).toEqual([
      { kind: 'slack.post', destination: null, dedupe_key: null, gave_up_at: null },
    ]);
    s2.close();
  });

  it('refuses a state database from a newer release', () => {
    const other = mkdtempSync(join(tmpdir(), 'drawbridge-store-'));
    const s = Store.open(other, clock);
    s.db.pragma('user_version = 99');
    s.close();
    expect(() => Store.open(other, clock)).toThrow(/newer than this Drawbridge knows/);
  });
});
