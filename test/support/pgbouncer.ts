/**
 * A real PgBouncer (Debian's `pgbouncer`, which `.ci/run` installs when missing) in front of a test
 * cluster, on a free loopback port, in transaction pooling mode by default. When running as root it
 * runs as the `postgres` user, like the cluster. The userlist holds the cluster's password in plain
 * text, so that PgBouncer can answer the client's SCRAM exchange and log in to the server with SCRAM.
 */
import { spawn, type ChildProcess, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ClusterInfo } from './pg-cluster.js';

/** Where Debian installs PgBouncer. */
export const PGBOUNCER_BIN = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  poolMode?: 'transaction' | 'session' | 'statement';
  /** Server connections per user/database pair (default 1). */
  poolSize?: number;
}

export interface PgBouncer {
  port: number;
  /** URL of database `name` through the pooler (no `pgbouncer=true` marker). */
  url(name: string): string;
  stop(): Promise<void>;
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function waitForPort(port: number, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null) {
        const log = existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
        reject(new Error(`pgbouncer exited (${child.exitCode}): ${log}`));
        return;
      }
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error('pgbouncer did not start listening'));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/** Starts PgBouncer in front of `cluster`; `stop()` it in `afterAll`. */
export async function startPgBouncer(cluster: ClusterInfo, opts: PgBouncerOptions = {}): Promise<PgBouncer> {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-pgbouncer-'));
  const port = await freePort();
  const logFile = join(dir, 'pgbouncer.log');
  const poolSize = opts.poolSize ?? 1;
  writeFileSync(join(dir, 'userlist.txt'), `"${cluster.user}" "${cluster.password}"\n`, { mode: 0o600 });
  writeFileSync(
    join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = host=${cluster.host} port=${cluster.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      `unix_socket_dir = ${dir}`,
      'auth_type = scram-sha-256',
      `auth_file = ${join(dir, 'userlist.txt')}`,
      `pool_mode = ${opts.poolMode ?? 'transaction'}`,
      `default_pool_size = ${poolSize}`,
      `max_db_connections = ${poolSize}`,
      'max_client_conn = 200',
      `logfile = ${logFile}`,
      `pidfile = ${join(dir, 'pgbouncer.pid')}`,
      '',
    ].join('\n'),
  );
  if (isRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    for (const f of ['', 'userlist.txt', 'pgbouncer.ini']) chownSync(join(dir, f), uid, gid);
  }
  const args = [join(dir, 'pgbouncer.ini')];
  const child = isRoot
    ? spawn('runuser', ['-u', 'postgres', '--', PGBOUNCER_BIN, ...args], { stdio: 'ignore' })
    : spawn(PGBOUNCER_BIN, args, { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, child, logFile);
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    port,
    url: (name) => `postgres://${cluster.user}:${cluster.password}@127.0.0.1:${port}/${name}`,
    async stop() {
      // SIGINT: PgBouncer's "safe shutdown" would wait for clients; SIGTERM closes them at once.
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
