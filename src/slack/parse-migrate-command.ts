/**
 * `/migrate …` text → a typed command, or the usage reply to send back. Everything typed in Slack is
 * untrusted: length, characters and every argument are validated here with zod before any other
 * code sees them.
 */
import { z } from 'zod';

export type MigrateCommand =
  | { kind: 'help' }
  | { kind: 'status' | 'plan' | 'history' | 'backups'; environment: string }
  | { kind: 'deploy'; environment: string; reason: string }
  | { kind: 'cancel' | 'rollback'; runId: string }
  | { kind: 'maintenance_off'; environment: string };

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
  "• `/migrate maintenance off <env>` — run the environment's maintenance.off command (its approvers; anyone when it names none)",
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
    case 'rollback': {
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
    default:
      return usage(`Unknown command \`${sanitizeForReply(verb)}\`.`);
  }
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
