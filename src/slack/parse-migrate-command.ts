/**
 * `/migrate …` text → a typed command, or the usage reply to send back. Everything typed in Slack is
 * untrusted: length, characters and every argument are validated here with zod before any other
 * code sees them.
 */
import { z } from 'zod';

export type MigrateCommand = { kind: 'help' } | { kind: 'status'; environment: string };

export type ParseResult = { ok: true; command: MigrateCommand } | { ok: false; reply: string };

export const MAX_COMMAND_TEXT = 500;

export const USAGE = [
  '*Drawbridge* runs your production migration runbook. Commands:',
  '• `/migrate help` — this message',
  '• `/migrate status <env>` — applied, pending, failed and edited migrations of an environment',
].join('\n');

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
  switch (verb.toLowerCase()) {
    case 'status': {
      if (rest.length !== 1)
        return usage('`status` takes exactly one environment name, e.g. `/migrate status staging`.');
      const env = environmentName.safeParse(rest[0]);
      if (!env.success)
        return usage(
          `\`${sanitizeForReply(rest[0] ?? '')}\` is not an environment name: ${env.error.issues[0]?.message}.`,
        );
      return { ok: true, command: { kind: 'status', environment: env.data } };
    }
    default:
      return usage(`Unknown command \`${sanitizeForReply(verb)}\`.`);
  }
}

/** Makes user text safe to echo inside an inline code span: bounded, no backticks or markup. */
export function sanitizeForReply(text: string): string {
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  const cleaned = text.replace(/[`<>&*_~]/g, '').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return cleaned.length > 40 ? `${cleaned.slice(0, 40)}…` : cleaned;
}
