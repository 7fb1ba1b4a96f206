/**
 * Runs commands on the bastion through the system OpenSSH client, itself started with an argument
 * array by a LocalExecutor. Host keys are checked strictly against the configured known_hosts file,
 * authentication is by key only (BatchMode). See remote-script.ts for what travels to the remote side:
 * arguments POSIX-quoted, secrets over standard input. A timeout or an abort stops the remote process
 * group from a second connection, then the local client.
 */
import { systemClock, type Clock } from '../base/clock.js';
import { DrawbridgeError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import type { CommandResult, CommandSpec, Executor, OutputLine, Tunnel } from './executor.js';
import { LocalExecutor } from './local-executor.js';
import {
  newMarkers,
  remoteCommand,
  remoteKillCommand,
  remoteStdin,
  type RemoteMarkers,
} from './remote-script.js';
import { openSshTunnel } from './ssh-tunnel.js';

/** The `executor` block of an environment in the YAML config, `type: ssh`. */
export interface SshExecutorConfig {
  type?: 'ssh';
  host: string;
  port: number;
  user: string;
  /** Private key used to log in (never a password). */
  identityFile: string;
  /** known_hosts file holding the bastion's host key; unknown or changed keys are refused. */
  knownHostsFile: string;
  /** Seconds allowed for the TCP connection and handshake. Default 15. */
  connectTimeoutSeconds?: number;
}

export interface SshExecutorOptions {
  /** Environment of the local `ssh` client (see LocalExecutorOptions.baseEnv). */
  baseEnv?: Readonly<Record<string, string>>;
  /**
   * Variables every remote command receives, sent with `spec.env` over standard input (see
   * remote-script.ts); the local `ssh` client does not get them.
   */
  commandEnv?: Readonly<Record<string, string>>;
  /** Time between SIGTERM and SIGKILL when a command is stopped. Default 5000 ms. */
  killGraceMs?: number;
  /** How long openTunnel waits for the forwarded port to accept connections. Default 15000 ms. */
  tunnelReadyTimeoutMs?: number;
  clock?: Clock;
  /** Receives one debug line per local `ssh` command. */
  logger?: Logger;
}

const HOST = /^[A-Za-z0-9_.:[\]-]+$/;
const USER = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;

/** Executor for commands on a remote host over SSH. */
export class SshExecutor implements Executor {
  readonly description: string;
  private readonly local: LocalExecutor;
  private readonly clock: Clock;
  private readonly killGraceMs: number;
  private readonly tunnelReadyTimeoutMs: number;
  private readonly tunnels = new Set<Tunnel>();
  private readonly commandEnv: Readonly<Record<string, string>>;

  constructor(
    private readonly config: SshExecutorConfig,
    options: SshExecutorOptions = {},
  ) {
    if (!HOST.test(config.host) || config.host.startsWith('-') || !USER.test(config.user)) {
      throw new DrawbridgeError('EXEC_BAD_CONFIG', `Invalid SSH target ${config.user}@${config.host}`, {
        hint: 'Use a plain host name or address and a plain user name in the executor config.',
      });
    }
    this.clock = options.clock ?? systemClock;
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.tunnelReadyTimeoutMs = options.tunnelReadyTimeoutMs ?? 15_000;
    const { commandEnv, ...localOptions } = options;
    this.commandEnv = Object.freeze({ ...commandEnv });
    this.local = new LocalExecutor({ ...localOptions, killGraceMs: this.killGraceMs, clock: this.clock });
    this.description = `ssh ${config.user}@${config.host}:${config.port}`;
  }

  /** The `ssh` options and destination shared by commands and tunnels (everything but the command). */
  sshArgs(extra: readonly string[] = []): string[] {
    const c = this.config;
    return [
      ...['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'],
      ...['-o', `UserKnownHostsFile=${c.knownHostsFile}`, '-o', 'GlobalKnownHostsFile=/dev/null'],
      ...['-o', 'IdentitiesOnly=yes', '-o', 'LogLevel=ERROR', '-o', 'RequestTTY=no'],
      ...['-o', `ConnectTimeout=${c.connectTimeoutSeconds ?? 15}`],
      ...['-o', 'ServerAliveInterval=15', '-o', 'ServerAliveCountMax=3'],
      ...['-i', c.identityFile, '-p', String(c.port)],
      ...extra,
      `${c.user}@${c.host}`,
    ];
  }

  async run(spec: CommandSpec, onOutput?: (line: OutputLine) => void): Promise<CommandResult> {
    const started = this.clock.now();
    if (spec.signal?.aborted) {
      return { exitCode: null, stdout: '', stderr: '', durationMs: 0, timedOut: false, cancelled: true };
    }
    const markers = newMarkers();
    const session = new RemoteSession(this, markers, this.killGraceMs);
    const onAbort = (): void => session.stop('cancelled');
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      spec.timeoutMs && spec.timeoutMs > 0
        ? setTimeout(() => session.stop('timedOut'), spec.timeoutMs)
        : undefined;
    try {
      const result = await this.local.run(
        {
          command: 'ssh',
          args: [...this.sshArgs(), '--', remoteCommand(spec, markers)],
          stdin: remoteStdin({ ...spec, env: { ...this.commandEnv, ...spec.env } }, markers),
          signal: session.localStop.signal,
        },
        (line) => {
          if (session.consume(line)) onOutput?.(line);
        },
      );
      await session.killed;
      return this.finish(spec, session, result, started);
    } finally {
      session.dispose();
      if (timer) clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
    }
  }

  private finish(
    spec: CommandSpec,
    session: RemoteSession,
    result: CommandResult,
    started: number,
  ): CommandResult {
    if (session.notFound) {
      throw new DrawbridgeError(
        'EXEC_NOT_FOUND',
        `Command not found on ${this.description}: ${spec.command}`,
        {
          hint: `Install ${spec.command} on the bastion or make sure it is on the PATH of ${this.config.user}.`,
        },
      );
    }
    if (session.pgid === undefined && !session.stopReason) throw this.connectFailure(result);
    const stopped = session.stopReason !== undefined;
    return {
      exitCode: stopped ? null : result.exitCode,
      ...(stopped ? { signal: 'SIGTERM' } : result.signal ? { signal: result.signal } : {}),
      stdout: result.stdout,
      stderr: session.cleanStderr(result.stderr),
      durationMs: this.clock.now() - started,
      timedOut: session.stopReason === 'timedOut',
      cancelled: session.stopReason === 'cancelled',
    };
  }

  private connectFailure(result: CommandResult): DrawbridgeError {
    const detail = result.stderr.trim().split('\n').slice(-3).join(' ');
    const where = this.description;
    if (/host key verification failed|host key for .* has changed/i.test(result.stderr)) {
      return new DrawbridgeError('SSH_HOST_KEY_REJECTED', `${where}: host key not trusted (${detail})`, {
        hint: `Check the bastion's host key fingerprint out of band, then add it to ${this.config.knownHostsFile} (ssh-keyscan -p ${this.config.port} ${this.config.host}).`,
      });
    }
    if (/permission denied/i.test(result.stderr)) {
      return new DrawbridgeError('SSH_AUTH_FAILED', `${where}: login refused (${detail})`, {
        hint: `Add the public key of ${this.config.identityFile} to ~${this.config.user}/.ssh/authorized_keys on the bastion.`,
      });
    }
    return new DrawbridgeError(
      'SSH_CONNECT_FAILED',
      `${where}: could not connect (${detail || `exit ${String(result.exitCode)}`})`,
      {
        hint: 'Check that the bastion is reachable from the bot host and that sshd runs on the configured port.',
      },
    );
  }

  /** Runs the kill script for `pgid` over a fresh connection; failures are left to the caller's timeout. */
  async killRemote(pgid: number): Promise<void> {
    const graceSeconds = Math.max(1, Math.ceil(this.killGraceMs / 1000));
    await this.local
      .run({
        command: 'ssh',
        args: [...this.sshArgs(), '--', remoteKillCommand(pgid, graceSeconds)],
        timeoutMs: (graceSeconds + (this.config.connectTimeoutSeconds ?? 15) + 5) * 1000,
      })
      .catch(() => undefined);
  }

  async openTunnel(host: string, port: number): Promise<Tunnel> {
    const tunnel = await openSshTunnel({
      sshArgs: (extra) => this.sshArgs(extra),
      baseEnv: this.local.baseEnv,
      host,
      port,
      readyTimeoutMs: this.tunnelReadyTimeoutMs,
      clock: this.clock,
      description: this.description,
    });
    this.tunnels.add(tunnel);
    return {
      localHost: tunnel.localHost,
      localPort: tunnel.localPort,
      close: async () => {
        this.tunnels.delete(tunnel);
        await tunnel.close();
      },
    };
  }

  /** Closes every tunnel and stops commands still running. */
  async close(): Promise<void> {
    const open = [...this.tunnels];
    this.tunnels.clear();
    await Promise.all(open.map((t) => t.close()));
    await this.local.close();
  }
}

/** The state of one remote command: its process group, and how it is being stopped. */
class RemoteSession {
  readonly localStop = new AbortController();
  pgid: number | undefined;
  notFound = false;
  stopReason: 'timedOut' | 'cancelled' | undefined;
  killed: Promise<void> = Promise.resolve();
  private startWait: NodeJS.Timeout | undefined;

  constructor(
    private readonly executor: SshExecutor,
    private readonly markers: RemoteMarkers,
    private readonly graceMs: number,
  ) {}

  /** Takes our marker lines out of the stream; returns true for lines that belong to the user. */
  consume(line: OutputLine): boolean {
    if (line.stream !== 'stderr') return true;
    if (line.line.startsWith(`${this.markers.pid} `)) {
      const pgid = Number(line.line.slice(this.markers.pid.length + 1).trim());
      if (Number.isInteger(pgid) && pgid > 1) this.pgid = pgid;
      if (this.stopReason) {
        this.dispose();
        this.killRemote();
      }
      return false;
    }
    if (line.line === this.markers.notFound) {
      this.notFound = true;
      return false;
    }
    return true;
  }

  cleanStderr(stderr: string): string {
    return stderr
      .split('\n')
      .filter((l) => !l.startsWith(`${this.markers.pid} `) && l !== this.markers.notFound)
      .join('\n');
  }

  stop(reason: 'timedOut' | 'cancelled'): void {
    if (this.stopReason) return;
    this.stopReason = reason;
    if (this.pgid === undefined) {
      // The remote command may be starting right now: ending only the client would leave it running.
      // Wait (bounded) for its process group to be reported; consume() then kills it remotely.
      this.startWait = setTimeout(() => {
        if (this.pgid === undefined) this.localStop.abort();
      }, this.graceMs);
      return;
    }
    this.killRemote();
  }

  /** Clears timers once the command has ended. */
  dispose(): void {
    if (this.startWait) clearTimeout(this.startWait);
  }

  private killRemote(): void {
    const pgid = this.pgid;
    if (pgid === undefined) return;
    // The remote command ends first, so its session ends by itself; the client is stopped anyway
    // once the kill script is done or the grace period has passed, whichever comes first.
    const fallback = setTimeout(() => this.localStop.abort(), this.graceMs + 1000);
    this.killed = this.executor.killRemote(pgid).finally(() => {
      clearTimeout(fallback);
      this.localStop.abort();
    });
  }
}
