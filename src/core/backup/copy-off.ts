/** The optional copy-off command, run after a verified backup on the host that holds the file. */
import { describeError } from '../../base/errors.js';
import { redact } from '../../base/redact.js';
import type { Clock } from '../../base/clock.js';
import type { Executor } from '../../exec/executor.js';
import type { ProgressListener } from './progress.js';
import { tail } from './run-checked.js';

/** What the copy-off did. */
export interface CopyOffResult {
  /** The command as run, `{file}` substituted, redacted. */
  command: string[];
  ok: boolean;
  /** True when config says the run must stop if the copy-off fails. */
  required: boolean;
  exitCode: number | null;
  durationMs: number;
  /** The last lines of its output (or the reason it could not start), redacted. */
  output: string;
}

/** Replaces every `{file}` in every argument with `path`. */
export function substituteFile(command: readonly string[], path: string): string[] {
  return command.map((arg) => arg.split('{file}').join(path));
}

export async function runCopyOff(
  executor: Executor,
  command: readonly string[],
  path: string,
  opts: {
    required: boolean;
    clock: Clock;
    signal?: AbortSignal;
    timeoutMs?: number;
    onProgress?: ProgressListener;
  },
): Promise<CopyOffResult> {
  const [exe, ...args] = substituteFile(command, path);
  const started = opts.clock.now();
  const shown = substituteFile(command, path).map(redact);
  if (!exe) {
    return {
      command: shown,
      ok: false,
      required: opts.required,
      exitCode: null,
      durationMs: 0,
      output: 'empty copy-off command',
    };
  }
  try {
    const r = await executor.run(
      { command: exe, args, signal: opts.signal, timeoutMs: opts.timeoutMs },
      (l) => opts.onProgress?.({ phase: 'copy-off', message: l.line }),
    );
    const output = r.timedOut
      ? `timed out after ${String(opts.timeoutMs)} ms`
      : tail(`${r.stdout}\n${r.stderr}`, 10);
    return {
      command: shown,
      ok: r.exitCode === 0 && !r.timedOut && !r.cancelled,
      required: opts.required,
      exitCode: r.exitCode,
      durationMs: opts.clock.now() - started,
      output,
    };
  } catch (err) {
    return {
      command: shown,
      ok: false,
      required: opts.required,
      exitCode: null,
      durationMs: opts.clock.now() - started,
      output: describeError(err),
    };
  }
}
