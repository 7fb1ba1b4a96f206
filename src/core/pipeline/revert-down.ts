/**
 * A way back: **Revert with down.sql**. The down.sql files of the run's applied migrations run in
 * reverse order (each as one simple query, as `prisma db execute --file` would), and after each the
 * migration is marked rolled back the way `prisma migrate resolve --rolled-back` marks a row
 * (migrations/resolve.ts `resolveRevertedDown`), so the next deploy applies it again. Like Restore it
 * holds the environment lock and needs the typed confirmation; `previewRevert` says beforehand which
 * tables, columns, indexes and types it drops, with the rows they hold.
 */
import { describeError, refusal, type Refusal } from '../../base/errors.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import type { DownDrop } from '../../migrations/down-drops.js';
import { getStatus } from '../../migrations/get-status.js';
import { resolveRevertedDown } from '../../migrations/resolve.js';
import { RunStore } from '../../store/run-store.js';
import type { RunRecord } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import { closeTarget, openEnvironmentTarget, type EnvironmentTarget } from '../environment-target.js';
import { readDownSql, runDownScript } from '../rehearsal/down-scripts.js';
import { applyRunEvent } from '../runs/apply-run-event.js';
import { availability } from '../runs/authorize.js';
import { runFacts } from './run-view.js';
import type { PipelineObserver } from './types.js';
import { endWayBack } from './way-back-end.js';

/** One object a revert drops, with the rows (or non-null values) it holds now; null: not counted. */
export interface RevertDrop extends DownDrop {
  readonly migration: string;
  readonly rows: number | null;
}

/** What a revert would do: the migrations in the order their down.sql runs, and what is dropped. */
export interface RevertPreview {
  readonly kind: 'revert_preview';
  readonly run: RunRecord;
  readonly migrations: readonly string[];
  readonly drops: readonly RevertDrop[];
  /** down.sql files the parser could not read (their drops are unknown). */
  readonly problems: readonly string[];
}

/** What `revertWithDown` did. */
export interface Reverted {
  readonly kind: 'reverted';
  readonly run: RunRecord;
  readonly migrations: readonly string[];
}

function quoted(key: string): string {
  return key
    .split('.')
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join('.');
}

/** Rows of a dropped table, or non-null values of a dropped column; null when it cannot be read quickly. */
async function countRows(url: string, d: DownDrop): Promise<number | null> {
  if (d.kind !== 'table' && d.kind !== 'column') return null;
  const client = await openSession(parseDatabaseUrl(url, 'drawbridge revert preview'));
  try {
    await client.query('SET statement_timeout = 2000');
    const sql =
      d.kind === 'table'
        ? `SELECT count(*)::bigint AS n FROM ${quoted(d.key)}`
        : `SELECT count(*)::bigint AS n FROM ${quoted(d.table ?? '')} WHERE ${quoted(d.column ?? '')} IS NOT NULL`;
    const r = await client.query<{ n: string }>(sql);
    return Number(r.rows[0]?.n ?? 0);
  } catch {
    return null;
  } finally {
    await closeSession(client);
  }
}

/** The run's planned migrations the ledger shows applied, newest first: the order their down.sql runs. */
async function appliedNewestFirst(
  deps: CoreDeps,
  target: EnvironmentTarget,
  run: RunRecord,
): Promise<string[]> {
  const status = await getStatus({
    databaseUrl: target.url,
    migrationsDir: target.config.migrations,
    clock: deps.clock,
  });
  const applied = new Set(
    status.migrations.filter((m) => m.state === 'applied' || m.state === 'edited').map((m) => m.name),
  );
  return run.plan.migrations
    .map((m) => m.name)
    .filter((n) => applied.has(n))
    .reverse();
}

function gate(deps: CoreDeps, runs: RunStore, runId: string): RunRecord | Refusal {
  const run = runs.getRun(runId);
  if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
  return availability('revert_down', runFacts(deps, runs, run)) ?? run;
}

/** What Revert with down.sql would run and drop, read now (for the confirmation modal). */
export async function previewRevert(deps: CoreDeps, runId: string): Promise<RevertPreview | Refusal> {
  const runs = new RunStore(deps.store, deps.clock);
  const run = gate(deps, runs, runId);
  if ('kind' in run) return run;
  const target = await openEnvironmentTarget(deps, run.environment);
  if ('kind' in target) return target;
  try {
    const migrations = await appliedNewestFirst(deps, target, run);
    const drops: RevertDrop[] = [];
    const problems: string[] = [];
    // The SQL parser loads on first use (a CLI deploy or status needs none).
    const { downDrops, loadParser } = await import('../../migrations/down-drops.js');
    await loadParser();
    for (const name of migrations) {
      const parsed = downDrops((await readDownSql(target.config.migrations, name)) ?? '');
      if (!parsed.ok) problems.push(`${name}/down.sql: ${parsed.message}`);
      else
        for (const d of parsed.drops)
          drops.push({ ...d, migration: name, rows: await countRows(target.url, d) });
    }
    return { kind: 'revert_preview', run, migrations, drops, problems };
  } finally {
    await closeTarget(deps, target);
  }
}

/** Runs the down.sql files newest first, marking each migration rolled back; the run ends rolled_back. */
export async function revertWithDown(
  deps: CoreDeps,
  runId: string,
  actor: string,
  emit: PipelineObserver,
): Promise<Reverted | Refusal> {
  const runs = new RunStore(deps.store, deps.clock);
  const run = gate(deps, runs, runId);
  if ('kind' in run) return run;
  const locked = runs.acquireEnvironmentLock(run.environment, run.id);
  if (locked.kind === 'refusal') return locked;
  const done: string[] = [];
  try {
    const target = await openEnvironmentTarget(deps, run.environment);
    if ('kind' in target) return target;
    try {
      const migrations = await appliedNewestFirst(deps, target, run);
      if (migrations.length === 0)
        return refusal(
          'NOTHING_APPLIED',
          `The ledger of ${run.environment} shows none of run ${run.id}'s migrations applied.`,
        );
      for (const name of migrations) {
        emit({ kind: 'progress', runId, step: 'apply', text: `Revert: down.sql of ${name}` });
        const sql = (await readDownSql(target.config.migrations, name)) ?? '';
        try {
          await runDownScript(target.url, sql, `drawbridge revert ${runId}`);
        } catch (err) {
          const note = done.length ? ` Already reverted and marked rolled back: ${done.join(', ')}.` : '';
          emit({
            kind: 'detail',
            runId,
            detail: {
              title: 'Revert with down.sql failed',
              text: `${name}/down.sql failed: ${describeError(err)}.${note}`,
            },
          });
          emit({ kind: 'run:changed', runId });
          return refusal(
            'REVERT_FAILED',
            `The down.sql of ${name} failed (its transaction rolled back): ${describeError(err)}.${note}`,
            'Fix the down.sql or use Restore backup.',
          );
        }
        const marked = await resolveRevertedDown({
          databaseUrl: target.url,
          migrationsDir: target.config.migrations,
          name,
          clock: deps.clock,
          lockWaitMs: target.config.advisoryLockWaitMs,
        });
        if (marked.outcome === 'refused') return marked.refusal ?? refusal('RESOLVE_REFUSED', marked.message);
        done.push(name);
        emit({
          kind: 'detail',
          runId,
          detail: {
            title: 'Reverted',
            text: `${name}: down.sql ran and the migration is marked rolled back, by @${actor}.`,
            mentions: true,
          },
        });
      }
    } finally {
      await closeTarget(deps, target);
    }
  } finally {
    runs.releaseEnvironmentLock(run.environment, run.id);
  }
  const moved = applyRunEvent(runs, runId, 'revert_down', {
    actor,
    expectedState: run.state,
    detail: { migrations: done },
    outcome: `reverted with down.sql by ${actor}: ${done.join(', ')}`,
  });
  if (moved.kind === 'refusal') return moved;
  emit({
    kind: 'notice',
    runId,
    notice: { kind: 'marked_rolled_back', environment: run.environment, runId, migrations: done, actor },
  });
  emit({ kind: 'run:changed', runId });
  await endWayBack(deps, runId, actor, emit, 'rolled_back');
  return { kind: 'reverted', run: runs.getRun(runId) ?? moved.run, migrations: done };
}
