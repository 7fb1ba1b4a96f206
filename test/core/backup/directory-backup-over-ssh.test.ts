/**
 * A directory-format backup with parallel jobs made on the bastion (through the SSH executor): the
 * manifest is computed there, the progress reports ask there, and the restore checks the manifest
 * there, with the password on no command line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackup } from '../../../src/core/backup/create-backup.js';
import type { BackupProgress } from '../../../src/core/backup/progress.js';
import { restoreBackup } from '../../../src/core/backup/restore-backup.js';
import { snapshotDatabase } from '../../../src/core/backup/snapshot.js';
import { SshExecutor } from '../../../src/exec/ssh-executor.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startSshd, type TestSshd } from '../../support/sshd.js';
import { seedShop } from './fixture.js';
import { RecordingExecutor, visibleText } from './recording-executor.js';

let sshd: TestSshd;
let ssh: SshExecutor;
let db: TestDatabase;
let work: string;

beforeAll(async () => {
  sshd = await startSshd();
  ssh = new SshExecutor(sshd.executorConfig);
  db = await createTestDatabase('sshdirbackup');
  await seedShop(db);
  await db.query(
    `create table big_events (id bigint primary key, body text);
     insert into big_events select g, repeat(md5(g::text), 4) from generate_series(1, 100000) g;
     analyze;`,
  );
  work = mkdtempSync(join(tmpdir(), 'drawbridge-sshdirbackup-'));
});

afterAll(async () => {
  await ssh?.close();
  await db?.drop();
  await sshd?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('directory-format backup through the SSH executor', () => {
  it('dumps with two jobs, reports progress, and restores after checking the manifest', async () => {
    const ex = new RecordingExecutor(ssh);
    const reports: BackupProgress[] = [];
    const rec = await createBackup({
      executor: ex,
      databaseUrl: db.url,
      environment: 'production',
      runId: 'sshdir1',
      dir: join(work, 'backups'),
      format: 'directory',
      jobs: 2,
      progressIntervalMs: 20,
      onProgress: (p) => {
        if (p.amount) reports.push(p);
      },
    });
    expect(rec).toMatchObject({ format: 'directory', jobs: 2, host: ssh.description });
    expect(rec.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(reports.length).toBeGreaterThanOrEqual(1);
    const before = await snapshotDatabase({ executor: ssh, databaseUrl: db.url });
    await db.query(`delete from big_events; alter table "User" add column extra int`);
    const result = await restoreBackup({
      executor: ex,
      databaseUrl: db.url,
      path: rec.path,
      expectedSha256: rec.sha256,
      expected: before,
    });
    expect(result.checksumVerified).toBe(true);
    expect(result.comparison?.identical).toBe(true);
    expect(visibleText(ex)).not.toContain(db.cluster.password);
  });
});
