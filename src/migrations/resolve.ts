/**
 * `migrate resolve --applied <name>` and `--rolled-back <name>` with Prisma's row changes, error
 * codes (P3008, P3011, P3012, P3017) and locking. Nothing in a migration file is ever executed.
 */
import type pg from 'pg';
import { systemClock, type Clock } from '../base/clock.js';
import { refusal, type Refusal } from '../base/errors.js';
import { acquireMigrationLock, releaseAdvisoryLock } from './advisory-lock.js';
import { closeSession, openSession, parseDatabaseUrl } from './connection.js';
import { readMigrationsFolder } from './folder.js';
import { p3019Refusal } from './ledger-init.js';
import {
  createLedgerTable,
  insertResolvedAppliedRow,
  isFailedRow,
  markRowRolledBack,
  readLedger,
} from './ledger.js';

/** Inputs of both resolve commands. */
export interface ResolveOptions {
  databaseUrl: string;
  /** Needed for `--applied` (the file's checksum); ignored by `--rolled-back`, like Prisma. */
  migrationsDir: string;
  /** Full migration directory name, matched exactly. */
  name: string;
  clock?: Clock;
  /** Advisory-lock wait (default 10 000 ms). */
  lockWaitMs?: number;
}

/** What resolve did. `rowsRolledBack` are ids of failed rows given rolled_back_at. */
export interface ResolveResult {
  outcome: 'resolved' | 'refused';
  /** Prisma's success line ("Migration X marked as applied.") or the refusal message. */
  message: string;
  refusal?: Refusal;
  rowsRolledBack: string[];
  /** Id of the row `--applied` inserted. */
  insertedRowId?: string;
}

type Body = (client: pg.Client, now: Date) => Promise<ResolveResult>;

const refused = (r: Refusal): ResolveResult => ({
  outcome: 'refused',
  message: r.message,
  refusal: r,
  rowsRolledBack: [],
});

async function underLock(opts: ResolveOptions, body: Body): Promise<ResolveResult> {
  const clock = opts.clock ?? systemClock;
  if (opts.name.length === 0) return refused(refusal('usage', 'The migration name must not be empty.'));
  const client = await openSession(parseDatabaseUrl(opts.databaseUrl, 'drawbridge resolve'));
  let locked = false;
  try {
    const lock = await acquireMigrationLock(client, { waitMs: opts.lockWaitMs ?? 10_000, clock });
    if (!lock.acquired) {
      const who = lock.holder ? ` Held by pid ${lock.holder.pid} (${lock.holder.applicationName}).` : '';
      return refused(
        refusal(
          'P1002',
          `Timed out trying to acquire a postgres advisory lock (SELECT pg_advisory_lock(72707369)). Elapsed: ${lock.waitedMs}ms.${who}`,
          'Another migration command is running; try again when it is done.',
        ),
      );
    }
    locked = true;
    return await body(client, new Date(clock.now()));
  } finally {
    if (locked) await releaseAdvisoryLock(client).catch(() => undefined);
    await closeSession(client);
  }
}

/** `resolve --applied`: records the migration as applied without running it (baselining, manual fixes). */
export async function resolveApplied(opts: ResolveOptions): Promise<ResolveResult> {
  const folder = await readMigrationsFolder(opts.migrationsDir);
  const p3019 = p3019Refusal(folder);
  if (p3019) return refused(p3019);
  return underLock(opts, async (client, now) => {
    const entry = folder.migrations.find((m) => m.name === opts.name);
    if (!entry || entry.checksum === undefined || entry.problem) {
      return refused(
        refusal(
          'P3017',
          `The migration ${opts.name} could not be found. Please make sure that the migration exists, and that you included the whole name of the directory. (example: "20201207184859_initial_migration")`,
          entry?.problem?.message ?? `No directory named exactly ${opts.name} in ${opts.migrationsDir}.`,
        ),
      );
    }
    let ledger = await readLedger(client);
    if (ledger === null) {
      await createLedgerTable(client);
      ledger = [];
    }
    const rows = ledger.filter((r) => r.migrationName === opts.name);
    if (rows.some((r) => r.finishedAt !== null)) {
      return refused(
        refusal('P3008', `The migration \`${opts.name}\` is already recorded as applied in the database.`),
      );
    }
    const failed = rows.filter(isFailedRow);
    for (const r of failed) await markRowRolledBack(client, r.id, now);
    const insertedRowId = await insertResolvedAppliedRow(client, opts.name, entry.checksum, now);
    return {
      outcome: 'resolved',
      message: `Migration ${opts.name} marked as applied.`,
      rowsRolledBack: failed.map((r) => r.id),
      insertedRowId,
    };
  });
}

/** `resolve --rolled-back`: marks the failed rows of a migration rolled back so deploy re-applies it. */
export async function resolveRolledBack(opts: ResolveOptions): Promise<ResolveResult> {
  return underLock(opts, async (client, now) => {
    const ledger = await readLedger(client);
    if (ledger === null) {
      return refused(
        refusal(
          'no_ledger',
          'Invariant violation: called markMigrationRolledBack on a database without migrations table.',
          'Nothing was ever deployed to this database (no _prisma_migrations table).',
        ),
      );
    }
    const rows = ledger.filter((r) => r.migrationName === opts.name);
    if (rows.length === 0) {
      return refused(
        refusal(
          'P3011',
          `Migration ${opts.name} cannot be rolled back because it was never applied to the database. Hint: did you pass in the whole migration name? (example: "20201207184859_initial_migration")`,
        ),
      );
    }
    if (rows.every((r) => r.finishedAt !== null)) {
      return refused(
        refusal('P3012', `Migration ${opts.name} cannot be rolled back because it is not in a failed state.`),
      );
    }
    const failed = rows.filter(isFailedRow);
    for (const r of failed) await markRowRolledBack(client, r.id, now);
    return {
      outcome: 'resolved',
      message: `Migration ${opts.name} marked as rolled back.`,
      rowsRolledBack: failed.map((r) => r.id),
    };
  });
}

/**
 * After its down.sql ran (Revert with down.sql): the migration's live rows get `rolled_back_at`, the
 * row change `resolve --rolled-back` makes, under the same advisory lock, written the same way (the
 * client clock in UTC). Prisma's resolve only accepts a failed row (P3012 otherwise); a reverted
 * migration's row is finished, so it is given the same column here, and the next deploy treats the
 * migration as pending and inserts a new row, exactly as after `resolve --rolled-back`.
 */
export async function resolveRevertedDown(opts: ResolveOptions): Promise<ResolveResult> {
  return underLock(opts, async (client, now) => {
    const rows = ((await readLedger(client)) ?? []).filter((r) => r.migrationName === opts.name);
    if (rows.length === 0)
      return refused(
        refusal(
          'P3011',
          `Migration ${opts.name} cannot be rolled back because it was never applied to the database.`,
        ),
      );
    const live = rows.filter((r) => r.rolledBackAt === null);
    for (const r of live) await markRowRolledBack(client, r.id, now);
    return {
      outcome: 'resolved',
      message: `Migration ${opts.name} marked as rolled back.`,
      rowsRolledBack: live.map((r) => r.id),
    };
  });
}
