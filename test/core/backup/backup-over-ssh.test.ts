import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBackup } from '../../../src/core/backup/create-backup.js';
import { checkPgDumpVersion, freeDiskBytes } from '../../../src/core/backup/preflight.js';
import { restoreBackup } from '../../../src/core/backup/restore-backup.js';
import { snapshotDatabase } from '../../../src/core/backup/snapshot.js';
import { SshExecutor } from '../../../src/exec/ssh-executor.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { startSshd, type TestSshd } from '../../support/sshd.js';
import { allCommandLines } from '../../exec/process-helpers.js';
import { seedShop } from './fixture.js';
import { RecordingExecutor, visibleText } from './recording-executor.js';

let sshd: TestSshd;
let ssh: SshExecutor;
let db: TestDatabase;
let work: string;

beforeAll(async () => {
  sshd = await startSshd();
  ssh = new SshExecutor(sshd.executorConfig);
  db = await createTestDatabase('sshbackup');
  await seedShop(db);
  work = mkdtempSync(join(tmpdir(), 'drawbridge-sshbackup-'));
});

afterAll(async () => {
  await ssh?.close();
  await db?.drop();
  await sshd?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('backup and restore through the SSH executor', () => {
  it('backs up on the bastion, with the password on no command line there or here', async () => {
    const ex = new RecordingExecutor(ssh);
    const seen: string[] = [];
    let dumping = false;
    const backup = createBackup({
      executor: ex,
      databaseUrl: db.url,
      environment: 'production',
      runId: 'ssh1',
      dir: join(work, 'backups'),
      keep: 3,
      onProgress: (p) => {
        if (p.phase === 'dump') dumping = true;
      },
    });
    // While the backup runs, look at every process on the host (bastion and bot are one host here).
    let done = false;
    void backup.finally(() => (done = true)).catch(() => undefined);
    while (!done) {
      if (dumping) seen.push(...allCommandLines());
      await new Promise((r) => setTimeout(r, 10));
    }
    const rec = await backup;
    expect(rec.host).toBe(ssh.description);
    expect(existsSync(rec.path)).toBe(true);
    expect(rec.sha256).toBe(createHash('sha256').update(readFileSync(rec.path)).digest('hex'));
    expect(rec.tocEntries).toBeGreaterThan(5);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((l) => l.includes(db.cluster.password))).toEqual([]);
    expect(visibleText(ex)).not.toContain(db.cluster.password);
  });

  it('restores through the bastion back to the snapshot', async () => {
    const rec = await createBackup({
      executor: ssh,
      databaseUrl: db.url,
      environment: 'production',
      runId: 'ssh2',
      dir: join(work, 'backups'),
    });
    const before = await snapshotDatabase({ executor: ssh, databaseUrl: db.url });
    await db.query(`delete from "Order"; alter table "User" add column extra int`);
    const result = await restoreBackup({
      executor: ssh,
      databaseUrl: db.url,
      path: rec.path,
      expectedSha256: rec.sha256,
      expected: before,
    });
    expect(result.comparison?.identical).toBe(true);
  });

  it('answers the preflight questions on the bastion', async () => {
    expect((await checkPgDumpVersion(ssh, 150000)).ok).toBe(true);
    expect(await freeDiskBytes(ssh, join(work, 'backups'))).toBeGreaterThan(0);
  });
});
