/**
 * Applying migrations to the shadow the way production would: one native `deploy` per migration
 * (the folder given to it holds that migration and those before it, copied byte for byte; `expected`
 * is its approved name and checksum) with the environment's lock and statement timeouts, retries and
 * watchdog; its time, rows (command tags) and the table locks it took (pg_locks samples, else the
 * review's analysis). Also the catch-up of a restored backup to where production is now.
 */
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DrawbridgeError } from '../../base/errors.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import { deploy, type DeployEvent, type DeployResult } from '../../migrations/deploy.js';
import { readMigrationsFolder } from '../../migrations/folder.js';
import { readLedger } from '../../migrations/ledger.js';
import { strongerLock } from '../../migrations/review/lock-modes.js';
import type { LockMode, ReviewReport } from '../../migrations/review/types.js';
import type { PlannedMigration } from '../../store/run-types.js';
import type { EnvironmentTarget } from '../environment-target.js';
import type { ShadowDatabase } from '../shadow/shadow-database.js';
import type { LockSampler } from './lock-sampler.js';
import type { RehearseInput } from './rehearse-input.js';
import type { LockTaken, MigrationRehearsal, RowsTouched } from './types.js';

/** Table name as the review writes it, without the default schema and quotes. */
function tableKey(table: string): string {
  return table.replace(/"/g, '').replace(/^public\./, '');
}

/** The review's strongest lock per table for one migration. */
function reviewLocks(review: ReviewReport | undefined, name: string): Map<string, LockMode> {
  const out = new Map<string, LockMode>();
  if (!review?.impact.available) return out;
  for (const t of review.impact.migrations.find((m) => m.migration === name)?.tables ?? [])
    for (const touch of t.touches) {
      const key = tableKey(t.table);
      const held = out.get(key);
      out.set(key, held ? strongerLock(held, touch.lock) : touch.lock);
    }
  return out;
}

function mergeLocks(
  observed: { table: string; mode: LockMode }[],
  review: Map<string, LockMode>,
): LockTaken[] {
  const out: LockTaken[] = observed.map((l) => ({
    table: tableKey(l.table),
    mode: l.mode,
    source: 'observed',
  }));
  for (const [table, mode] of review)
    if (!out.some((l) => l.table === table)) out.push({ table, mode, source: 'review' });
  return out;
}

function detailOf(result: DeployResult): string | undefined {
  return /\nDETAIL: (.*)/.exec(result.failure?.logs ?? '')?.[1]?.trim();
}

export interface ApplyState {
  readonly input: RehearseInput;
  readonly target: EnvironmentTarget;
  readonly shadow: ShadowDatabase;
  readonly folder: string;
  readonly sampler: LockSampler;
  readonly appName: string;
}

/** Applies migration `m` alone (the folder holds it and those before it) with the production settings. */
export async function applyOne(st: ApplyState, m: PlannedMigration): Promise<MigrationRehearsal> {
  const { input, target } = st;
  const env = target.config;
  await mkdir(join(st.folder, m.name));
  await copyFile(join(env.migrations, m.name, 'migration.sql'), join(st.folder, m.name, 'migration.sql'));
  const rows: RowsTouched[] = [];
  let startedAt: number | undefined;
  let finishedMs: number | undefined;
  const onProgress = (e: DeployEvent): void => {
    if (e.kind === 'migration:started') {
      startedAt = input.deps.clock.now();
      st.sampler.attribute(m.name);
    }
    if (e.kind === 'migration:finished') finishedMs = e.durationMs;
    if (e.kind === 'statement:rows') rows.push({ command: e.command, rows: e.rowCount });
  };
  const result = await deploy({
    databaseUrl: st.shadow.url,
    migrationsDir: st.folder,
    clock: input.deps.clock,
    lockWaitMs: env.advisoryLockWaitMs,
    lockTimeoutMs: env.lockTimeoutMs,
    statementTimeoutMs: env.statementTimeoutMs,
    lockRetries: env.lockRetries,
    applicationName: st.appName,
    watchdog: { silenceMs: env.watchdog.silenceMs, cancelTimeoutMs: env.watchdog.cancelTimeoutMs },
    outcomeWaitMs: env.watchdog.outcomeWaitMs,
    expected: [{ name: m.name, checksum: m.checksum }],
    signal: input.signal,
    onProgress,
  });
  st.sampler.attribute(undefined);
  const locks = mergeLocks(st.sampler.locksOf(m.name), reviewLocks(input.review, m.name));
  if (result.outcome === 'succeeded')
    return { name: m.name, outcome: 'applied', durationMs: finishedMs ?? 0, rows, locks };
  const detail = detailOf(result);
  const message = result.failure?.message ?? result.refusal?.message ?? `the deploy ended ${result.outcome}`;
  return {
    name: m.name,
    outcome: 'failed',
    ...(startedAt !== undefined ? { durationMs: input.deps.clock.now() - startedAt } : {}),
    error: {
      message,
      ...(result.failure?.sqlState ? { sqlState: result.failure.sqlState } : {}),
      ...(detail ? { detail } : {}),
    },
    rows,
    locks,
  };
}

/** Names of a ledger's live, finished rows. */
async function appliedNames(url: string): Promise<Set<string>> {
  const client = await openSession(parseDatabaseUrl(url, 'drawbridge rehearsal'));
  try {
    const rows = (await readLedger(client)) ?? [];
    return new Set(
      rows.filter((r) => r.rolledBackAt === null && r.finishedAt !== null).map((r) => r.migrationName),
    );
  } finally {
    await closeSession(client);
  }
}

/**
 * A backup predates the migrations the environment applied after it was taken: those are applied to
 * the copy first (same engine, folder bytes), so that the plan starts where production is. Returns them.
 */
export async function catchUp(st: ApplyState): Promise<string[]> {
  const [live, copy] = await Promise.all([appliedNames(st.target.url), appliedNames(st.shadow.url)]);
  const folder = await readMigrationsFolder(st.target.config.migrations);
  const missing = folder.migrations.filter((m) => live.has(m.name) && !copy.has(m.name));
  for (const m of missing) {
    st.input.phase(`Applying ${m.name}, applied to ${st.target.name} after the backup`);
    const r = await applyOne(st, { name: m.name, checksum: m.checksum ?? '' });
    if (r.outcome !== 'applied')
      throw new DrawbridgeError(
        'REHEARSAL_CATCH_UP_FAILED',
        `${m.name}, applied to ${st.target.name} after the backup, failed on the copy: ${r.error?.message ?? 'unknown error'}`,
      );
  }
  return missing.map((m) => m.name);
}
