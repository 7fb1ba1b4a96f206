/**
 * What travels to the bastion for one SSH command. The remote login shell receives a single string
 * (that is how SSH works); we make it `sh -c <wrapper> drawbridge-exec <cwd> <command> <args…>`, every
 * word POSIX-quoted. The wrapper reports its process group (so that a timeout or an abort can stop the
 * remote command from a second connection), reads `NAME=value` lines from standard input up to an end
 * marker and exports them — secrets never appear on a command line — then changes directory and
 * `exec`s the command, which inherits the rest of standard input.
 */
import { randomBytes } from 'node:crypto';
import { DrawbridgeError } from '../base/errors.js';
import type { CommandSpec } from './executor.js';
import { shellJoin } from './shell-quote.js';

/** Per-command markers: unlikely to collide with real output, and never secret. */
export interface RemoteMarkers {
  pid: string;
  notFound: string;
  envEnd: string;
}

export function newMarkers(): RemoteMarkers {
  const nonce = randomBytes(6).toString('hex');
  return {
    pid: `__drawbridge_pgid_${nonce}__`,
    notFound: `__drawbridge_not_found_${nonce}__`,
    envEnd: `__drawbridge_env_end_${nonce}__`,
  };
}

function wrapperScript(m: RemoteMarkers): string {
  return [
    // Process group: from /proc (Linux), else ps, else our own pid (sshd makes it a group leader).
    `g=$(cut -d' ' -f5 /proc/$$/stat 2>/dev/null)`,
    `[ -n "$g" ] || g=$(ps -o pgid= -p $$ 2>/dev/null | tr -d ' ')`,
    `printf '%s %s\\n' '${m.pid}' "\${g:-$$}" >&2`,
    `while IFS= read -r l; do`,
    `  [ "$l" = '${m.envEnd}' ] && break`,
    `  v=$(printf '%bx' "\${l#*=}")`,
    `  export "\${l%%=*}=\${v%x}"`,
    `done`,
    `d=$1; shift`,
    `if [ -n "$d" ]; then cd "$d" || exit 126; fi`,
    `command -v "$1" >/dev/null 2>&1 || { printf '%s\\n' '${m.notFound}' >&2; exit 127; }`,
    `exec "$@"`,
  ].join('\n');
}

/** The remote command string for `spec`. Contains no value from `spec.env`. */
export function remoteCommand(spec: CommandSpec, m: RemoteMarkers): string {
  return shellJoin([
    'sh',
    '-c',
    wrapperScript(m),
    'drawbridge-exec',
    spec.cwd ?? '',
    spec.command,
    ...spec.args,
  ]);
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Bytes outside this set are sent as `\0ooo` escapes that `printf %b` turns back into bytes. */
const PLAIN_BYTE = /[A-Za-z0-9_.,:/@+-]/;

function encodeValue(value: string): string {
  if (value.includes('\0')) {
    throw new DrawbridgeError('EXEC_BAD_ARGUMENT', 'An environment value contains a NUL byte');
  }
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && PLAIN_BYTE.test(ch) ? ch : `\\0${byte.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/** Standard input for the remote wrapper: encoded env lines, the end marker, then the user's stdin. */
export function remoteStdin(spec: CommandSpec, m: RemoteMarkers): string {
  const lines: string[] = [];
  for (const [name, value] of Object.entries(spec.env ?? {})) {
    if (!ENV_NAME.test(name)) {
      throw new DrawbridgeError('EXEC_BAD_ARGUMENT', `Invalid environment variable name: ${name}`);
    }
    lines.push(`${name}=${encodeValue(value)}`);
  }
  lines.push(m.envEnd);
  return `${lines.join('\n')}\n${spec.stdin ?? ''}`;
}

/**
 * The remote command that stops process group `pgid`: SIGTERM, then SIGKILL once `graceSeconds`
 * have passed with anything of the group still alive.
 */
export function remoteKillCommand(pgid: number, graceSeconds: number): string {
  const script = [
    `kill -s TERM -- -"$1" 2>/dev/null || kill -s TERM "$1" 2>/dev/null`,
    `i=0`,
    `while [ "$i" -lt "$2" ] && kill -0 -- -"$1" 2>/dev/null; do sleep 1; i=$((i+1)); done`,
    `kill -s KILL -- -"$1" 2>/dev/null`,
    `exit 0`,
  ].join('\n');
  return shellJoin(['sh', '-c', script, 'drawbridge-kill', String(pgid), String(graceSeconds)]);
}
