import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../../src/base/clock.js';
import {
  BackupCopyOffError,
  createBackup,
  type BackupOptions,
} from '../../../src/core/backup/create-backup.js';
import { checkPgDumpVersion, estimateBackupSize, freeDiskBytes } from '../../../src/core/backup/preflight.js';
import { verifyBackup } from '../../../src/core/backup/verify-backup.js';
import { LocalExecutor } from '../../../src/exec/local-executor.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedShop } from './fixture.js';
import { RecordingExecutor, visibleText } from './recording-executor.js';

let db: TestDatabase;
let work: string;
const local = new LocalExecutor();
const START = Date.UTC(2025, 0, 2, 3, 4, 5);

beforeAll(async () => {
  db = await createTestDatabase('backup');
  await seedShop(db);
  work = mkdtempSync(join(tmpdir(), 'drawbridge-backup-'));
});

afterAll(async () => {
  await db?.drop();
  rmSync(work, { recursive: true, force: true });
  await local.close();
});

function options(dir: string, extra: Partial<BackupOptions> = {}): BackupOptions {
  return {
    executor: local,
    databaseUrl: db.url,
    environment: 'staging',
    runId: 'r1',
    dir,
    clock: new ManualClock(START),
    ...extra,
  };
}

const sha256Of = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('createBackup', () => {
  it('dumps, measures, checksums and verifies, with the password never on a command line', async () => {
    const ex = new RecordingExecutor(local);
    const progress: string[] = [];
    const dir = join(work, 'one', 'nested');
    const rec = await createBackup(options(dir, { executor: ex, onProgress: (p) => progress.push(p.phase) }));

    expect(rec.fileName).toBe('staging-20250102T030405Z-r1.dump');
    expect(rec.path).toBe(join(dir, rec.fileName));
    expect(existsSync(rec.path)).toBe(true);
    expect(statSync(rec.path).mode & 0o777).toBe(0o600);
    expect(rec.sizeBytes).toBe(statSync(rec.path).size);
    expect(rec.sha256).toBe(sha256Of(rec.path));
    expect(rec.tocEntries).toBeGreaterThan(5);
    expect(rec.host).toBe('local');
    expect(rec.database).not.toContain(db.cluster.password);
    expect(rec.warnings).toEqual([]);
    expect(new Set(progress)).toEqual(new Set(['prepare', 'dump', 'checksum', 'verify']));

    const dump = ex.specs.find((s) => s.command === 'pg_dump');
    expect(dump?.args).toEqual(
      expect.arrayContaining(['--format=custom', '--no-password', '--file', rec.path, '--dbname', db.name]),
    );
    expect(dump?.env?.PGPASSWORD).toBe(db.cluster.password);
    expect(visibleText(ex)).not.toContain(db.cluster.password);
    expect(JSON.stringify(rec)).not.toContain(db.cluster.password);

    expect(rec.restoreCommand).toBe(
      `pg_restore --clean --if-exists --single-transaction --no-owner --host 127.0.0.1 --port ${db.cluster.port} --username postgres --dbname ${db.name} ${rec.path}`,
    );
  });

  it('keeps only the newest N of its own files and leaves everything else alone', async () => {
    const dir = join(work, 'retention');
    mkdirSync(dir, { recursive: true });
    const foreign = ['notes.txt', 'production-20200101T000000Z-old.dump', 'staging-manual.dump'];
    for (const f of foreign) writeFileSync(join(dir, f), 'x');
    const clock = new ManualClock(START);
    const records = [];
    for (let i = 1; i <= 4; i++) {
      records.push(await createBackup(options(dir, { runId: `run${i}`, keep: 2, clock })));
      await clock.advance(60_000);
    }
    expect(records[3]?.deleted).toEqual([records[1]?.fileName]);
    expect(readdirSync(dir).sort()).toEqual([...foreign, records[2]?.fileName, records[3]?.fileName].sort());
  });

  it('runs the copy-off command with {file} substituted', async () => {
    const dir = join(work, 'copy-ok');
    const target = join(work, 'offsite');
    mkdirSync(target);
    const rec = await createBackup(options(dir, { copyOff: ['cp', '{file}', `${target}/`] }));
    expect(rec.copyOff).toMatchObject({
      ok: true,
      exitCode: 0,
      required: false,
      command: ['cp', rec.path, `${target}/`],
    });
    expect(sha256Of(join(target, rec.fileName))).toBe(rec.sha256);
  });

  it('reports a failed optional copy-off as a warning', async () => {
    const rec = await createBackup(
      options(join(work, 'copy-warn'), {
        copyOff: ['sh', '-c', 'echo "bucket unreachable for $0" >&2; exit 3', '{file}'],
      }),
    );
    expect(rec.copyOff).toMatchObject({ ok: false, exitCode: 3, required: false });
    expect(rec.copyOff?.output).toContain(`bucket unreachable for ${rec.path}`);
    expect(rec.warnings).toEqual([expect.stringContaining('Copy-off failed')]);
    expect(existsSync(rec.path)).toBe(true);
  });

  it('fails on a failed required copy-off, keeping the verified backup', async () => {
    const err = await createBackup(
      options(join(work, 'copy-fail'), { copyOff: ['false', '{file}'], copyOffRequired: true }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupCopyOffError);
    const rec = (err as BackupCopyOffError).record;
    expect((err as BackupCopyOffError).code).toBe('BACKUP_COPY_OFF_FAILED');
    expect(rec.copyOff).toMatchObject({ ok: false, required: true, exitCode: 1 });
    expect(sha256Of(rec.path)).toBe(rec.sha256);
  });

  it('fails with BACKUP_DUMP_FAILED on a wrong password, leaves no file and shows no password', async () => {
    const dir = join(work, 'badpw');
    const url = new URL(db.url);
    url.password = 'wrong-password-123';
    const err = await createBackup(options(dir, { databaseUrl: url.toString() })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'BACKUP_DUMP_FAILED' });
    expect(String((err as Error).message)).toMatch(/password authentication failed/);
    expect(String((err as Error).message)).not.toContain('wrong-password-123');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('counts a dump only once the work beside it succeeded; if it failed, removes the dump and keeps the older ones', async () => {
    const dir = join(work, 'alongside');
    const clock = new ManualClock(START);
    const older = await createBackup(options(dir, { runId: 'old', keep: 1, clock }));
    await clock.advance(60_000);
    let settled = false;
    const beside = new Promise((resolve) => setTimeout(resolve, 50)).then(() => {
      settled = true;
    });
    const ok = await createBackup(options(dir, { runId: 'ok', keep: 2, clock, alongside: beside }));
    expect(settled).toBe(true);
    expect(readdirSync(dir).sort()).toEqual([older.fileName, ok.fileName].sort());
    await clock.advance(60_000);
    // keep: 1 would remove both older backups; the failure beside the dump leaves them and no new file.
    const failed = Promise.reject(Object.assign(new Error('snapshot failed'), { code: 'SNAPSHOT_FAILED' }));
    failed.catch(() => undefined);
    const err = await createBackup(options(dir, { runId: 'bad', keep: 1, clock, alongside: failed })).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'SNAPSHOT_FAILED', message: 'snapshot failed' });
    expect(readdirSync(dir).sort()).toEqual([older.fileName, ok.fileName].sort());
  });

  it('stops with BACKUP_CANCELLED when aborted', async () => {
    await expect(
      createBackup(options(join(work, 'aborted'), { signal: AbortSignal.abort() })),
    ).rejects.toMatchObject({
      code: 'BACKUP_CANCELLED',
    });
  });
});

describe('verifyBackup', () => {
  let good: string;
  beforeAll(async () => {
    good = (await createBackup(options(join(work, 'verify')))).path;
  });

  it('counts the table of contents of a good dump', async () => {
    const { tocEntries } = await verifyBackup(local, good);
    expect(tocEntries).toBeGreaterThan(5);
  });

  it('rejects a truncated dump', async () => {
    const cut = join(work, 'truncated.dump');
    copyFileSync(good, cut);
    truncateSync(cut, Math.floor(statSync(good).size * 0.6));
    await expect(verifyBackup(local, cut)).rejects.toMatchObject({ code: 'BACKUP_VERIFY_FAILED' });
  });

  it('rejects a file that is not a dump', async () => {
    const junk = join(work, 'junk.dump');
    writeFileSync(junk, 'this is not a pg_dump archive\n');
    await expect(verifyBackup(local, junk)).rejects.toMatchObject({ code: 'BACKUP_VERIFY_FAILED' });
  });
});

describe('backup preflight helpers', () => {
  it('estimates the database size', async () => {
    expect(await estimateBackupSize(db.url)).toBeGreaterThan(1_000_000);
  });

  it('compares the pg_dump major with the server major', async () => {
    const serverNum = Number(
      (await db.query<{ v: string }>("select current_setting('server_version_num') as v")).rows[0]?.v,
    );
    const same = await checkPgDumpVersion(local, serverNum);
    expect(same).toMatchObject({ ok: true, serverMajor: 15, pgDumpMajor: 15 });
    expect(same.pgDumpVersion).toMatch(/^pg_dump \(PostgreSQL\) 15\./);
    const newer = await checkPgDumpVersion(local, 170002);
    expect(newer).toMatchObject({ ok: false, serverMajor: 17 });
    expect(newer.hint).toContain('postgresql-client-17');
    const missing = await checkPgDumpVersion(local, 150000, 'pg_dump_missing_xyz');
    expect(missing).toMatchObject({ ok: false, pgDumpMajor: null });
  });

  it('measures free disk, at the nearest existing parent for a missing dir', async () => {
    const free = await freeDiskBytes(local, join(work, 'does', 'not', 'exist'));
    expect(free).toBeGreaterThan(0);
  });
});
