/**
 * The drift check: does the live schema equal what its applied migrations produce? The migrations the
 * target's ledger says are applied (finished, not rolled back, in ledger order) are replayed into the
 * emptied shadow database, then both schemas are read with the same catalog queries and compared
 * object by object (`diffSchemas`). The target is only read.
 */
import type pg from 'pg';
import { describeError, type Refusal } from '../../base/errors.js';
import { scriptMatchesChecksum } from '../../migrations/checksum.js';
import { closeSession, openSession, parseDatabaseUrl, quoteIdent } from '../../migrations/connection.js';
import { readMigrationsFolder, type MigrationsFolder } from '../../migrations/folder.js';
import { readLedger, type LedgerRow } from '../../migrations/ledger.js';
import { mayNeedSplit, splitStatements } from '../../migrations/sql-statements.js';
import type { CoreDeps } from '../deps.js';
import { withEnvironmentTarget, type EnvironmentTarget } from '../environment-target.js';
import { readSchema } from './read-schema.js';
import { diffSchemas, type DriftItem } from './schema-diff.js';
import { openShadow, type ShadowDatabase } from './shadow-database.js';

/** A finished drift check. */
export interface DriftCheck {
  /** The differences; empty when the live schema is what its migrations make. */
  readonly items: readonly DriftItem[];
  /** The migrations replayed into the shadow, in order. */
  readonly replayed: readonly string[];
  /** The shadow it used (`host:port/database`). */
  readonly shadow: string;
}

/** What a plan shows: the check, or why it could not be made (never fatal to the plan). */
export type DriftOutcome = { readonly items: readonly DriftItem[] } | { readonly error: string };

/** How long a plan waits for its drift check by default. */
export const PLAN_DRIFT_TIMEOUT_MS = 60_000;
/** How long a plan's drift check waits for the shadow when a rehearsal or another check holds it. */
export const PLAN_SHADOW_WAIT_MS = 5_000;

/** Runs the drift check on a named environment (its target opened and closed for it). */
export function checkEnvironmentDrift(deps: CoreDeps, environment: string): Promise<DriftCheck | Refusal> {
  return withEnvironmentTarget(deps, environment, (target) => checkDrift(deps, target));
}

/**
 * Runs the drift check on an open target. Refuses when the environment has no usable shadow (see
 * `openShadow`) or when the ledger cannot be replayed (a failed migration, an applied migration missing
 * from the folder, a migration that fails on the shadow): those are `DRIFT_UNCHECKED` refusals.
 */
export async function checkDrift(
  deps: CoreDeps,
  target: EnvironmentTarget,
  options: { shadowWaitMs?: number } = {},
): Promise<DriftCheck | Refusal> {
  const folder = await readMigrationsFolder(target.config.migrations);
  const parsed = parseDatabaseUrl(target.url, 'drawbridge drift');
  const live = await openSession(parsed, undefined, { searchPath: false });
  let ledger: LedgerRow[] | null;
  let liveSchema;
  try {
    ledger = await readLedger(live, parsed.schemaExplicit ? parsed.schema : undefined);
    liveSchema = await readSchema(live);
  } finally {
    await closeSession(live);
  }
  const applied = appliedMigrations(ledger ?? []);
  const unreplayable = replayProblem(ledger ?? [], folder, applied);
  if (unreplayable) return unchecked(unreplayable);
  const shadow = await openShadow(deps, target.name, {
    target,
    ...(options.shadowWaitMs === undefined ? {} : { waitMs: options.shadowWaitMs }),
  });
  if ('kind' in shadow) return shadow;
  try {
    await shadow.reset();
    const failed = await replay(shadow, folder, applied, parsed.schemaExplicit ? parsed.schema : undefined);
    if (failed) return unchecked(failed);
    const replayedSchema = await withSession(shadow.url, readSchema);
    const items = [
      ...editedMigrations(ledger ?? [], folder, applied),
      ...diffSchemas(liveSchema, replayedSchema, target.name),
    ];
    return { items, replayed: applied, shadow: shadow.display };
  } finally {
    await shadow.close();
  }
}

/**
 * The drift part of a plan report: the check, its refusal or fault as `{ error }`, or `{ error }`
 * when it takes longer than `timeoutMs` (the check then finishes in the background and cleans up).
 */
export async function driftForPlan(
  deps: CoreDeps,
  target: EnvironmentTarget,
  timeoutMs = PLAN_DRIFT_TIMEOUT_MS,
): Promise<DriftOutcome> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<DriftOutcome>((resolve) => {
    timer = setTimeout(
      () => resolve({ error: `the drift check took longer than ${Math.round(timeoutMs / 1000)} s` }),
      timeoutMs,
    );
    timer.unref();
  });
  // A plan does not queue behind a rehearsal for long: a busy shadow is reported instead.
  const check = checkDrift(deps, target, { shadowWaitMs: PLAN_SHADOW_WAIT_MS }).then(
    (r): DriftOutcome => ('kind' in r ? { error: r.message } : { items: r.items }),
    (err: unknown): DriftOutcome => ({ error: describeError(err) }),
  );
  try {
    return await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Names of the ledger's applied migrations: finished, not rolled back, in ledger order, once each. */
export function appliedMigrations(ledger: readonly LedgerRow[]): string[] {
  const names: string[] = [];
  for (const row of ledger)
    if (row.finishedAt !== null && row.rolledBackAt === null && !names.includes(row.migrationName))
      names.push(row.migrationName);
  return names;
}

function unchecked(message: string): Refusal {
  return {
    kind: 'refusal',
    code: 'DRIFT_UNCHECKED',
    message: `Drift not checked: ${message}`,
    hint: 'Fix the ledger or the folder first (see /migrate status).',
  };
}

function replayProblem(
  ledger: readonly LedgerRow[],
  folder: MigrationsFolder,
  applied: string[],
): string | undefined {
  const failed = ledger.find((r) => r.finishedAt === null && r.rolledBackAt === null);
  if (failed) return `migration \`${failed.migrationName}\` failed and is not resolved.`;
  const absent = applied.filter(
    (name) => !folder.migrations.some((m) => m.name === name && m.script !== undefined),
  );
  if (absent.length > 0)
    return `applied migration(s) ${absent.map((n) => `\`${n}\``).join(', ')} are not readable in the migrations folder.`;
  return undefined;
}

/** Applied migrations whose file no longer matches the checksum the ledger recorded. */
function editedMigrations(
  ledger: readonly LedgerRow[],
  folder: MigrationsFolder,
  applied: string[],
): DriftItem[] {
  const items: DriftItem[] = [];
  for (const name of applied) {
    const row = ledger.find(
      (r) => r.migrationName === name && r.finishedAt !== null && r.rolledBackAt === null,
    );
    const script = folder.migrations.find((m) => m.name === name)?.script;
    if (row && script !== undefined && !scriptMatchesChecksum(script, row.checksum))
      items.push({
        kind: 'migration',
        name,
        change: 'differs',
        message: `migration \`${name}\` was edited after it was applied (its checksum differs from the ledger's); it was replayed as it is now`,
      });
  }
  return items;
}

/** Replays the migrations into the (emptied) shadow; returns why it stopped, or undefined. */
async function replay(
  shadow: ShadowDatabase,
  folder: MigrationsFolder,
  names: readonly string[],
  schema: string | undefined,
): Promise<string | undefined> {
  return withSession(shadow.url, async (client) => {
    if (schema !== undefined) {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      await client.query(`SET search_path = ${quoteIdent(schema)}`);
    }
    for (const name of names) {
      const script = folder.migrations.find((m) => m.name === name)?.script ?? '';
      try {
        await runScript(client, script);
      } catch (err) {
        return `replaying \`${name}\` into the shadow database ${shadow.display} failed: ${describeError(err)}`;
      }
    }
    return undefined;
  });
}

/**
 * One file the simplest correct way: as one script (as Prisma sends it), unless it holds transaction
 * control or statements that refuse a transaction block, then statement by statement.
 */
async function runScript(client: pg.Client, script: string): Promise<void> {
  const statements = mayNeedSplit(script) ? await splitStatements(script).catch(() => null) : null;
  if (statements?.some((s) => s.transactionControl || s.nonTransactional || s.call)) {
    for (const s of statements) await client.query(s.sql);
    return;
  }
  await client.query(script);
}

async function withSession<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await openSession(parseDatabaseUrl(url, 'drawbridge drift'), undefined, {
    searchPath: false,
  });
  try {
    return await work(client);
  } finally {
    await closeSession(client);
  }
}
