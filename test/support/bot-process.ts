/**
 * The bot as a real child process (`node --import tsx src/main.ts`) for tests that must stop it the
 * hard way (SIGKILL) and start it again on the same data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** A running (or exited) bot process. */
export interface BotProcess {
  readonly child: ChildProcess;
  /** stdout and stderr chunks, in arrival order. */
  readonly out: string[];
  /** Resolves with the exit code and signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True while the process has not exited. */
  alive(): boolean;
}

/** Starts `src/main.ts` with exactly `env` (plus PATH and HOME). */
export function startBotProcess(env: Record<string, string>): BotProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/main.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  child.stdout?.on('data', (d: Buffer) => out.push(d.toString()));
  child.stderr?.on('data', (d: Buffer) => out.push(d.toString()));
  let done = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.on('exit', (code, signal) => {
      done = true;
      r({ code, signal });
    }),
  );
  return { child, out, exited, alive: () => !done && child.exitCode === null && child.signalCode === null };
}

/** Polls `GET /healthz` until it answers 200; throws after `timeoutMs` or if the process exits. */
export async function waitHealthy(bot: BotProcess, port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (!bot.alive()) throw new Error(`bot exited before it was healthy:\n${bot.out.join('')}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`bot did not become healthy within ${timeoutMs} ms:\n${bot.out.join('')}`);
}

/** SIGKILLs the process (if still running) and waits, at most `timeoutMs`, for it to be gone. */
export async function killHard(
  bot: BotProcess,
  timeoutMs = 10_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (bot.alive()) bot.child.kill('SIGKILL');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`bot did not exit within ${timeoutMs} ms of SIGKILL`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([bot.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** True when a process with this pid exists (signal 0 probes without sending anything). */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Calls `fn` every `intervalMs` until it returns something other than undefined/false/null, and
 * returns that; throws naming `what` after `timeoutMs`.
 */
export async function pollUntil<T>(
  fn: () => Promise<T | undefined | false | null> | T | undefined | false | null,
  opts: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<T> {
  const deadline = performance.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false && v !== null) return v;
    if (performance.now() > deadline)
      throw new Error(`timed out after ${opts.timeoutMs ?? 20_000} ms waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}
