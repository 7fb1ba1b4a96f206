/**
 * Where commands run: on this host, or on the bastion over SSH. Commands are always an executable
 * plus an argument array; nothing is ever handed to a shell as one string by this interface's users.
 */

/** One command to run. */
export interface CommandSpec {
  /** Executable name or path (looked up on PATH of the host that runs it). */
  command: string;
  /** Arguments, passed as they are. */
  args: readonly string[];
  /** Working directory on the host that runs it. */
  cwd?: string;
  /**
   * Extra environment variables. Secrets (e.g. DATABASE_URL, PGPASSWORD) go here, never in `args`:
   * implementations must not put them on any command line.
   */
  env?: Readonly<Record<string, string>>;
  /** Text written to the command's standard input, then closed. */
  stdin?: string;
  /** Kill the command after this many milliseconds (0 or absent: no limit). */
  timeoutMs?: number;
  /** Aborting kills the command (SIGTERM, then SIGKILL). */
  signal?: AbortSignal;
}

/** A line of output, delivered while the command runs. Already redacted. */
export interface OutputLine {
  stream: 'stdout' | 'stderr';
  line: string;
}

/** How a command ended. Output is redacted. A non-zero exit is a result, not a thrown error. */
export interface CommandResult {
  /** Exit code, or null when killed by a signal. */
  exitCode: number | null;
  /** Signal name when killed by one. */
  signal?: string;
  stdout: string;
  stderr: string;
  durationMs: number;
  timedOut: boolean;
  /** True when `spec.signal` aborted it. */
  cancelled: boolean;
}

/** A TCP forward from a local loopback port to a host:port reachable from the executor's host. */
export interface Tunnel {
  localHost: string;
  localPort: number;
  close(): Promise<void>;
}

export interface Executor {
  /** For people: e.g. "local" or "ssh deploy@bastion.example.com:22". */
  readonly description: string;
  /**
   * Runs a command to the end. Rejects only when it could not be started at all (e.g. executable
   * not found, SSH unreachable) with a DrawbridgeError; an exit code != 0 resolves normally.
   */
  run(spec: CommandSpec, onOutput?: (line: OutputLine) => void): Promise<CommandResult>;
  /** Forwards a local port to `host:port` as seen from the executor's host (for `via: bastion`). */
  openTunnel(host: string, port: number): Promise<Tunnel>;
  /** Releases connections. */
  close(): Promise<void>;
}
