/** Runs one command of a backup or restore and turns an unsuccessful end into a DrawbridgeError. */
import { DrawbridgeError } from '../../base/errors.js';
import type { CommandResult, CommandSpec, Executor, OutputLine } from '../../exec/executor.js';

export interface CheckedFailureCodes {
  /** Code for a non-zero exit or a timeout. */
  failed: string;
  /** Code when the caller's AbortSignal stopped it. */
  cancelled: string;
}

/** The last lines of a command's error output, for messages. */
export function tail(text: string, lines = 5): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

export async function runChecked(
  executor: Executor,
  spec: CommandSpec,
  what: string,
  codes: CheckedFailureCodes,
  onOutput?: (line: OutputLine) => void,
): Promise<CommandResult> {
  const result = await executor.run(spec, onOutput);
  if (result.cancelled) {
    throw new DrawbridgeError(codes.cancelled, `${what} was cancelled`);
  }
  if (result.timedOut) {
    throw new DrawbridgeError(codes.failed, `${what} timed out after ${String(spec.timeoutMs)} ms`, {
      hint: 'Raise the timeout or check why the command is slow.',
    });
  }
  if (result.exitCode !== 0) {
    const detail = tail(result.stderr) || tail(result.stdout);
    throw new DrawbridgeError(
      codes.failed,
      `${what} failed (exit ${String(result.exitCode ?? result.signal)}): ${detail}`,
    );
  }
  return result;
}
