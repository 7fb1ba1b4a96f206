/**
 * The backup step reads its snapshot (schema, exact counts of the critical tables) while pg_dump
 * runs: on a real database the record carries both and the snapshot matches the dumped database; a
 * snapshot that fails stops the dump, leaves no file, and the step reports the snapshot's own error;
 * a dump that fails is reported once the snapshot has ended (as the snapshot's failure when both
 * fail, as when the snapshot came first); a cancelled run stops both.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import type { StepContext, StoredBackup } from '../../../src/core/pipeline/run-context.js';
import { RunCancelled } from '../../../src/core/pipeline/run-context.js';
import { backupStep } from '../../../src/core/pipeline/steps/backup-step.js';
import { LocalExecutor } from '../../../src/exec/local-executor.js';
import { findPgBinDir } from '../../support/pg-cluster.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedShop } from './fixture.js';

let db: TestDatabase;
let work: string;
const local = new LocalExecutor();
const bin = findPgBinDir();

beforeAll(async () => {
  db = await createTestDatabase('backupstep');
  await seedShop(db);
  work = mkdtempSync(join(tmpdir(), 'drawbridge-backup-step-'));
});

afterAll(async () => {
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
  await local.close();
});

interface Seen {
  ctx: StepContext;
  stored: StoredBackup[];
  progress: string[];
  scratch: { countsBefore?: Record<string, number | null>; warnings: string[] };
}

/** An executable script in the work directory. */
function script(name: string, body: string): string {
  const path = join(work, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

/** What the step reads of a run (no Slack, no store), with the client tools the preflight chose. */
function stepContext(
  dir: string,
  psql: string,
  signal = new AbortController().signal,
  pgDump = join(bin, 'pg_dump'),
): Seen {
  const stored: StoredBackup[] = [];
  const progress: string[] = [];
  const scratch = { warnings: [] as string[], maintenanceOn: false };
  const client = {
    binDir: bin,
    source: 'standard',
    pgDump,
    pgRestore: join(bin, 'pg_restore'),
    psql,
    major: 15,
    version: 'pg_dump (PostgreSQL) 15',
  };
  const ctx = {
    deps: { config: { dataDir: dir }, clock: systemClock },
    runs: { setBackup: (_id: string, b: StoredBackup) => stored.push(b) },
    run: { id: 'step1', environment: 'staging' },
    target: { url: db.url, executorUrl: db.url, executor: local },
    env: {
      criticalTables: ['Order'],
      backup: { dir, keep: 0, copyOffRequired: false, format: 'custom', jobs: 1 },
    },
    report: { preflight: [{ id: 'pg_dump', status: 'ok', message: '', client }] },
    scratch,
    signal,
    progress: (m: string) => progress.push(m),
    detail: () => undefined,
    emit: () => undefined,
    alive: () => undefined,
  } as unknown as StepContext;
  return { ctx, stored, progress, scratch };
}

describe('the backup step', () => {
  it('dumps while it reads the snapshot, and records both', async () => {
    const dir = join(work, 'ok');
    const seen = stepContext(dir, join(bin, 'psql'));
    const outcome = await backupStep(seen.ctx);
    expect(outcome.state).toBe('succeeded');
    expect(seen.stored).toHaveLength(1);
    const backup = seen.stored[0] as StoredBackup & { snapshot: { rowCounts: Record<string, number> } };
    expect(readdirSync(dir)).toEqual([backup.fileName]);
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM "Order"');
    expect(backup.snapshot.rowCounts['public."Order"']).toBe(rows[0]?.n);
    expect(seen.scratch.countsBefore).toEqual({ Order: rows[0]?.n });
  });

  // Each failure leaves no file and stores no backup; the step reports the error named.
  it.each([
    {
      what: 'stops the dump when the snapshot fails, leaves no file and says why',
      // A psql that fails: the snapshot's exact counts cannot be read (the dump itself needs no psql).
      psql: () => script('psql-that-fails', 'echo "psql: could not read the counts" >&2\nexit 2'),
      pgDump: () => join(bin, 'pg_dump'),
      code: 'SNAPSHOT_FAILED',
      says: 'could not read the counts',
    },
    {
      what: 'reports a failed dump once the snapshot has ended, and leaves no file',
      psql: () => join(bin, 'psql'),
      // pg_dump fails for the backup's custom format only; the snapshot's schema dump works.
      pgDump: () =>
        script(
          'pg_dump-custom-fails',
          `case "$*" in *--format=custom*) echo "pg_dump: disk quota exceeded" >&2; exit 1;; esac\nexec ${join(bin, 'pg_dump')} "$@"`,
        ),
      code: 'BACKUP_FAILED',
      says: 'disk quota exceeded',
    },
    {
      what: 'reports a pg_dump that fails for both as the snapshot failing, as when the snapshot came first',
      psql: () => join(bin, 'psql'),
      pgDump: () => script('pg_dump-broken', 'echo "pg_dump: broken" >&2; exit 1'),
      code: 'SNAPSHOT_FAILED',
      says: undefined,
    },
  ])('$what', async ({ what, psql, pgDump, code, says }) => {
    const dir = join(work, what.split(' ').slice(0, 3).join('-'));
    const seen = stepContext(dir, psql(), undefined, pgDump());
    const err = await backupStep(seen.ctx).catch((e: unknown) => e);
    expect(err).toMatchObject({ code });
    if (says !== undefined) expect(String((err as Error).message)).toContain(says);
    expect(seen.stored).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('stops both when the run is cancelled', async () => {
    const dir = join(work, 'cancelled');
    const seen = stepContext(dir, join(bin, 'psql'), AbortSignal.abort());
    await expect(backupStep(seen.ctx)).rejects.toBeInstanceOf(RunCancelled);
    expect(seen.stored).toEqual([]);
  });
});
