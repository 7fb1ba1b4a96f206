/**
 * A real OpenSSH server on 127.0.0.1 for tests (Debian package openssh-server, which `.ci/run`
 * installs). It runs in the foreground as a child (`sshd -D -e -f <config>`) with a fresh host key,
 * a fresh client key authorised for the current user, and a known_hosts file holding the host key,
 * all in a temporary directory.
 *
 *   const sshd = await startSshd();              // in beforeAll
 *   new SshExecutor(sshd.executorConfig)
 *   await sshd.stop();                           // in afterAll
 *
 * It logs at VERBOSE, which names every login and every session a login starts: `tunnelsIn` counts
 * the logins that never started one, which are the `ssh -N -L` port forwards.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { SshExecutorConfig } from '../../src/exec/ssh-executor.js';
import { freePort } from './pg-cluster.js';

export interface TestSshd {
  host: string;
  port: number;
  user: string;
  dir: string;
  identityFile: string;
  knownHostsFile: string;
  /** A known_hosts file holding some other key for this address (for refusal tests). */
  wrongKnownHostsFile: string;
  executorConfig: SshExecutorConfig & { type: 'ssh' };
  /** What sshd wrote so far (it logs to stderr with -e). */
  log(): string;
  /** Port forwards (`ssh -N -L`) opened through this sshd since `log().length` was `from`. */
  tunnelsSince(from: number): number;
  stop(): Promise<void>;
}

function findSshd(): string {
  for (const p of ['/usr/sbin/sshd', '/usr/local/sbin/sshd']) if (existsSync(p)) return p;
  throw new Error('sshd not found: install openssh-server (apt-get install -y openssh-server)');
}

function keygen(file: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'drawbridge-test', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim();
}

async function waitForPort(port: number, child: ChildProcess, logText: () => string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`sshd exited early:\n${logText()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port} within 10 s:\n${logText()}`);
}

/**
 * The logins in an sshd log (VERBOSE) that never started a session: with `-N` the client asks for no
 * shell and no command, only forwards, so each is one tunnel. Logins are told apart by client port.
 */
export function tunnelsIn(log: string): number {
  const logins = new Set<string>();
  const sessions = new Set<string>();
  for (const m of log.matchAll(/^Accepted publickey for \S+ from (\S+) port (\d+)/gm))
    logins.add(`${m[1]}:${m[2]}`);
  for (const m of log.matchAll(/^Starting session: .* from (\S+) port (\d+)/gm))
    sessions.add(`${m[1]}:${m[2]}`);
  return [...logins].filter((l) => !sessions.has(l)).length;
}

export async function startSshd(): Promise<TestSshd> {
  const sshd = findSshd();
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-sshd-'));
  const hostKeyPub = keygen(join(dir, 'host_key')).split(' ').slice(0, 2).join(' ');
  const clientPub = keygen(join(dir, 'client_key'));
  const otherPub = keygen(join(dir, 'other_key')).split(' ').slice(0, 2).join(' ');
  writeFileSync(join(dir, 'authorized_keys'), `${clientPub}\n`, { mode: 0o600 });
  const port = await freePort();
  writeFileSync(join(dir, 'known_hosts'), `[127.0.0.1]:${port} ${hostKeyPub}\n`);
  writeFileSync(join(dir, 'wrong_known_hosts'), `[127.0.0.1]:${port} ${otherPub}\n`);
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    'PidFile none',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'AllowTcpForwarding yes',
    'MaxStartups 100',
    'MaxSessions 100',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'sshd_config'), config);
  // As root, sshd needs its privilege-separation directory (normally made by the init system).
  if (process.getuid?.() === 0) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const child = spawn(sshd, ['-D', '-e', '-f', join(dir, 'sshd_config')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let logText = '';
  child.stderr?.on('data', (d: Buffer) => (logText += d.toString()));
  await waitForPort(port, child, () => logText);
  const user = userInfo().username;
  const identityFile = join(dir, 'client_key');
  const knownHostsFile = join(dir, 'known_hosts');
  return {
    host: '127.0.0.1',
    port,
    user,
    dir,
    identityFile,
    knownHostsFile,
    wrongKnownHostsFile: join(dir, 'wrong_known_hosts'),
    executorConfig: { type: 'ssh', host: '127.0.0.1', port, user, identityFile, knownHostsFile },
    log: () => logText,
    tunnelsSince: (from) => tunnelsIn(logText.slice(from)),
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
