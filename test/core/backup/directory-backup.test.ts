/**
 * Directory-format backups (`pg_dump -Fd --jobs`), their manifest sha256, restore through the same
 * restore path, refusal of a tampered directory, copy-back of a directory, retention of directories,
 * and the periodic progress reports of a dump and a restore.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../../src/base/clock.js';
import { ensureBackupFile } from '../../../src/core/backup/copy-back.js';
import { createBackup, type BackupOptions } from '../../../src/core/backup/create-backup.js';
import type { BackupProgress } from '../../../src/core/backup/progress.js';
import { restoreBackup } from '../../../src/core/backup/restore-backup.js';
import { snapshotDatabase } from '../../../src/core/backup/snapshot.js';
import { LocalExecutor } from '../../../src/exec/local-executor.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedShop } from './fixture.js';

let db: TestDatabase;
let work: string;
const local = new LocalExecutor();

beforeAll(async () => {
  db = await createTestDatabase('dirbackup');
  await seedShop(db);
  // Enough rows that a dump and a restore each outlast a few 5 ms progress intervals.
  await db.query(
    `create table big_events (id bigint primary key, body text);
     insert into big_events select g, repeat(md5(g::text), 4) from generate_series(1, 150000) g;
     analyze;`,
  );
  work = mkdtempSync(join(tmpdir(), 'drawbridge-dirbackup-'));
});

afterAll(async () => {
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
  await local.close();
});

function options(runId: string, extra: Partial<BackupOptions> = {}): BackupOptions {
  return {
    executor: local,
    databaseUrl: db.url,
    environment: 'production',
    runId,
    dir: join(work, 'backups'),
    format: 'directory',
    jobs: 2,
    ...extra,
  };
}

/** The manifest sha256 computed here, independently of the code under test. */
function manifestSha256(dir: string): string {
  const lines = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()
    .map(
      (name) =>
        `${createHash('sha256')
          .update(readFileSync(join(dir, name)))
          .digest('hex')}  ${name}\n`,
    );
  return createHash('sha256').update(lines.join('')).digest('hex');
}

describe('directory-format backups', () => {
  it('dumps a directory with parallel jobs, hashed as the manifest of its files', async () => {
    const rec = await createBackup(options('d1'));
    expect(statSync(rec.path).isDirectory()).toBe(true);
    expect(readdirSync(rec.path)).toContain('toc.dat');
    expect(rec).toMatchObject({ format: 'directory', jobs: 2 });
    expect(rec.sha256).toBe(manifestSha256(rec.path));
    expect(rec.tocEntries).toBeGreaterThan(5);
    expect(rec.sizeBytes).toBe(
      readdirSync(rec.path).reduce((sum, f) => sum + statSync(join(rec.path, f)).size, 0),
    );
    expect(statSync(rec.path).mode & 0o077).toBe(0);
  });

  it('restores to the same schema and row counts through the restore path', async () => {
    const rec = await createBackup(options('d2'));
    const before = await snapshotDatabase({ executor: local, databaseUrl: db.url });
    await db.query(
      `delete from big_events where id > 10; drop view paid_orders; alter table "User" add column x int`,
    );
    const result = await restoreBackup({
      executor: local,
      databaseUrl: db.url,
      path: rec.path,
      expectedSha256: rec.sha256,
      expected: before,
    });
    expect(result.checksumVerified).toBe(true);
    expect(result.comparison).toEqual({
      identical: true,
      schemaChanges: { removed: [], added: [] },
      rowCountChanges: [],
    });
    expect(before.rowCounts['public.big_events']).toBe(150000);
  });

  it('refuses a directory in which a file changed, and leaves the database alone', async () => {
    const rec = await createBackup(options('d3'));
    const data = readdirSync(rec.path).find(
      (f) => f.endsWith('.dat.gz') && statSync(join(rec.path, f)).size > 100,
    );
    expect(data).toBeDefined();
    const file = join(rec.path, data ?? '');
    const bytes = readFileSync(file);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0xff;
    writeFileSync(file, bytes);
    await db.query(`insert into audit_note(body) values ('after the tampered backup')`);
    await expect(
      restoreBackup({ executor: local, databaseUrl: db.url, path: rec.path, expectedSha256: rec.sha256 }),
    ).rejects.toMatchObject({ code: 'RESTORE_CHECKSUM_MISMATCH' });
    const notes = await db.query<{ n: string }>(
      `select count(*)::text as n from audit_note where body like 'after%'`,
    );
    expect(notes.rows[0]?.n).toBe('1');
  });

  it('fetches a missing directory back with copyBack and checks its manifest', async () => {
    const rec = await createBackup(options('d4', { copyOff: ['cp', '-r', '{file}', join(work, 'offsite')] }));
    expect(rec.copyOff?.ok).toBe(true);
    rmSync(rec.path, { recursive: true });
    const ref = { path: rec.path, fileName: rec.fileName, sha256: rec.sha256, copiedOff: true };
    const command = ['cp', '-r', join(work, 'offsite'), '{file}'];
    const ok = await ensureBackupFile(local, ref, { command, clock: systemClock });
    expect(ok).toMatchObject({ kind: 'fetched' });
    expect(manifestSha256(rec.path)).toBe(rec.sha256);
    // A copy that is not the backup is deleted and refused.
    rmSync(rec.path, { recursive: true });
    writeFileSync(join(work, 'offsite', 'extra.dat'), 'not from pg_dump');
    const wrong = await ensureBackupFile(local, ref, { command, clock: systemClock });
    expect(wrong).toMatchObject({ kind: 'refusal', code: 'COPY_BACK_CHECKSUM_MISMATCH' });
    expect(existsSync(rec.path)).toBe(false);
  });

  it('removes whole directories by retention', async () => {
    const dir = join(work, 'retention');
    const first = await createBackup(options('k1', { dir, keep: 1 }));
    const second = await createBackup(options('k2', { dir, keep: 1, format: 'custom', jobs: 1 }));
    expect(second.deleted).toEqual([first.fileName]);
    expect(readdirSync(dir)).toEqual([second.fileName]);
  });
});

describe('progress of long work', () => {
  it('reports the dump against the estimate, at most once per interval', async () => {
    const reports: BackupProgress[] = [];
    await createBackup(
      options('p1', {
        format: 'custom',
        jobs: 1,
        progressIntervalMs: 5,
        onProgress: (p) => {
          if (p.amount) reports.push(p);
        },
      }),
    );
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const r of reports) {
      expect(r.phase).toBe('dump');
      expect(r.amount).toMatchObject({ unit: 'bytes' });
      expect(r.amount?.total).toBeGreaterThan(0);
      expect(r.amount?.done).toBeLessThanOrEqual(r.amount?.total ?? 0);
      expect(r.message).toMatch(/^pg_dump: .* of ~.* of table data .* elapsed/);
    }
  });

  it('reports the tables restored', async () => {
    const rec = await createBackup(options('p2', { format: 'custom', jobs: 1 }));
    const reports: BackupProgress[] = [];
    await restoreBackup({
      executor: local,
      databaseUrl: db.url,
      path: rec.path,
      expectedSha256: rec.sha256,
      progressIntervalMs: 5,
      onProgress: (p) => {
        if (p.amount) reports.push(p);
      },
    });
    expect(reports.length).toBeGreaterThanOrEqual(2);
    for (const r of reports) {
      expect(r.amount).toMatchObject({ unit: 'tables', total: 4 });
      expect(r.message).toMatch(/^\d of 4 tables restored, .*, \d+ s elapsed/);
    }
    // The big table is seen while it loads, from the database (psql itself stays quiet).
    expect(reports.some((r) => /loading public\.big_events \(\d+ rows so far\)/.test(r.message))).toBe(true);
  });
});
