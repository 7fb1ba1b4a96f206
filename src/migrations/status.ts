/**
 * Migration status: a pure classification of folder + ledger (`computeStatus`), and `getStatus`, which
 * reads both (plus the advisory-lock holder and server version) and classifies them. Read-only.
 */
import type { LockHolder } from './advisory-lock.js';
import { scriptMatchesChecksum as checksumMatches } from './checksum.js';
import type { MigrationsFolder } from './folder.js';
import { isFailedRow, type LedgerRow } from './ledger.js';
import { prisma8Refusal, type Prisma8Layout } from './prisma8-layout.js';

/**
 * - `applied`: a finished, not rolled-back row exists and its checksum matches the file.
 * - `pending`: no row at all (Prisma's "not yet applied").
 * - `failed`: a row with finished_at and rolled_back_at both NULL (blocks deploy: P3009).
 * - `rolled_back`: only rolled-back rows; Prisma's status calls this applied, but deploy re-applies it.
 * - `edited`: applied, but the file's checksum no longer matches (Prisma stays silent about it).
 * - `missing_from_folder`: rows in the database whose directory is not in the folder.
 */
export type MigrationState =
  'applied' | 'pending' | 'failed' | 'rolled_back' | 'edited' | 'missing_from_folder';

export const MIGRATION_STATES: readonly MigrationState[] = [
  'applied',
  'pending',
  'failed',
  'rolled_back',
  'edited',
  'missing_from_folder',
];

/** One line of the status. */
export interface MigrationStatus {
  name: string;
  state: MigrationState;
  /** Checksum of the file in the folder. */
  checksum?: string;
  /** Checksum in the ledger row the state is based on. */
  dbChecksum?: string;
  startedAt?: Date;
  finishedAt?: Date;
  /** The failure text written in `logs` (failed rows). */
  logs?: string;
  /** Why the file cannot be used (missing migration.sql, invalid UTF-8, unreadable). */
  problem?: string;
}

/** Something that stops a deploy, with Prisma's code where there is one and a way out. */
export interface StatusFinding {
  code: string;
  message: string;
  hint: string;
}

/** Facts about the database that are not in the ledger (`getStatus` fills them in). */
export interface DatabaseFacts {
  /** Non-ignored ordinary tables of the schema; used for P3005 when there is no ledger. */
  schemaTables?: string[];
  lockHolder?: LockHolder;
  server?: { version: string; versionNum: number };
}

/** The whole picture. Dates are Date objects; a JSON printer gets ISO strings from JSON.stringify. */
export interface StatusReport {
  /** Folder migrations in apply order, then database-only names. */
  migrations: MigrationStatus[];
  counts: Record<MigrationState, number>;
  /** Whether `_prisma_migrations` exists. */
  hasLedger: boolean;
  /** What deploy would apply, in order (pending + rolled back). */
  toApply: string[];
  /** Conditions that make `deploy` refuse or fail (P3009, P3005, P3019, P3015, invalid UTF-8). */
  blocking: StatusFinding[];
  /** Things to know that do not block (edited, missing from folder, ordering, lock held). */
  warnings: StatusFinding[];
  lockHolder?: LockHolder;
  server?: { version: string; versionNum: number };
  /** How the session was secured, e.g. "TLS verify-full" or "no TLS (sslmode=disable)" (set by getStatus). */
  tls?: string;
  /** True exactly when `prisma migrate status` would print "Database schema is up to date!" (exit 0). */
  upToDate: boolean;
}

const RESOLVE_HELP = 'https://pris.ly/d/migrate-resolve';

function classify(
  rows: LedgerRow[],
  fileChecksum: string | undefined,
  script: string | undefined,
): MigrationStatus['state'] {
  const live = rows.filter((r) => r.rolledBackAt === null);
  if (live.some(isFailedRow)) return 'failed';
  const done = live.find((r) => r.finishedAt !== null);
  if (!done) return 'rolled_back';
  if (fileChecksum === undefined || script === undefined) return 'applied';
  return checksumMatches(script, done.checksum) ? 'applied' : 'edited';
}

function rowFor(rows: LedgerRow[], state: MigrationState): LedgerRow | undefined {
  if (state === 'failed') return rows.find(isFailedRow);
  if (state === 'applied' || state === 'edited')
    return rows.find((r) => r.rolledBackAt === null && r.finishedAt);
  return rows[rows.length - 1];
}

function withRow(base: MigrationStatus, row: LedgerRow | undefined, state: MigrationState): MigrationStatus {
  if (!row) return base;
  const out: MigrationStatus = { ...base, dbChecksum: row.checksum, startedAt: row.startedAt };
  if (row.finishedAt) out.finishedAt = row.finishedAt;
  if (state === 'failed' && row.logs) out.logs = row.logs;
  return out;
}

function folderLines(folder: MigrationsFolder, byName: Map<string, LedgerRow[]>): MigrationStatus[] {
  return folder.migrations.map((m) => {
    const rows = byName.get(m.name) ?? [];
    const state: MigrationState = rows.length === 0 ? 'pending' : classify(rows, m.checksum, m.script);
    const base: MigrationStatus = { name: m.name, state };
    if (m.checksum) base.checksum = m.checksum;
    if (m.problem) base.problem = m.problem.message;
    return withRow(base, rowFor(rows, state), state);
  });
}

function groupRows(ledger: LedgerRow[]): Map<string, LedgerRow[]> {
  const byName = new Map<string, LedgerRow[]>();
  for (const r of ledger) byName.set(r.migrationName, [...(byName.get(r.migrationName) ?? []), r]);
  return byName;
}

/** Prisma's P3009 text for the failed rows. */
export function p3009Message(failed: LedgerRow[]): string {
  const lines = failed.map(
    (r) => `The \`${r.migrationName}\` migration started at ${prismaTimestamp(r.startedAt)} failed`,
  );
  return (
    'migrate found failed migrations in the target database, new migrations will not be applied. Read more ' +
    `about how to resolve migration issues in a production database: ${RESOLVE_HELP}\n${lines.join('\n')}`
  );
}

/** chrono's Display of a UTC DateTime: `2024-01-15 10:30:00 UTC`, or `... 10:30:00.123 UTC` with milliseconds. */
export function prismaTimestamp(d: Date): string {
  return `${d.toISOString().replace('T', ' ').replace('.000Z', '').replace('Z', '')} UTC`;
}

function blockingFindings(
  folder: MigrationsFolder,
  ledger: LedgerRow[],
  toApply: string[],
  facts: DatabaseFacts,
  hasLedger: boolean,
): StatusFinding[] {
  const out: StatusFinding[] = [];
  if (folder.lockProvider !== undefined && folder.lockProvider !== 'postgresql') {
    out.push({
      code: 'P3019',
      message: `The datasource provider \`postgresql\` specified in your schema does not match the one specified in the migration_lock.toml, \`${folder.lockProvider}\`.`,
      hint: 'Fix migration_lock.toml to say provider = "postgresql" (exactly, with spaces) or point Drawbridge at the right folder.',
    });
  }
  const failed = ledger.filter(isFailedRow);
  if (failed.length > 0) {
    const first = failed[0]?.migrationName ?? '';
    out.push({
      code: 'P3009',
      message: p3009Message(failed),
      hint:
        `If the failed migration's changes were rolled back (or never took effect), mark it with \`resolve --rolled-back "${first}"\` ` +
        `and deploy again; if you completed it by hand, mark it with \`resolve --applied "${first}"\`. See ${RESOLVE_HELP}`,
    });
  }
  if (!hasLedger && (facts.schemaTables?.length ?? 0) > 0) {
    out.push({
      code: 'P3005',
      message: `The database schema is not empty (${facts.schemaTables?.slice(0, 5).join(', ')}${(facts.schemaTables?.length ?? 0) > 5 ? ', …' : ''}) and has no _prisma_migrations table.`,
      hint: 'Baseline it: mark the migrations that already exist in the database with `resolve --applied <name>`. See https://pris.ly/d/migrate-baseline',
    });
  }
  for (const m of folder.migrations) {
    if (m.problem && toApply.includes(m.name)) {
      out.push({
        code: m.problem.code === 'missing_sql' ? 'P3015' : m.problem.code,
        message: m.problem.message,
        hint: 'Restore the file (or remove the directory) before deploying.',
      });
    }
  }
  return out;
}

function warningFindings(
  folder: MigrationsFolder,
  lines: MigrationStatus[],
  facts: DatabaseFacts,
): StatusFinding[] {
  const out: StatusFinding[] = folder.problems.map((p) => ({
    code: 'folder',
    message: p,
    hint: 'See the folder rules in the Drawbridge docs.',
  }));
  for (const l of lines) {
    if (l.state === 'edited')
      out.push({
        code: 'edited',
        message: `Migration \`${l.name}\` was modified after it was applied (checksum ${l.dbChecksum} in the database, ${l.checksum} in the folder).`,
        hint: 'Restore the applied file; put new changes in a new migration. Prisma deploy ignores the edit.',
      });
    if (l.state === 'missing_from_folder')
      out.push({
        code: 'missing_from_folder',
        message: `Migration \`${l.name}\` is recorded in the database but not found in the folder.`,
        hint: 'Check that this folder is the branch deployed to this database.',
      });
    if (l.state === 'rolled_back')
      out.push({
        code: 'rolled_back',
        message: `Migration \`${l.name}\` is marked rolled back; the next deploy applies it again.`,
        hint: 'Make sure its effects are gone before deploying.',
      });
  }
  if (facts.lockHolder) {
    const h = facts.lockHolder;
    out.push({
      code: 'lock_held',
      message: `Advisory lock 72707369 is held by pid ${h.pid} (${h.applicationName || 'no application_name'}, ${h.clientAddr ?? 'local socket'}, ${Math.round(h.durationMs / 1000)} s, ${h.state}): ${h.query}`,
      hint: 'Another migration is running; wait for it, or end that session if it is stale (pg_terminate_backend).',
    });
  }
  return out;
}

/** Prisma's `migrate status` verdict (exit 0 ⇔ "Database schema is up to date!"). */
function prismaUpToDate(
  folder: MigrationsFolder,
  byName: Map<string, LedgerRow[]>,
  ledger: LedgerRow[] | null,
): boolean {
  if (folder.migrations.some((m) => !byName.has(m.name))) return false;
  if (ledger === null) return false;
  return !ledger.some(isFailedRow);
}

/** Classifies folder against ledger (`null` = no `_prisma_migrations` table). Pure. */
export function computeStatus(
  folder: MigrationsFolder,
  ledger: LedgerRow[] | null,
  facts: DatabaseFacts = {},
): StatusReport {
  const rows = ledger ?? [];
  const byName = groupRows(rows);
  const inFolder = new Set(folder.migrations.map((m) => m.name));
  const lines = folderLines(folder, byName);
  for (const [name, nameRows] of byName) {
    if (!inFolder.has(name))
      lines.push(
        withRow({ name, state: 'missing_from_folder' }, nameRows[nameRows.length - 1], 'missing_from_folder'),
      );
  }
  const counts = Object.fromEntries(MIGRATION_STATES.map((s) => [s, 0])) as Record<MigrationState, number>;
  for (const l of lines) counts[l.state] += 1;
  const toApply = lines.filter((l) => l.state === 'pending' || l.state === 'rolled_back').map((l) => l.name);
  // A Prisma 8 folder has no migration.sql to classify: say so instead of listing every migration.
  if (folder.prisma8) return prisma8Status(folder.prisma8, ledger, facts);
  const report: StatusReport = {
    migrations: lines,
    counts,
    hasLedger: ledger !== null,
    toApply,
    blocking: blockingFindings(folder, rows, toApply, facts, ledger !== null),
    warnings: warningFindings(folder, lines, facts),
    upToDate: prismaUpToDate(folder, byName, ledger),
  };
  if (facts.lockHolder) report.lockHolder = facts.lockHolder;
  if (facts.server) report.server = facts.server;
  return report;
}

/** The status of a Prisma 8 folder: one blocking finding, nothing to apply. Pure. */
function prisma8Status(
  layout: Prisma8Layout,
  ledger: LedgerRow[] | null,
  facts: DatabaseFacts,
): StatusReport {
  const r = prisma8Refusal(layout);
  const counts = Object.fromEntries(MIGRATION_STATES.map((s) => [s, 0])) as Record<MigrationState, number>;
  const report: StatusReport = {
    migrations: [],
    counts,
    hasLedger: ledger !== null,
    toApply: [],
    blocking: r ? [{ code: r.code, message: r.message, hint: r.hint ?? '' }] : [],
    warnings: [],
    upToDate: false,
  };
  if (facts.server) report.server = facts.server;
  return report;
}
