/**
 * A throwaway PostgreSQL cluster started from the machine's own PostgreSQL binaries (the server
 * package, e.g. Debian's postgresql-15, which `.ci/run` installs when missing). When running as root
 * the server is started as the `postgres` user (PostgreSQL refuses root) with its data in a fresh
 * temporary directory that user owns. Password authentication (scram) is on, so that URLs carry a
 * real password and redaction is tested for real.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
  chownSync,
  chmodSync,
  appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLocalPort } from '../../src/exec/ssh-tunnel.js';

export interface ClusterInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  dataDir: string;
  baseDir: string;
  binDir: string;
  /** URL of the maintenance database `postgres`. */
  adminUrl: string;
}

/** Finds the directory with `initdb`/`pg_ctl`: $DRAWBRIDGE_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin. */
export function findPgBinDir(): string {
  const fromEnv = process.env.DRAWBRIDGE_PG_BINDIR;
  if (fromEnv && existsSync(join(fromEnv, 'initdb'))) return fromEnv;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const major = majors[0];
  if (!major) {
    throw new Error(
      'No PostgreSQL server binaries found (looked in /usr/lib/postgresql/*/bin). Install postgresql-15 ' +
        '(apt-get install postgresql-15) or set DRAWBRIDGE_PG_BINDIR.',
    );
  }
  return join(root, major, 'bin');
}

/** A free loopback port (the executors' helper, shared). */
export const freePort = freeLocalPort;

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function postgresIds(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

/** Runs a PostgreSQL program as the right user, with an argument array. */
function runPg(binDir: string, program: string, args: string[]): void {
  const exe = join(binDir, program);
  const [cmd, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', exe, ...args]] : [exe, args];
  const res = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 120_000 });
  if (res.status !== 0) {
    throw new Error(`${program} failed (exit ${res.status}): ${res.stderr || res.stdout}`);
  }
}

export async function startCluster(options: { port?: number } = {}): Promise<ClusterInfo> {
  const binDir = findPgBinDir();
  const baseDir = mkdtempSync(join(tmpdir(), 'drawbridge-pg-'));
  const dataDir = join(baseDir, 'data');
  const password = randomBytes(12).toString('hex');
  const pwFile = join(baseDir, 'pw');
  writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
  if (isRoot) {
    const { uid, gid } = postgresIds();
    chownSync(baseDir, uid, gid);
    chownSync(pwFile, uid, gid);
  }
  chmodSync(baseDir, 0o700);
  runPg(binDir, 'initdb', [
    '-D',
    dataDir,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${pwFile}`,
    '-E',
    'UTF8',
    '--locale=C.UTF-8',
    '--no-sync',
  ]);
  rmSync(pwFile, { force: true });
  const port = options.port ?? (await freePort());
  appendFileSync(
    join(dataDir, 'postgresql.conf'),
    [
      `port = ${port}`,
      `listen_addresses = '127.0.0.1'`,
      `unix_socket_directories = '${baseDir}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 300',
      'shared_buffers = 128MB',
      'log_min_messages = warning',
      // The post-deploy watch reads the slowest statements when the extension is there.
      "shared_preload_libraries = 'pg_stat_statements'",
      '',
    ].join('\n'),
  );
  runPg(binDir, 'pg_ctl', ['-D', dataDir, '-l', join(baseDir, 'server.log'), '-w', '-t', '60', 'start']);
  const adminUrl = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return { host: '127.0.0.1', port, user: 'postgres', password, dataDir, baseDir, binDir, adminUrl };
}

export function stopCluster(info: Pick<ClusterInfo, 'binDir' | 'dataDir' | 'baseDir'>): void {
  try {
    runPg(info.binDir, 'pg_ctl', ['-D', info.dataDir, '-m', 'immediate', '-w', 'stop']);
  } finally {
    rmSync(info.baseDir, { recursive: true, force: true });
  }
}

/** URL of database `name` on the cluster. */
export function databaseUrl(
  info: Pick<ClusterInfo, 'user' | 'password' | 'host' | 'port'>,
  name: string,
): string {
  return `postgres://${info.user}:${info.password}@${info.host}:${info.port}/${name}`;
}
