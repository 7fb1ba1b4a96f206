/**
 * One rehearsal, top to bottom: open the environment's target and its verified shadow database, put a
 * copy of the target in the shadow (copy-into-shadow.ts), then apply the plan's migrations there with
 * the production engine and settings (the native `deploy` with the environment's lock and statement
 * timeouts, retries and watchdog, and the plan's exact names and checksums), one migration per deploy
 * so that each is timed, its locks sampled and the schema read between them; finally the down.sql
 * files, in reverse order, each compared with the schema before its migration. Production is only
 * read (dumped); every write goes to the shadow.
 */
import { mkdtemp, copyFile, mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeError, DrawbridgeError } from '../../base/errors.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import { readMigrationsFolder } from '../../migrations/folder.js';
import { readLedger } from '../../migrations/ledger.js';
import { REHEARSAL_DEFAULTS } from '../../config/rehearsal-schema.js';
import { deploy, type DeployEvent, type DeployResult } from '../../migrations/deploy.js';
import { strongerLock } from '../../migrations/review/lock-modes.js';
import type { LockMode, ReviewReport } from '../../migrations/review/types.js';
import type { RunStore } from '../../store/run-store.js';
import type { PlannedMigration } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import { closeTarget, openEnvironmentTarget, type EnvironmentTarget } from '../environment-target.js';
import { openShadow, type ShadowDatabase } from '../shadow/shadow-database.js';
import { copyIntoShadow } from './copy-into-shadow.js';
import { readDownSql, readSchemaAt, runDownScript, schemaDifferences } from './down-scripts.js';
import type { SchemaSnapshot } from '../shadow/schema-diff.js';
import { LockSampler } from './lock-sampler.js';
import type {
  DownCheck,
  LockTaken,
  MigrationRehearsal,
  RehearsalResult,
  RehearsalSource,
  RehearsalState,
  RowsTouched,
} from './types.js';

export interface RehearseInput {
  readonly deps: CoreDeps;
  readonly runs: RunStore;
  readonly environment: string;
  readonly rehearsalId: string;
  /** The plan's migrations, names and checksums, in order: exactly these are applied. */
  readonly migrations: readonly PlannedMigration[];
  /** The plan's review: its lock analysis fills in tables no pg_locks sample saw. */
  readonly review?: ReviewReport;
  readonly signal: AbortSignal;
  /** What it is doing now, one line. */
  readonly phase: (text: string) => void;
  /** One migration's result, as soon as it is known. */
  readonly onMigration: (m: MigrationRehearsal) => void;
}

export interface Rehearsed {
  readonly state: Exclude<RehearsalState, 'running'>;
  readonly result: RehearsalResult;
}

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

interface ApplyState {
  readonly input: RehearseInput;
  readonly target: EnvironmentTarget;
  readonly shadow: ShadowDatabase;
  readonly folder: string;
  readonly sampler: LockSampler;
  readonly appName: string;
}

/** Applies migration `m` alone (the folder holds it and those before it) with the production settings. */
async function applyOne(st: ApplyState, m: PlannedMigration): Promise<MigrationRehearsal> {
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

/**
 * The down.sql files in reverse order, from the end of the rehearsal: each must bring the schema back
 * to the one read before its migration. A migration without one, or a down.sql that does not restore
 * its schema, ends the walk (the ones before it cannot be reached the way Revert would reach them).
 */
async function checkDowns(
  st: ApplyState,
  applied: MigrationRehearsal[],
  before: Map<string, SchemaSnapshot>,
  downs: Map<string, string>,
): Promise<void> {
  let blockedBy: string | undefined;
  for (let i = applied.length - 1; i >= 0; i -= 1) {
    const m = applied[i] as MigrationRehearsal;
    const down = downs.get(m.name);
    if (down === undefined) {
      blockedBy ??= m.name;
      continue;
    }
    let check: DownCheck;
    if (blockedBy !== undefined) {
      check = {
        outcome: 'not_checked',
        message: `not checked: ${blockedBy}, applied after it, cannot be reverted first`,
      };
    } else {
      st.input.phase(`Checking the down.sql of ${m.name}`);
      try {
        await runDownScript(st.shadow.url, down, st.appName);
        const now = await readSchemaAt(st.shadow.url);
        const was = before.get(m.name);
        const diff = was ? schemaDifferences(was, now) : ['the schema before the migration was not read'];
        check =
          diff.length === 0
            ? { outcome: 'restored', message: 'down.sql restores the schema from before the migration' }
            : {
                outcome: 'differs',
                message: 'down.sql does not restore the schema from before the migration',
                differences: diff,
              };
      } catch (err) {
        check = { outcome: 'failed', message: `down.sql failed: ${describeError(err)}` };
      }
      if (check.outcome !== 'restored') blockedBy = m.name;
    }
    applied[i] = { ...m, down: check };
    st.input.onMigration(applied[i] as MigrationRehearsal);
  }
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
async function catchUp(st: ApplyState): Promise<string[]> {
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

async function applyPlan(st: ApplyState): Promise<MigrationRehearsal[]> {
  const { input } = st;
  const downs = new Map<string, string>();
  for (const m of input.migrations) {
    const down = await readDownSql(st.target.config.migrations, m.name);
    if (down !== undefined) downs.set(m.name, down);
  }
  const before = new Map<string, SchemaSnapshot>();
  const out: MigrationRehearsal[] = [];
  for (const [i, m] of input.migrations.entries()) {
    if (input.signal.aborted) break;
    if (downs.size > 0) before.set(m.name, await readSchemaAt(st.shadow.url));
    input.phase(`Applying ${i + 1} of ${input.migrations.length}: ${m.name}`);
    const r = await applyOne(st, m);
    out.push(r);
    input.onMigration(r);
    if (r.outcome !== 'applied') break;
  }
  for (const m of input.migrations.slice(out.length))
    out.push({ name: m.name, outcome: 'not_run', rows: [], locks: [] });
  const applied = out.filter((m) => m.outcome === 'applied');
  if (downs.size > 0 && !input.signal.aborted && applied.length === out.length) {
    await checkDowns(st, applied, before, downs);
    return applied;
  }
  return out;
}

/** Why the rehearsal was cancelled, as the canceller said it. */
function cancelReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return r instanceof Error ? r.message : typeof r === 'string' ? r : 'cancelled';
}

/** Carries out one rehearsal. Never throws: a fault is a result in state `error`. */
export async function rehearse(input: RehearseInput): Promise<Rehearsed> {
  const { deps } = input;
  const started = deps.clock.now();
  const config = deps.config.environment(input.environment)?.rehearsal ?? REHEARSAL_DEFAULTS;
  const stop = (state: Rehearsed['state'], result: Omit<RehearsalResult, 'totalMs'>): Rehearsed => ({
    state,
    result: { ...result, totalMs: deps.clock.now() - started },
  });
  let target: EnvironmentTarget;
  try {
    const opened = await openEnvironmentTarget(deps, input.environment);
    if ('kind' in opened) return stop('error', { migrations: [], error: opened.message });
    target = opened;
  } catch (err) {
    return stop('error', { migrations: [], error: describeError(err) });
  }
  let shadow: ShadowDatabase | undefined;
  let folder: string | undefined;
  let sampler: LockSampler | undefined;
  let source: RehearsalSource | undefined;
  try {
    const opened = await openShadow(deps, input.environment, { target });
    if ('kind' in opened) return stop('error', { migrations: [], error: opened.message });
    shadow = opened;
    source = await copyIntoShadow({
      deps,
      runs: input.runs,
      target,
      shadow,
      config,
      rehearsalId: input.rehearsalId,
      signal: input.signal,
      phase: input.phase,
    });
    folder = await mkdtemp(join(tmpdir(), 'drawbridge-rehearsal-'));
    const appName = `drawbridge rehearsal ${input.environment}`;
    sampler = await LockSampler.start(shadow.url, appName);
    const st = { input, target, shadow, folder, sampler, appName };
    if (source.kind === 'backup') {
      const caughtUp = await catchUp(st);
      if (caughtUp.length > 0) source = { ...source, caughtUp };
    }
    const migrations = await applyPlan(st);
    const applyMs = migrations.reduce(
      (sum, m) => sum + (m.outcome === 'applied' ? (m.durationMs ?? 0) : 0),
      0,
    );
    const base = { shadow: shadow.display, source, migrations, applyMs };
    if (input.signal.aborted) return stop('cancelled', { ...base, error: cancelReason(input.signal) });
    return stop(migrations.every((m) => m.outcome === 'applied') ? 'succeeded' : 'failed', base);
  } catch (err) {
    const base = {
      ...(shadow ? { shadow: shadow.display } : {}),
      ...(source ? { source } : {}),
      migrations: [],
    };
    if (input.signal.aborted) return stop('cancelled', { ...base, error: cancelReason(input.signal) });
    return stop('error', { ...base, error: describeError(err) });
  } finally {
    await sampler?.stop().catch(() => undefined);
    if (folder) await rm(folder, { recursive: true, force: true }).catch(() => undefined);
    await shadow?.close().catch(() => undefined);
    await closeTarget(deps, target);
  }
}
