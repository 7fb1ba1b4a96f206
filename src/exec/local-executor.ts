/**
 * Runs commands on this host with execa: an executable and an argument array, never a shell. The
 * child gets a small inherited environment (chosen by the caller, normally config) with `spec.env`
 * on top, runs in its own process group so that a timeout or an abort stops everything it started
 * (SIGTERM to the group, SIGKILL after a grace period), and its output is redacted line by line.
 */
import { existsSync } from 'node:fs';
import type { Result } from 'execa';
import { systemClock, type Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import { DrawbridgeError } from '../base/errors.js';
import { redact } from '../base/redact.js';
import type { CommandResult, CommandSpec, Executor, OutputLine, Tunnel } from './executor.js';

/** The variables a child may inherit from the bot's environment; everything else must be given. */
export const MINIMAL_ENV_KEYS: readonly string[] = [
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'SHELL',
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_MESSAGES',
  'TZ',
  'TMPDIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
];

/** PATH used when the caller gives no environment at all. */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Picks the `MINIMAL_ENV_KEYS` out of a full environment (e.g. the one config read at start-up). */
export function minimalEnvironment(
  source: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of MINIMAL_ENV_KEYS) {
    const value = source[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

export interface LocalExecutorOptions {
  /**
   * The environment every child inherits before `spec.env` is applied, e.g.
   * `minimalEnvironment(process.env)` from config. Default: only `PATH=DEFAULT_PATH`.
   */
  baseEnv?: Readonly<Record<string, string>>;
  /** Variables added to `baseEnv` for every command (see CreateExecutorOptions.commandEnv). */
  commandEnv?: Readonly<Record<string, string>>;
  /** Time between SIGTERM and SIGKILL when a command is stopped. Default 5000 ms. */
  killGraceMs?: number;
  clock?: Clock;
  /** Receives one debug line per command (executable, redacted arguments, exit, duration). */
  logger?: Logger;
}

/** Executor for commands on this host. */
export class LocalExecutor implements Executor {
  readonly description = 'local';
  readonly baseEnv: Readonly<Record<string, string>>;
  private readonly killGraceMs: number;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly running = new Set<AbortController>();

  constructor(options: LocalExecutorOptions = {}) {
    this.baseEnv = Object.freeze({
      ...(options.baseEnv ?? { PATH: DEFAULT_PATH }),
      ...options.commandEnv,
    });
    this.killGraceMs = options.killGraceMs ?? 5000;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger;
  }

  async run(spec: CommandSpec, onOutput?: (line: OutputLine) => void): Promise<CommandResult> {
    const started = this.clock.now();
    if (spec.signal?.aborted) {
      return { exitCode: null, stdout: '', stderr: '', durationMs: 0, timedOut: false, cancelled: true };
    }
    const stop = new AbortController();
    this.running.add(stop);
    try {
      const result = await this.runStarted(spec, onOutput, stop, started);
      this.logger?.debug(
        {
          command: spec.command,
          args: spec.args.map(redact),
          exitCode: result.exitCode,
          durationMs: result.durationMs,
        },
        'command ended',
      );
      return result;
    } finally {
      this.running.delete(stop);
    }
  }

  private async runStarted(
    spec: CommandSpec,
    onOutput: ((line: OutputLine) => void) | undefined,
    stop: AbortController,
    started: number,
  ): Promise<CommandResult> {
    // execa (and its dozens of modules) loads on the first command, not with every CLI command.
    const { execa } = await import('execa');
    const subprocess = execa(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...this.baseEnv, ...spec.env },
      extendEnv: false,
      ...(spec.stdin === undefined ? { stdin: 'ignore' as const } : { input: spec.stdin }),
      stdout: lineTransform('stdout', onOutput),
      stderr: lineTransform('stderr', onOutput),
      detached: true,
      reject: false,
      maxBuffer: 256 * 1024 * 1024,
    });
    const killer = new GroupKiller(subprocess.pid, this.killGraceMs);
    let timedOut = false;
    let cancelled = false;
    const onAbort = (): void => {
      cancelled = true;
      killer.stop();
    };
    spec.signal?.addEventListener('abort', onAbort, { once: true });
    stop.signal.addEventListener('abort', onAbort, { once: true });
    // An abort while execa was loading (the first command) has fired already.
    if (spec.signal?.aborted || stop.signal.aborted) onAbort();
    const timer =
      spec.timeoutMs && spec.timeoutMs > 0
        ? setTimeout(() => {
            timedOut = true;
            killer.stop();
          }, spec.timeoutMs)
        : undefined;
    let result: Result;
    try {
      result = (await subprocess) as Result;
    } finally {
      if (timer) clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      killer.finish();
    }
    if (result.exitCode === undefined && result.signal === undefined) throw startFailure(spec, result);
    return {
      exitCode: result.exitCode ?? null,
      ...(result.signal ? { signal: result.signal } : {}),
      stdout: redact(String(result.stdout ?? '')),
      stderr: redact(String(result.stderr ?? '')),
      durationMs: this.clock.now() - started,
      timedOut,
      cancelled: cancelled && !timedOut,
    };
  }

  /** A local database needs no tunnel: the "tunnel" is the address itself. */
  openTunnel(host: string, port: number): Promise<Tunnel> {
    return Promise.resolve({ localHost: host, localPort: port, close: () => Promise.resolve() });
  }

  /** Stops every command still running. */
  close(): Promise<void> {
    for (const stop of this.running) stop.abort();
    return Promise.resolve();
  }
}

/** An execa generator transform that redacts each line and hands it to the callback. */
function lineTransform(
  stream: OutputLine['stream'],
  onOutput: ((line: OutputLine) => void) | undefined,
): { transform: (line: unknown) => Generator<string> } {
  return {
    *transform(line: unknown): Generator<string> {
      const text = redact(String(line));
      if (onOutput) {
        try {
          onOutput({ stream, line: text });
        } catch {
          // A failing listener must not break the command it listens to.
        }
      }
      yield text;
    },
  };
}

/** SIGTERM to the whole process group, SIGKILL after the grace period if anything is left. */
class GroupKiller {
  private graceTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly pid: number | undefined,
    private readonly graceMs: number,
  ) {}

  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.signal('SIGTERM');
    this.graceTimer = setTimeout(() => this.signal('SIGKILL'), this.graceMs);
  }

  /** Called once the leader has ended: a stopped group gets a last SIGKILL for stragglers. */
  finish(): void {
    if (this.graceTimer) clearTimeout(this.graceTimer);
    if (this.stopping) this.signal('SIGKILL');
  }

  private signal(sig: NodeJS.Signals): void {
    if (this.pid === undefined) return;
    try {
      process.kill(-this.pid, sig);
    } catch {
      // ESRCH: the group is gone already.
    }
  }
}

function startFailure(spec: CommandSpec, result: Result): DrawbridgeError {
  const cause = result.cause;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (spec.cwd !== undefined && !existsSync(spec.cwd)) {
    return new DrawbridgeError('EXEC_BAD_CWD', `Working directory ${spec.cwd} does not exist`, {
      hint: 'Create the directory or fix the configured cwd.',
      cause,
    });
  }
  if (code === 'ENOENT') {
    return new DrawbridgeError('EXEC_NOT_FOUND', `Command not found on this host: ${spec.command}`, {
      hint: `Install ${spec.command} on this host or make sure it is on the PATH given to Drawbridge.`,
      cause,
    });
  }
  return new DrawbridgeError(
    'EXEC_START_FAILED',
    `Could not start ${spec.command}: ${result.shortMessage ?? String(code)}`,
    { hint: 'Check that the command exists and is executable by the bot user.', cause },
  );
}
