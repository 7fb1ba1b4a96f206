/**
 * Issue 9 at the engine: the ledger finish commits with the SQL, the journal records every
 * transaction before its work is sent, only the approved bytes run, and a lost session is decided
 * from evidence. Real PostgreSQL; network faults through a loopback TCP proxy the test controls.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JournalEntry } from '../../src/migrations/apply-journal.js';
import { checksumOf } from '../../src/migrations/checksum.js';
import { deploy, type DeployEvent, type DeployOptions } from '../../src/migrations/deploy.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { makeFolder } from './folder-helpers.js';

interface Row {
  migration_name: string;
  finished_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

describe('apply safety (engine)', () => {
  let db: TestDatabase;
  const cleanups: (() => void | Promise<void>)[] = [];
  beforeEach(async () => {
    db = await createTestDatabase('apply_safety');
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    await db.drop();
  });
  const folder = (content: Record<string, string>): string => {
    const f = makeFolder(content);
    cleanups.push(f.cleanup);
    return f.dir;
  };
  const rows = async (): Promise<Row[]> =>
    (
      await db.query<Row>(
        'SELECT migration_name, finished_at, applied_steps_count, logs FROM _prisma_migrations ORDER BY started_at',
      )
    ).rows;
  const tableExists = async (name: string): Promise<boolean> =>
    (await db.query<{ t: string | null }>('SELECT to_regclass($1)::text AS t', [name])).rows[0]?.t != null;
  const proxy = async (): Promise<TcpProxy> => {
    const u = new URL(db.url);
    const p = await TcpProxy.start({ host: u.hostname, port: Number(u.port) });
    cleanups.push(() => p.close());
    return p;
  };
  /** Waits (bounded) until a backend of the test database runs a query matching `like`. */
  const backendRunning = async (like: string): Promise<number> => {
    for (let i = 0; i < 200; i++) {
      const r = await db.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND query LIKE $2 AND state = 'active'`,
        [db.name, like],
      );
      if (r.rows[0]) return r.rows[0].pid;
      await new Promise((res) => setTimeout(res, 25));
    }
    throw new Error(`no backend running ${like}`);
  };

  it('writes the finish inside the script transaction: killed mid-script, neither the table nor a finished row exists', async () => {
    const dir = folder({ '1_slow': 'CREATE TABLE slow_a (x int);\nSELECT pg_sleep(1.5);\n' });
    const journal: JournalEntry[] = [];
    const running = deploy({
      databaseUrl: db.url,
      migrationsDir: dir,
      journal: (e) => journal.push(e),
      outcomeWaitMs: 5000,
    });
    const pid = await backendRunning('%pg_sleep(1.5)%');
    // Outside the transaction nothing is visible yet: the row is started, the table uncommitted.
    expect((await rows()).map((r) => r.finished_at)).toEqual([null]);
    expect(await tableExists('slow_a')).toBe(false);
    await db.query('SELECT pg_terminate_backend($1)', [pid]);
    const r = await running;
    expect(r.outcome).toBe('failed');
    expect(r.failure?.code).toBe('CONNECTION_LOST');
    expect(r.failure?.evidence?.verdict).toBe('not_applied');
    expect(await tableExists('slow_a')).toBe(false);
    expect((await rows()).map((x) => x.finished_at)).toEqual([null]);
    expect(journal[0]).toMatchObject({ kind: 'migration', name: '1_slow', mode: 'atomic', pid });
  });

  it('journals every transaction id of a statement-by-statement file before its work, and the finish joins its COMMIT', async () => {
    const dir = folder({
      '1_tx': 'BEGIN;\nCREATE TABLE b (x int);\nINSERT INTO b VALUES (1);\nCOMMIT;\n',
      '2_mixed': 'CREATE TABLE c (x int);\nCREATE INDEX CONCURRENTLY c_x ON c (x);\n',
    });
    const journal: JournalEntry[] = [];
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir, journal: (e) => journal.push(e) });
    expect(r.outcome).toBe('succeeded');
    const kinds = journal.map((e) =>
      e.kind === 'unit' ? `unit${e.unit}:${e.xid === null ? 'none' : 'xid'}` : e.kind,
    );
    expect(kinds).toEqual([
      'migration',
      'unit1:xid',
      'unit2:xid',
      'unit3:xid',
      'unit4:xid',
      'migration',
      'unit1:xid',
      'unit2:none',
      'finishing',
    ]);
    const xids = new Set(journal.flatMap((e) => (e.kind === 'unit' && e.xid ? [e.xid] : [])));
    for (const xid of xids) {
      const s = await db.query<{ s: string }>('SELECT txid_status($1::bigint) AS s', [xid]);
      expect(s.rows[0]?.s).toBe('committed');
    }
    expect(
      (await rows()).map((x) => [x.migration_name, x.applied_steps_count, x.finished_at !== null]),
    ).toEqual([
      ['1_tx', 1, true],
      ['2_mixed', 1, true],
    ]);
  });

  it('says a statement-by-statement file that failed midway is partly applied, naming what committed', async () => {
    const dir = folder({
      '1_part': 'CREATE TABLE p (x int);\nCREATE INDEX CONCURRENTLY p_x ON p (x);\nSELECT 1/0;\n',
    });
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(r.outcome).toBe('failed');
    expect(r.failure?.evidence).toMatchObject({ verdict: 'partial', committed: [1, 2] });
    expect(await tableExists('p')).toBe(true);
  });

  it('refuses a file that opens a transaction it never commits, before anything runs', async () => {
    const dir = folder({
      '1_open': 'BEGIN;\nCREATE TABLE o (x int);\nCREATE INDEX CONCURRENTLY o_x ON o (x);\n',
    });
    const r = await deploy({ databaseUrl: db.url, migrationsDir: dir });
    expect(r.failure?.code).toBe('UNSAFE_TRANSACTIONS');
    expect(await rows()).toEqual([]);
  });

  describe('approval binds the bytes', () => {
    const sql = { '1_a': 'CREATE TABLE a1 (x int);', '2_b': 'CREATE TABLE b1 (x int);' };
    const approvedOf = (s: Record<string, string>): DeployOptions['expected'] =>
      Object.entries(s).map(([name, text]) => ({ name, checksum: checksumOf(text) }));

    it('refuses, applying nothing, when a migration is pending that nobody approved', async () => {
      const dir = folder({ ...sql, '3_c': 'CREATE TABLE c1 (x int);' });
      const r = await deploy({ databaseUrl: db.url, migrationsDir: dir, expected: approvedOf(sql) });
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.code).toBe('PLAN_CHANGED');
      expect(r.refusal?.message).toContain('3_c is pending but not in the approved plan');
      expect(await tableExists('a1')).toBe(false);
    });

    it('refuses when an approved file was edited, naming it and both checksums', async () => {
      const dir = folder({ ...sql, '2_b': 'DROP TABLE IF EXISTS a1;' });
      const r = await deploy({ databaseUrl: db.url, migrationsDir: dir, expected: approvedOf(sql) });
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.message).toContain(
        `2_b changed since it was approved (checksum ${checksumOf(sql['2_b']).slice(0, 12)}`,
      );
    });

    it('re-reads each file just before sending it: bytes changed after the folder was read are not sent', async () => {
      const dir = folder(sql);
      const events: DeployEvent[] = [];
      const r = await deploy({
        databaseUrl: db.url,
        migrationsDir: dir,
        expected: approvedOf(sql),
        onProgress: (e) => {
          events.push(e);
          if (e.kind === 'migration:finished' && e.name === '1_a')
            writeFileSync(join(dir, '2_b', 'migration.sql'), 'CREATE TABLE evil (x int);');
        },
      });
      expect(r.outcome).toBe('failed');
      expect(r.applied).toEqual(['1_a']);
      expect(r.failure).toMatchObject({ name: '2_b', code: 'PLAN_CHANGED' });
      expect(r.failure?.message).toContain('changed after it was approved');
      expect(await tableExists('evil')).toBe(false);
      expect((await rows()).map((x) => x.migration_name)).toEqual(['1_a']);
    });
  });

  describe('a silent network partition', () => {
    const slow = { '1_slow': 'CREATE TABLE part (x int);\nSELECT pg_sleep(1);\n' };

    it('does not hang: the watchdog gives up, and with the database still unreachable the outcome is unknown', async () => {
      const p = await proxy();
      const running = deploy({
        databaseUrl: p.url(db.url),
        migrationsDir: folder(slow),
        watchdog: { silenceMs: 1000, cancelTimeoutMs: 1000 },
        outcomeWaitMs: 1500,
      });
      await backendRunning('%pg_sleep(1)%');
      p.pause();
      const r = await running;
      expect(r.outcome).toBe('failed');
      expect(r.failure?.code).toBe('CONNECTION_LOST');
      expect(r.failure?.evidence?.verdict).toBe('unknown');
      expect(r.failure?.message).toContain('did not answer');
      p.resume();
      // The abandoned session can never commit: Drawbridge never sent its COMMIT.
      p.drop();
      for (
        let i = 0;
        i < 100 &&
        (
          await db.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND application_name = 'drawbridge deploy'`,
            [db.name],
          )
        ).rowCount;
        i++
      )
        await new Promise((res) => setTimeout(res, 50));
      expect(await tableExists('part')).toBe(false);
    });

    it('when the network returns, decides from a fresh connection: the abandoned transaction is ended, not applied', async () => {
      const p = await proxy();
      const running = deploy({
        databaseUrl: p.url(db.url),
        migrationsDir: folder(slow),
        watchdog: { silenceMs: 800, cancelTimeoutMs: 800 },
        outcomeWaitMs: 20_000,
      });
      await backendRunning('%pg_sleep(1)%');
      p.pause();
      setTimeout(() => p.resume(), 2000);
      const r = await running;
      expect(r.failure?.code).toBe('CONNECTION_LOST');
      expect(r.failure?.evidence?.verdict).toBe('not_applied');
      expect(await tableExists('part')).toBe(false);
      expect((await rows()).map((x) => x.finished_at)).toEqual([null]);
    });

    it('a COMMIT whose answer was lost is reported applied, as the database committed it', async () => {
      const p = await proxy();
      p.pauseDownstreamWhen('COMMIT');
      const running = deploy({
        databaseUrl: p.url(db.url),
        migrationsDir: folder({ '1_fast': 'CREATE TABLE lost_answer (x int);' }),
        watchdog: { silenceMs: 800, cancelTimeoutMs: 800 },
        outcomeWaitMs: 20_000,
      });
      for (let i = 0; i < 200 && !p.isPaused; i++) await new Promise((res) => setTimeout(res, 10));
      expect(p.isPaused).toBe(true);
      setTimeout(() => p.resume(), 1500);
      const r = await running;
      expect(r.failure?.code).toBe('CONNECTION_LOST');
      expect(r.failure?.evidence?.verdict).toBe('applied');
      expect(r.applied).toEqual(['1_fast']);
      expect(await tableExists('lost_answer')).toBe(true);
      expect((await rows()).map((x) => x.applied_steps_count)).toEqual([1]);
    });

    it('Cancel answers within its own timeout while the network is down', async () => {
      const p = await proxy();
      const abort = new AbortController();
      const running = deploy({
        databaseUrl: p.url(db.url),
        migrationsDir: folder({ '1_slow': 'CREATE TABLE cx (x int);\nSELECT pg_sleep(5);\n' }),
        signal: abort.signal,
        watchdog: { silenceMs: 30_000, cancelTimeoutMs: 800 },
        outcomeWaitMs: 1000,
      });
      await backendRunning('%pg_sleep(5)%');
      p.pause();
      abort.abort(new Error('cancelled by a person'));
      const r = await running;
      expect(r.outcome).toBe('cancelled');
      expect(r.failure?.message).toContain('cancel could not reach the database');
      expect(r.failure?.evidence?.verdict).toBe('unknown');
      p.drop();
    });
  });
});
