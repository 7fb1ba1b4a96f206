/**
 * One migration file as it will be sent: its bytes re-read just before, checked against the approved
 * checksum (or the one the deploy read), decoded, split and classified (atomic, steps, opaque).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApplyMode } from './apply-journal.js';
import { stepsProblem } from './apply-steps.js';
import { checksumOf } from './checksum.js';
import type { MigrationEntry } from './folder.js';
import { applyMode, mayNeedSplit, splitStatements, type SqlStatement } from './sql-statements.js';

/** A file ready to send, or why it must not be sent (no row is written then). */
export type Prepared =
  | { ok: true; script: string; checksum: string; statements: SqlStatement[] | null; mode: ApplyMode }
  | { ok: false; code: string; message: string };

/** Reads and checks `m` right before it is sent; `approved` is its approved checksum, if any. */
export async function prepareFile(m: MigrationEntry, approved: string | undefined): Promise<Prepared> {
  let bytes: Buffer;
  try {
    // Synchronous: one small file, read whole; the thread pool's hops cost more than the read.
    bytes = readFileSync(join(m.dir, 'migration.sql'));
  } catch (err) {
    return {
      ok: false,
      code: 'P3015',
      message: m.problem?.message ?? `Cannot read ${m.name}/migration.sql: ${String(err)}`,
    };
  }
  const checksum = checksumOf(bytes);
  const expected = approved ?? m.checksum;
  if (expected !== undefined && checksum !== expected.toLowerCase()) {
    return {
      ok: false,
      code: 'PLAN_CHANGED',
      message: `${m.name}/migration.sql changed after ${approved ? 'it was approved' : 'the deploy read it'} (checksum ${expected.slice(0, 12)} is now ${checksum.slice(0, 12)}); nothing of it was applied.`,
    };
  }
  let script: string;
  try {
    script = utf8.decode(bytes);
  } catch {
    return { ok: false, code: 'P3015', message: `${m.name}/migration.sql is not valid UTF-8.` };
  }
  // [] = only ordinary transactional statements (no parse needed); null = the parser rejected the file.
  const statements = mayNeedSplit(script) ? await splitStatements(script).catch(() => null) : [];
  const mode = applyMode(statements);
  const problem = mode === 'steps' && statements ? stepsProblem(statements) : undefined;
  if (problem)
    return {
      ok: false,
      code: 'UNSAFE_TRANSACTIONS',
      message: `${m.name} cannot be applied safely: ${problem}`,
    };
  return { ok: true, script, checksum, statements, mode };
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
