import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackup, type BackupRecord } from '../../../src/core/backup/create-backup.js';
import { restoreBackup } from '../../../src/core/backup/restore-backup.js';
import {
  compareSnapshots,
  normaliseSchemaDump,
  snapshotDatabase,
  type DatabaseSnapshot,
} from '../../../src/core/backup/snapshot.js';
import { LocalExecutor } from '../../../src/exec/local-executor.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedShop } from './fixture.js';
import { RecordingExecutor, visibleText } from './recording-executor.js';

let db: TestDatabase;
let work: string;
let backup: BackupRecord;
let before: DatabaseSnapshot;
const local = new LocalExecutor();

beforeAll(async () => {
  db = await createTestDatabase('restore');
  await seedShop(db);
  work = mkdtempSync(join(tmpdir(), 'drawbridge-restore-'));
  backup = await createBackup({
    executor: local,
    databaseUrl: db.url,
    environment: 'production',
    runId: 'r9',
    dir: work,
  });
  before = await snapshotDatabase({ executor: local, databaseUrl: db.url });
});

afterAll(async () => {
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
});

describe('snapshotDatabase', () => {
  it('records the schema and exact row counts of every table', () => {
    expect(before.rowCounts).toEqual({ 'public."Order"': 300, 'public."User"': 50, 'public.audit_note': 2 });
    expect(before.schemaDump).toContain('CREATE TABLE public."Order"');
    expect(before.schemaDump).toContain('CREATE VIEW public.paid_orders');
    expect(before.schemaDump).not.toMatch(/^--|^SET |^\\restrict/m);
  });

  it('is stable when nothing changed', async () => {
    const again = await snapshotDatabase({ executor: local, databaseUrl: db.url });
    expect(compareSnapshots(before, again)).toEqual({
      identical: true,
      schemaChanges: { removed: [], added: [] },
      rowCountChanges: [],
    });
  });
});

describe('restoreBackup', () => {
  it('brings schema and row counts back after a destructive change', async () => {
    await db.query(`
      alter table "User" drop column name;
      delete from "Order" where id > 100;
      insert into audit_note(body) values ('written after the backup');
      drop view paid_orders;
      create type made_later_kind as enum ('a', 'b');
      create table made_later (id int, kind made_later_kind);
      create function made_later_fn(x integer) returns integer language sql as 'select x';
      create schema made_later_schema;
    `);
    const damaged = compareSnapshots(
      before,
      await snapshotDatabase({ executor: local, databaseUrl: db.url }),
    );
    expect(damaged.identical).toBe(false);
    expect(damaged.schemaChanges.removed).toEqual(expect.arrayContaining(['    name text']));
    expect(damaged.rowCountChanges).toEqual([
      { table: 'public."Order"', before: 300, after: 100 },
      { table: 'public.audit_note', before: 2, after: 3 },
      { table: 'public.made_later', before: null, after: 0 },
    ]);

    const ex = new RecordingExecutor(local);
    const phases = new Set<string>();
    const result = await restoreBackup({
      executor: ex,
      databaseUrl: db.url,
      path: backup.path,
      expectedSha256: backup.sha256,
      expected: before,
      onProgress: (p) => phases.add(p.phase),
    });
    expect(result.checksumVerified).toBe(true);
    expect(result.comparison).toEqual({
      identical: true,
      schemaChanges: { removed: [], added: [] },
      rowCountChanges: [],
    });
    expect([...phases]).toEqual(['restore', 'compare']);
    // The restore script comes from pg_restore; psql runs the prelude and it in one transaction.
    const script = ex.specs.find((s) => s.command === 'pg_restore' && s.args.includes('--file'));
    expect(script?.args).toEqual(
      expect.arrayContaining(['--clean', '--if-exists', '--no-owner', '--file', backup.path]),
    );
    const apply = ex.specs.find((s) => s.command === 'psql' && s.args.includes('--single-transaction'));
    expect(apply?.args).toEqual(expect.arrayContaining(['--dbname', db.name, '--file', '-']));
    expect(apply?.stdin).toContain('DROP');
    // Objects made after the backup are gone (the snapshot comparison above is identical too).
    const extra = await db.query<{ n: string }>(
      `select (select count(*) from pg_type where typname = 'made_later_kind')
            + (select count(*) from pg_proc where proname = 'made_later_fn')
            + (select count(*) from pg_namespace where nspname = 'made_later_schema') as n`,
    );
    expect(extra.rows[0]?.n).toBe('0');
    expect(visibleText(ex)).not.toContain(db.cluster.password);
    const names = await db.query<{ name: string }>(`select name from "User" where id = 7`);
    expect(names.rows[0]?.name).toBe('User 7');
  });

  it('refuses a file whose checksum changed', async () => {
    await expect(
      restoreBackup({
        executor: local,
        databaseUrl: db.url,
        path: backup.path,
        expectedSha256: '0'.repeat(64),
      }),
    ).rejects.toMatchObject({ code: 'RESTORE_CHECKSUM_MISMATCH' });
  });

  it('fails as a whole and changes nothing when the restore cannot complete', async () => {
    await db.query(`create table blocker (id int)`);
    // A role that cannot create tables in public makes pg_restore fail mid-way.
    const url = new URL(db.url);
    await db.query(
      `drop role if exists restore_weak; create role restore_weak login password 'weak-pass-123'`,
    );
    url.username = 'restore_weak';
    url.password = 'weak-pass-123';
    const err = await restoreBackup({
      executor: local,
      databaseUrl: url.toString(),
      path: backup.path,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'RESTORE_FAILED' });
    expect(String((err as Error).message)).not.toContain('weak-pass-123');
    const after = await snapshotDatabase({ executor: local, databaseUrl: db.url });
    expect(after.rowCounts).toEqual({ ...before.rowCounts, 'public.blocker': 0 });
    await db.query(`drop table blocker; drop role restore_weak`);
  });
});

describe('compareSnapshots and normaliseSchemaDump', () => {
  it('reports added and removed lines and tables', () => {
    const a: DatabaseSnapshot = {
      schemaDump: 'CREATE TABLE a (\n    x int\n);',
      rowCounts: { 'public.a': 1, 'public.b': 2 },
    };
    const b: DatabaseSnapshot = {
      schemaDump: 'CREATE TABLE a (\n    y int\n);',
      rowCounts: { 'public.a': 1, 'public.c': 0 },
    };
    expect(compareSnapshots(a, b)).toEqual({
      identical: false,
      schemaChanges: { removed: ['    x int'], added: ['    y int'] },
      rowCountChanges: [
        { table: 'public.b', before: 2, after: null },
        { table: 'public.c', before: null, after: 0 },
      ],
    });
  });

  it('drops comments, SET lines and session keys', () => {
    const raw = [
      '--',
      '-- PostgreSQL database dump',
      '\\restrict abc123',
      'SET statement_timeout = 0;',
      "SELECT pg_catalog.set_config('search_path', '', false);",
      '',
      'CREATE TABLE public.t (   ',
      '    id integer',
      ');',
      '\\unrestrict abc123',
    ].join('\n');
    expect(normaliseSchemaDump(raw)).toBe('CREATE TABLE public.t (\n    id integer\n);');
  });
});
