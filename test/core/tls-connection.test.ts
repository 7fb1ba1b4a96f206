/**
 * Defect: TLS was silently dropped. Against a real TLS-only PostgreSQL (pg_hba.conf `hostssl`) with a
 * CA of its own, every path that touches the database — status, the plan's impact reader and backup
 * estimate, deploy, the run lock, backup (pg_dump) and restore (pg_restore/psql) — follows the URL's
 * sslmode and sslrootcert as libpq does; a wrong CA fails naming the certificate problem.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PeerCertificate } from 'node:tls';
import { createBackup } from '../../src/core/backup/create-backup.js';
import { pgConnection } from '../../src/core/backup/pg-connection.js';
import { estimateBackupSize } from '../../src/core/backup/preflight.js';
import { restoreBackup } from '../../src/core/backup/restore-backup.js';
import { takeRunLock } from '../../src/core/pipeline/run-lock.js';
import { LocalExecutor } from '../../src/exec/local-executor.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../src/migrations/connection.js';
import { deploy } from '../../src/migrations/deploy.js';
import { getStatus } from '../../src/migrations/get-status.js';
import { readTableFacts } from '../../src/migrations/review/impact-reader.js';
import { tlsConnectOptions } from '../../src/migrations/tls-settings.js';
import { renderStatusMessage } from '../../src/slack/renderers/status-message.js';
import { makeFolder } from '../migrations/folder-helpers.js';
import { startTlsCluster, stopTlsCluster, type TlsCluster } from '../support/tls-cluster.js';
import { TcpProxy } from '../support/tcp-proxy.js';

let tls: TlsCluster;
let work: string;
let folder: { dir: string; cleanup: () => void };
const local = new LocalExecutor();

beforeAll(async () => {
  tls = await startTlsCluster();
  work = mkdtempSync(join(tmpdir(), 'drawbridge-tls-backup-'));
  folder = makeFolder({
    '20250101000000_init': 'CREATE TABLE "User" (id serial PRIMARY KEY, email text NOT NULL);\n',
  });
  const admin = await openSession(
    parseDatabaseUrl(tls.url('postgres', `sslmode=verify-full&sslrootcert=${tls.caFile}`)),
  );
  await admin.query('CREATE DATABASE app');
  await closeSession(admin);
}, 60_000);

afterAll(async () => {
  folder?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
  await local.close();
  stopTlsCluster(tls);
});

const verifyFull = (): string => tls.url('app', `sslmode=verify-full&sslrootcert=${tls.caFile}`);

async function sessionSsl(url: string): Promise<boolean> {
  const client = await openSession(parseDatabaseUrl(url));
  try {
    const r = await client.query<{ ssl: boolean }>(
      'select ssl from pg_stat_ssl where pid = pg_backend_pid()',
    );
    return r.rows[0]?.ssl === true;
  } finally {
    await closeSession(client);
  }
}

describe('verify-full with the right CA', () => {
  it('deploys, and status shows the migration applied and "TLS verify-full"', async () => {
    const result = await deploy({ databaseUrl: verifyFull(), migrationsDir: folder.dir });
    expect(result.outcome).toBe('succeeded');
    const report = await getStatus({ databaseUrl: verifyFull(), migrationsDir: folder.dir });
    expect(report.upToDate).toBe(true);
    expect(report.tls).toBe('TLS verify-full');
    const message = JSON.stringify(
      renderStatusMessage({
        kind: 'status',
        environment: 'production',
        target: '127.0.0.1/app',
        migrationsDir: folder.dir,
        report,
      }),
    );
    expect(message).toContain('TLS verify-full');
  });

  it('reads the plan facts and the backup estimate, and takes the run lock', async () => {
    const facts = await readTableFacts(verifyFull(), [{ key: 'User', schema: 'public', name: 'User' }]);
    expect(facts.get('User')?.exists).toBe(true);
    expect(await estimateBackupSize(verifyFull())).toBeGreaterThan(0);
    const lock = await takeRunLock(verifyFull());
    await lock.release();
    expect(await sessionSsl(verifyFull())).toBe(true);
  });

  it('backs up with pg_dump and restores with pg_restore over TLS', async () => {
    const backup = await createBackup({
      executor: local,
      databaseUrl: verifyFull(),
      environment: 'production',
      runId: 'tls1',
      dir: work,
    });
    expect(backup.sizeBytes).toBeGreaterThan(0);
    const restored = await restoreBackup({
      executor: local,
      databaseUrl: verifyFull(),
      path: backup.path,
      expectedSha256: backup.sha256,
    });
    expect(restored.checksumVerified).toBe(true);
  }, 30_000);
});

describe('refusals', () => {
  it('a wrong CA fails naming the certificate problem, for node-pg and for pg_dump', async () => {
    const wrong = tls.url('app', `sslmode=verify-full&sslrootcert=${tls.wrongCaFile}`);
    const err = await getStatus({ databaseUrl: wrong, migrationsDir: folder.dir }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'P1011' });
    expect((err as Error).message).toMatch(
      /^TLS certificate verification failed for 127\.0\.0\.1:\d+: .*certificate.* \(sslmode=verify-full, sslrootcert=.*wrong-ca\.crt\)$/,
    );
    await expect(estimateBackupSize(wrong)).rejects.toThrow(/TLS certificate verification failed/);
    await expect(readTableFacts(wrong, [])).rejects.toThrow(/TLS certificate verification failed/);
    const dump = await createBackup({
      executor: local,
      databaseUrl: wrong,
      environment: 'production',
      runId: 'tls2',
      dir: work,
    }).catch((e: unknown) => e);
    expect(String((dump as Error).message)).toMatch(/certificate verify failed/);
  }, 20_000);

  it('verify-ca checks the chain but not the host name; require alone does not verify', async () => {
    const verifyCa = (ca: string): string => tls.url('app', `sslmode=verify-ca&sslrootcert=${ca}`);
    expect(await sessionSsl(verifyCa(tls.caFile))).toBe(true);
    await expect(sessionSsl(verifyCa(tls.wrongCaFile))).rejects.toMatchObject({ code: 'P1011' });
    const options = tlsConnectOptions(parseDatabaseUrl(verifyCa(tls.caFile)).tls);
    expect(options.rejectUnauthorized).toBe(true);
    expect(options.checkServerIdentity?.('elsewhere.example', {} as PeerCertificate)).toBeUndefined();
    // libpq: require with a root certificate verifies the chain, as verify-ca does.
    expect(parseDatabaseUrl(tls.url('app', `sslmode=require&sslrootcert=${tls.caFile}`)).tls.verify).toBe(
      'chain',
    );
    expect(await sessionSsl(tls.url('app', 'sslmode=require'))).toBe(true);
    expect(await sessionSsl(tls.url('app', 'ssl=true'))).toBe(true);
  });

  it('sslmode=disable against a TLS-only server fails clearly', async () => {
    const err = await getStatus({
      databaseUrl: tls.url('app', 'sslmode=disable'),
      migrationsDir: folder.dir,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'P1000' });
    expect((err as Error).message).toMatch(/no encryption/);
    expect((err as { hint?: string }).hint).toMatch(/without TLS \(sslmode=disable\).*sslmode=require/);
  });

  it('prefer (the default) and allow use TLS when the server offers it', async () => {
    expect(await sessionSsl(tls.url('app', 'sslmode=prefer'))).toBe(true);
    expect(await sessionSsl(tls.url('app', 'connect_timeout=5'))).toBe(true);
    expect(await sessionSsl(tls.url('app', 'sslmode=allow'))).toBe(true);
    const report = await getStatus({
      databaseUrl: tls.url('app', 'sslmode=prefer'),
      migrationsDir: folder.dir,
    });
    expect(report.tls).toBe('TLS prefer (certificate not verified)');
  });

  it('hands libpq the same settings through the environment, never the command line', () => {
    const conn = pgConnection(tls.url('app', 'ssl=true&sslaccept=strict&sslrootcert=/etc/ca.pem'));
    expect(conn.env).toMatchObject({ PGSSLMODE: 'verify-full', PGSSLROOTCERT: '/etc/ca.pem' });
    expect(conn.args.join(' ')).not.toMatch(/ssl/);
  });
});

describe('through a tunnel (libpq hostaddr)', () => {
  it('connects to the tunnel and checks the certificate against the real host name', async () => {
    const direct = new URL(verifyFull());
    const proxy = await TcpProxy.start({ host: direct.hostname, port: Number(direct.port) });
    try {
      const tunnelled = (host: string): string => {
        const u = new URL(verifyFull());
        u.hostname = host;
        u.port = String(proxy.port);
        u.searchParams.set('hostaddr', '127.0.0.1');
        return u.toString();
      };
      // The certificate names localhost: checked against the name, connected through the tunnel.
      expect(await sessionSsl(tunnelled('localhost'))).toBe(true);
      expect(proxy.accepted).toBeGreaterThan(0);
      // A name the certificate does not carry fails, although the address connected to is the same.
      await expect(openSession(parseDatabaseUrl(tunnelled('db.invalid')))).rejects.toMatchObject({
        code: 'P1011',
      });
    } finally {
      await proxy.close();
    }
  });
});
