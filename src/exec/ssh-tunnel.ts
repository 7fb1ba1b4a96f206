/**
 * A local port forward through the bastion: `ssh -N -L 127.0.0.1:<free port>:<host>:<port>` with
 * ExitOnForwardFailure, ready once the local port accepts a connection (bounded wait). Closing it
 * ends the ssh client.
 */
import { connect, createServer } from 'node:net';
import type { ResultPromise } from 'execa';
import type { Clock } from '../base/clock.js';
import { DrawbridgeError } from '../base/errors.js';
import { redact } from '../base/redact.js';
import type { Tunnel } from './executor.js';

export interface SshTunnelOptions {
  /** Builds the ssh arguments (options and destination) around `extra`. */
  sshArgs: (extra: readonly string[]) => string[];
  baseEnv: Readonly<Record<string, string>>;
  host: string;
  port: number;
  readyTimeoutMs: number;
  clock: Clock;
  description: string;
}

/** A free TCP port on 127.0.0.1 (the kernel picks it; another process could still take it first). */
export function freeLocalPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function stopChild(child: ResultPromise): Promise<void> {
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await child.catch(() => undefined);
  clearTimeout(timer);
}

/** Opens the forward, retrying with another port when the chosen one was taken meanwhile. */
export async function openSshTunnel(o: SshTunnelOptions): Promise<Tunnel> {
  let lastError: DrawbridgeError | undefined;
  // execa loads on the first tunnel, not with every CLI command.
  const { execa } = await import('execa');
  for (let attempt = 0; attempt < 3; attempt++) {
    const localPort = await freeLocalPort();
    const target = o.host.includes(':') ? `[${o.host}]` : o.host;
    const child = execa(
      'ssh',
      o.sshArgs(['-N', '-o', 'ExitOnForwardFailure=yes', '-L', `127.0.0.1:${localPort}:${target}:${o.port}`]),
      {
        env: { ...o.baseEnv },
        extendEnv: false,
        stdin: 'ignore',
        stdout: 'ignore',
        reject: false,
      },
    );
    let exited = false;
    const ended = child.then((r) => {
      exited = true;
      return r;
    });
    const deadline = o.clock.now() + o.readyTimeoutMs;
    while (!exited && o.clock.now() < deadline) {
      if (await accepts(localPort)) {
        return { localHost: '127.0.0.1', localPort, close: () => stopChild(child) };
      }
      await o.clock.sleep(50);
    }
    if (!exited) {
      await stopChild(child);
      throw new DrawbridgeError(
        'SSH_TUNNEL_FAILED',
        `Tunnel through ${o.description} to ${o.host}:${o.port} was not ready in ${o.readyTimeoutMs} ms`,
        {
          hint: 'Check that the bastion can reach the database host and allows TCP forwarding.',
        },
      );
    }
    const result = await ended;
    const stderr = redact(String(result.stderr ?? '')).trim();
    lastError = new DrawbridgeError(
      /host key verification failed/i.test(stderr) ? 'SSH_HOST_KEY_REJECTED' : 'SSH_TUNNEL_FAILED',
      `Tunnel through ${o.description} to ${o.host}:${o.port} failed: ${stderr || `ssh exit ${String(result.exitCode)}`}`,
      { hint: 'Check the bastion host key, login and that it allows TCP forwarding (AllowTcpForwarding).' },
    );
    if (result.cause && (result.cause as { code?: unknown }).code === 'ENOENT') {
      throw new DrawbridgeError('EXEC_NOT_FOUND', 'Command not found on this host: ssh', {
        hint: 'Install the OpenSSH client (Debian: openssh-client).',
      });
    }
    if (!/address already in use|cannot listen/i.test(stderr)) throw lastError;
  }
  throw lastError ?? new DrawbridgeError('SSH_TUNNEL_FAILED', `Tunnel through ${o.description} failed`);
}
