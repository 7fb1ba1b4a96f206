/**
 * The text Prisma writes into `_prisma_migrations.logs` when a migration fails (its P3018 message).
 * Prisma never reads `logs` back, so the tracing span and Rust Debug tail it appends are left out.
 */
import { sqlStateOf } from '../base/sqlstate.js';

/** The fixed first sentence of P3018. */
export const P3018_HEAD =
  'A migration failed to apply. New migrations cannot be applied before the error is recovered from. ' +
  'Read more about how to resolve migration issues in a production database: https://pris.ly/d/migrate-resolve';

interface PgErrorFields {
  message?: string;
  severity?: string;
  detail?: string;
  hint?: string;
  position?: string;
}

/** Up to five lines before the failing one, numbered, then the failing line (no ANSI colours). */
function positionBlock(script: string, position: number): string {
  const upto = script.slice(0, Math.max(0, position - 1));
  const lineIndex = upto.split('\n').length - 1;
  const lines = script.split('\n');
  const first = Math.max(0, lineIndex - 5);
  const out: string[] = [];
  for (let i = first; i <= lineIndex && i < lines.length; i += 1) {
    out.push(`${String(i).padStart(3)}${i === lineIndex ? '>' : ' '} ${lines[i] ?? ''}`);
  }
  return `\n\nPosition:\n${out.join('\n')}`;
}

/** tokio-postgres' Display of a server error: `ERROR: msg`, then DETAIL and HINT lines. */
function databaseErrorText(err: unknown, script: string): string {
  const e = (err ?? {}) as PgErrorFields;
  if (!sqlStateOf(err)) return err instanceof Error ? err.message : String(err);
  let text = `${e.severity ?? 'ERROR'}: ${e.message ?? ''}`;
  if (e.detail) text += `\nDETAIL: ${e.detail}`;
  if (e.hint) text += `\nHINT: ${e.hint}`;
  const pos = Number(e.position);
  if (Number.isInteger(pos) && pos > 0) text += positionBlock(script, pos);
  return text;
}

/** Prisma's P3018 message for `name` failing with `err` while running `script`. */
export function p3018Logs(name: string, err: unknown, script: string): string {
  return (
    `${P3018_HEAD}\n\nMigration name: ${name}\n\nDatabase error code: ${sqlStateOf(err) ?? 'none'}` +
    `\n\nDatabase error:\n${databaseErrorText(err, script)}\n`
  );
}
