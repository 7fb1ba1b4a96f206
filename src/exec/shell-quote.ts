/**
 * POSIX shell quoting for the one place where a command must travel as a single string: the remote
 * command of an SSH session, which the remote user's login shell parses. Every argument is wrapped in
 * single quotes, inside which a POSIX shell gives no character a special meaning; a single quote
 * itself is written as `'\''` (close, escaped quote, reopen). Spaces, `$`, backticks, `;`, `*`,
 * backslashes and newlines therefore arrive unchanged. Words made only of plain characters are left
 * unquoted so that commands shown to people stay readable.
 */
import { DrawbridgeError } from '../base/errors.js';

/** Words made only of these characters mean themselves to a POSIX shell (`=` is left out: a first word
 * `A=b` would be an assignment). */
const SAFE_WORD = /^[A-Za-z0-9_@%+:,./-]+$/;

/** Quotes one argument for a POSIX shell (plain words are left as they are). Rejects NUL, which no argument can carry. */
export function shellQuote(arg: string): string {
  if (arg.includes('\0')) {
    throw new DrawbridgeError('EXEC_BAD_ARGUMENT', 'A command argument contains a NUL byte', {
      hint: 'Arguments cannot carry NUL bytes; remove it from the configured command.',
    });
  }
  if (SAFE_WORD.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes every word and joins them with spaces: the result parses back to exactly `argv`. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}
