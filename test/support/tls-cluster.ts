/**
 * A throwaway PostgreSQL cluster that accepts TLS only (pg_hba.conf `hostssl`), with a certificate
 * authority of its own made with `openssl` (which `.ci/run` installs when missing): a CA, a server
 * certificate for 127.0.0.1 and localhost signed by it, and an unrelated CA to be the wrong one.
 *
 *   const tls = await startTlsCluster();          // in beforeAll
 *   tls.url('app', 'sslmode=verify-full&sslrootcert=' + tls.caFile)
 *   stopTlsCluster(tls);                          // in afterAll
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { databaseUrl, startCluster, stopCluster, type ClusterInfo } from './pg-cluster.js';

export interface TlsCluster {
  cluster: ClusterInfo;
  /** The CA that signed the server certificate. */
  caFile: string;
  /** A CA that signed nothing the server has. */
  wrongCaFile: string;
  /** Where the certificates live (removed by stopTlsCluster). */
  certDir: string;
  /** URL of database `name` with the given query string (no `?`). */
  url(name: string, query: string): string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: 'pipe' });
}

/** CA + server certificate (SAN 127.0.0.1, localhost) + a second, unrelated CA. */
function makeCertificates(dir: string): void {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const ca of ['ca', 'wrong-ca']) {
    openssl(
      [
        'req',
        '-x509',
        ...ec,
        '-days',
        '2',
        '-subj',
        `/CN=Drawbridge test ${ca}`,
        '-keyout',
        `${ca}.key`,
        '-out',
        `${ca}.crt`,
      ],
      dir,
    );
  }
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName = IP:127.0.0.1, DNS:localhost\n');
  openssl(
    ['req', '-new', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'],
    dir,
  );
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'server.crt',
    ],
    dir,
  );
}

/** The reload is asynchronous: wait until a plain TCP session is refused (pg_hba.conf took effect). */
async function untilPlainRefused(cluster: ClusterInfo): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const c = new pg.Client({ connectionString: cluster.adminUrl, ssl: false });
    try {
      await c.connect();
      await c.end();
    } catch {
      await c.end().catch(() => undefined);
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the TLS-only configuration did not take effect');
}

export async function startTlsCluster(): Promise<TlsCluster> {
  const certDir = mkdtempSync(join(tmpdir(), 'drawbridge-tls-'));
  makeCertificates(certDir);
  const cluster = await startCluster();
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  for (const file of ['server.crt', 'server.key']) {
    const target = join(cluster.dataDir, file);
    execFileSync('cp', [join(certDir, file), target]);
    if (isRoot) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
      chownSync(target, uid, gid);
    }
    chmodSync(target, 0o600);
  }
  // Unix socket for administration; over TCP, TLS or nothing.
  writeFileSync(
    join(cluster.dataDir, 'pg_hba.conf'),
    'local all all scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\n',
  );
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  try {
    await admin.query(`ALTER SYSTEM SET ssl = on`);
    await admin.query(`ALTER SYSTEM SET ssl_cert_file = 'server.crt'`);
    await admin.query(`ALTER SYSTEM SET ssl_key_file = 'server.key'`);
    await admin.query(`SELECT pg_reload_conf()`);
  } finally {
    await admin.end();
  }
  await untilPlainRefused(cluster);
  return {
    cluster,
    caFile: join(certDir, 'ca.crt'),
    wrongCaFile: join(certDir, 'wrong-ca.crt'),
    certDir,
    url: (name, query) => `${databaseUrl(cluster, name)}?${query}`,
  };
}

export function stopTlsCluster(tls: TlsCluster | undefined): void {
  if (!tls) return;
  try {
    stopCluster(tls.cluster);
  } finally {
    rmSync(tls.certDir, { recursive: true, force: true });
  }
}
