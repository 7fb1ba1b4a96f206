/**
 * `/migrate …` text → a typed command, or the usage reply to send back. Everything typed in Slack is
 * untrusted: length, characters and every argument are validated here with zod before any other
 * code sees them.
 */
import * as z from 'zod';

export type MigrateCommand =
  | { kind: 'help' }
  | { kind: 'status' | 'plan' | 'history' | 'backups'; environment: string }
  | { kind: 'deploy'; environment: string; reason: string }
  | { kind: 'cancel' | 'rollback' | 'watch'; runId: string }
  | { kind: 'maintenance_off'; environment: string }
  | WindowCommand;

/**
 * `/migrate window …`. `start` is as typed (`2026-12-03T02:00Z`, or `2026-12-03 02:00` to be read in
 * the requester's time zone) and `duration` too (`1h30m`): core reads them, this only checks their shape.
 */
export type WindowCommand =
  | { kind: 'window_modal' }
  | { kind: 'window_schedule'; environment: string; start: string; duration: string; title: string }
  | { kind: 'window_list'; environment?: string }
  | { kind: 'window_cancel'; windowId: string };

export type ParseResult = { ok: true; command: MigrateCommand } | { ok: false; reply: string };

export const MAX_COMMAND_TEXT = 500;

export const USAGE = [
  '*Drawbridge* runs your production migration runbook. Commands:',
  '• `/migrate help` — this message',
  '• `/migrate status <env>` — applied, pending, failed and edited migrations of an environment',
  '• `/migrate plan <env>` — what a deploy would do: pending migrations, SQL review, impact, preflight (changes nothing)',
  '• `/migrate deploy <env> [reason…]` — plan, ask the approvers, then back up, apply, verify and announce',
  '• `/migrate history <env>` — recent runs with requester, approvers, outcome, duration and backup',
  '• `/migrate backups <env>` — the backups (size, sha256, age, where the copies are), each with Restore',
  '• `/migrate cancel <run>` — stop a run before it applies anything',
  '• `/migrate rollback <run>` — the ways back from a failed run (mark rolled back, restore the backup)',
  '• `/migrate watch <run>` — the watch so far',
  "• `/migrate maintenance off <env>` — run the environment's maintenance.off command (its approvers; anyone when it names none)",
  '• `/migrate window` — schedule a maintenance window in a form',
  '• `/migrate window schedule <env> <start> <duration> [title…]` — e.g. `window schedule production 2026-12-03 02:00 2h` (your time zone) or `2026-12-03T02:00Z`; duration `30m`, `2h`, `1h30m` (24 h at most)',
  '• `/migrate window list [env]` — open and upcoming windows with their scheduled runs',
  '• `/migrate window cancel <id>` — cancel a window (and the runs waiting for it)',
].join('\n');

export const MAX_REASON = 300;

const runId = z
  .string()
  .regex(/^[0-9a-f]{8}$/, 'run ids are 8 hexadecimal characters, as shown on the run message');

const environmentName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'environment names are lower-case letters, digits, - and _');

const commandText = z
  .string()
  .max(MAX_COMMAND_TEXT, `the command is longer than ${MAX_COMMAND_TEXT} characters`)
  // Control characters (other than ordinary spaces and tabs) never belong in a command.
  .refine(
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    (t) => !/[\u0000-\u0008\u000a-\u001f\u007f-\u009f]/.test(t),
    'the command contains control characters',
  );

function usage(problem?: string): ParseResult {
  return { ok: false, reply: problem ? `:warning: ${problem}\n\n${USAGE}` : USAGE };
}

/** Parses the text after `/migrate`. */
export function parseMigrateCommand(text: string): ParseResult {
  const checked = commandText.safeParse(text);
  if (!checked.success)
    return usage(`Not a valid command: ${checked.error.issues[0]?.message ?? 'invalid text'}.`);
  const words = checked.data
    .trim()
    .split(/[ \t]+/)
    .filter(Boolean);
  const [verb, ...rest] = words;
  if (!verb || verb === 'help') return rest.length === 0 ? { ok: true, command: { kind: 'help' } } : usage();
  const v = verb.toLowerCase();
  switch (v) {
    case 'status':
    case 'plan':
    case 'history':
    case 'backups': {
      if (rest.length !== 1)
        return usage(`\`${v}\` takes exactly one environment name, e.g. \`/migrate ${v} staging\`.`);
      const env = parseEnvironment(rest[0]);
      return typeof env === 'string' ? { ok: true, command: { kind: v, environment: env } } : env;
    }
    case 'deploy': {
      if (rest.length < 1)
        return usage('`deploy` needs an environment, e.g. `/migrate deploy staging add orders index`.');
      const env = parseEnvironment(rest[0]);
      if (typeof env !== 'string') return env;
      const reason = rest.slice(1).join(' ');
      if (reason.length > MAX_REASON) return usage(`The reason is longer than ${MAX_REASON} characters.`);
      return { ok: true, command: { kind: 'deploy', environment: env, reason } };
    }
    case 'cancel':
    case 'rollback':
    case 'watch': {
      if (rest.length !== 1)
        return usage(`\`${v}\` takes exactly one run id, e.g. \`/migrate ${v} 1a2b3c4d\`.`);
      const id = runId.safeParse(rest[0]?.toLowerCase());
      if (!id.success)
        return usage(
          `\`${sanitizeForReply(rest[0] ?? '')}\` is not a run id: ${id.error.issues[0]?.message}.`,
        );
      return { ok: true, command: { kind: v, runId: id.data } };
    }
    case 'maintenance': {
      if (rest.length !== 2 || rest[0]?.toLowerCase() !== 'off')
        return usage(
          '`maintenance` takes `off` and one environment name, e.g. `/migrate maintenance off staging`.',
        );
      const env = parseEnvironment(rest[1]);
      return typeof env === 'string'
        ? { ok: true, command: { kind: 'maintenance_off', environment: env } }
        : env;
    }
    case 'window':
      return parseWindowCommand(rest);
    default:
      return usage(`Unknown command \`${sanitizeForReply(verb)}\`.`);
  }
}

export const MAX_WINDOW_TITLE = 100;

const windowId = z
  .string()
  .regex(/^[0-9a-f]{8}$/, 'window ids are 8 hexadecimal characters, as shown by `/migrate window list`');

/** An instant with `Z` or an offset, e.g. `2026-12-03T02:00Z` or `2026-12-03T02:00:00+01:00`. */
const isoStart = /^\d{4}-\d{2}-\d{2}T\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;
const localDate = /^\d{4}-\d{2}-\d{2}$/;
const localTime = /^\d{1,2}:\d{2}$/;
const durationShape = /^(?=\d)(?:\d{1,4}h)?(?:\d{1,5}m)?$/i;

const WINDOW_SUBCOMMANDS =
  '`window` takes `schedule`, `list` or `cancel`, or nothing to open the form, e.g. `/migrate window list production`.';

function parseWindowCommand(args: readonly string[]): ParseResult {
  const [sub, ...rest] = args;
  if (sub === undefined) return { ok: true, command: { kind: 'window_modal' } };
  switch (sub.toLowerCase()) {
    case 'schedule':
      return parseWindowSchedule(rest);
    case 'list': {
      if (rest.length > 1)
        return usage(
          '`window list` takes at most one environment name, e.g. `/migrate window list staging`.',
        );
      if (rest.length === 0) return { ok: true, command: { kind: 'window_list' } };
      const env = parseEnvironment(rest[0]);
      return typeof env === 'string' ? { ok: true, command: { kind: 'window_list', environment: env } } : env;
    }
    case 'cancel': {
      if (rest.length !== 1)
        return usage('`window cancel` takes exactly one window id, e.g. `/migrate window cancel 1a2b3c4d`.');
      const id = windowId.safeParse(rest[0]?.toLowerCase());
      if (!id.success)
        return usage(
          `\`${sanitizeForReply(rest[0] ?? '')}\` is not a window id: ${id.error.issues[0]?.message}.`,
        );
      return { ok: true, command: { kind: 'window_cancel', windowId: id.data } };
    }
    default:
      return usage(`Unknown window command \`${sanitizeForReply(sub)}\`: ${WINDOW_SUBCOMMANDS}`);
  }
}

/** `<env> <start> <duration> [title…]`, where `<start>` is one ISO word or `YYYY-MM-DD HH:MM`. */
function parseWindowSchedule(args: readonly string[]): ParseResult {
  const example = 'e.g. `/migrate window schedule production 2026-12-03 02:00 2h nightly index build`';
  if (args.length < 3)
    return usage(`\`window schedule\` needs an environment, a start and a duration, ${example}.`);
  const env = parseEnvironment(args[0]);
  if (typeof env !== 'string') return env;
  const [first = '', second = ''] = args.slice(1);
  const twoWords = localDate.test(first) && localTime.test(second);
  const start = twoWords ? `${first} ${second.padStart(5, '0')}` : first.toUpperCase();
  if (!twoWords && !isoStart.test(first))
    return usage(
      `\`${sanitizeForReply(first)}\` is not a start time: write \`YYYY-MM-DD HH:MM\` (read in your time zone) or an ISO time with Z or an offset such as \`2026-12-03T02:00Z\`.`,
    );
  const rest = args.slice(twoWords ? 3 : 2);
  const duration = rest[0];
  if (duration === undefined)
    return usage(`\`window schedule\` needs a duration after the start, ${example}.`);
  if (!durationShape.test(duration))
    return usage(
      `\`${sanitizeForReply(duration)}\` is not a duration: write it like \`30m\`, \`2h\` or \`1h30m\`.`,
    );
  const title = rest.slice(1).join(' ');
  if (title.length > MAX_WINDOW_TITLE)
    return usage(`The title is longer than ${MAX_WINDOW_TITLE} characters.`);
  return {
    ok: true,
    command: { kind: 'window_schedule', environment: env, start, duration: duration.toLowerCase(), title },
  };
}

function parseEnvironment(word: string | undefined): string | ParseResult {
  const env = environmentName.safeParse(word);
  if (env.success) return env.data;
  return usage(
    `\`${sanitizeForReply(word ?? '')}\` is not an environment name: ${env.error.issues[0]?.message}.`,
  );
}

/** Makes user text safe to echo inside an inline code span: bounded, no backticks or markup. */
export function sanitizeForReply(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const cleaned = text.replace(/[`<>&*_~]/g, '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return cleaned.length > 40 ? `${cleaned.slice(0, 40)}…` : cleaned;
}
