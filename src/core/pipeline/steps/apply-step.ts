/**
 * Step 5: apply the pending migrations through the engine (native or the Prisma CLI) on the run's
 * target, with one progress line per migration. Cancel aborts the signal: the native runner cancels
 * the running statement (pg_cancel_backend), the Prisma runner's process is stopped.
 */
import type { DeployEvent } from '../../../migrations/deploy.js';
import { ApplyJournalStore } from '../../../store/apply-journal-store.js';
import { applyToTarget, type EngineRun } from '../../engine-service.js';
import { ledgerRowIds } from '../database-facts.js';
import { MigrationTimer } from '../long-work-progress.js';
import type { StepContext, StepOutcome } from '../run-context.js';
import { RunCancelled, RunStopped, StepStopped } from '../run-context.js';

function describeEvent(e: DeployEvent): string | undefined {
  switch (e.kind) {
    case 'lock:waiting':
      return `Waiting for the migration lock (${Math.round(e.waitedMs / 1000)} s)${e.holder ? `, held by pid ${e.holder.pid}` : ''}`;
    case 'migration:started':
      return `Migration ${e.index} of ${e.total}: ${e.name}`;
    case 'statement:started':
      return `${e.name}: statement ${e.statement} of ${e.statements}`;
    case 'lock:retry':
      return `${e.name}: lock timeout, retry ${e.attempt} of ${e.maxRetries}${e.blockers.length ? ` (blocked by pid ${e.blockers.map((b) => b.pid).join(', ')})` : ''}`;
    default:
      return undefined;
  }
}

function onEvent(ctx: StepContext, finished: string[], timer: MigrationTimer): (e: DeployEvent) => void {
  return (e) => {
    if (e.kind === 'heartbeat') {
      ctx.alive();
      return;
    }
    const line = describeEvent(e);
    if (line) ctx.progress(line);
    // While a statement runs, its elapsed time against the impact estimate, once a second.
    if (line && e.kind === 'migration:started') timer.start(line, e.name);
    else if (line && e.kind === 'statement:started') timer.relabel(line);
    else if (e.kind === 'migration:finished' || e.kind === 'migration:failed') void timer.stop();
    if (e.kind === 'migration:finished') {
      finished.push(`${e.name}: ${e.durationMs} ms${e.attempts > 1 ? ` (${e.attempts} attempts)` : ''}`);
    }
  };
}

export async function applyStep(ctx: StepContext): Promise<StepOutcome> {
  const finished: string[] = [];
  const output: string[] = [];
  const journal = new ApplyJournalStore(ctx.deps.store);
  ctx.scratch.ledgerBefore = await ledgerRowIds(ctx.databaseUrl);
  const timer = new MigrationTimer(ctx);
  // Through the run's own target: its tunnel, its executor (no second lookup, no second tunnel).
  const result = await applyToTarget(ctx.deps, ctx.target, {
    signal: ctx.signal,
    // What runs is exactly what was approved: these names, in this order, with these bytes.
    expected: ctx.run.plan.migrations.map((m) => ({ name: m.name, checksum: m.checksum })),
    journal: (entry) => journal.append(ctx.run.id, entry),
    stopBetween: ctx.stop,
    onProgress: onEvent(ctx, finished, timer),
    onOutput: (l) => {
      output.push(l.line);
      ctx.progress(l.line.slice(0, 140));
    },
  }).finally(() => timer.stop());
  if (output.length) ctx.detail('Prisma CLI output', output.slice(-60).join('\n'), true);
  if (finished.length) ctx.detail('Applied', finished.join('\n'), true);
  return result.runner === 'native' ? nativeOutcome(ctx, result.result) : prismaOutcome(ctx, result.result);
}

function nativeOutcome(ctx: StepContext, r: Extract<EngineRun, { runner: 'native' }>['result']): StepOutcome {
  if (r.failure) {
    if (r.failure.code === 'P3018' || r.failure.code === 'CONNECTION_LOST')
      ctx.scratch.failedMigration = r.failure.name;
    if (r.failure.evidence) ctx.detail(`What ${r.failure.name} left behind`, r.failure.evidence.message);
    const sql = r.failure.logs ?? r.failure.message;
    ctx.detail(`Migration ${r.failure.name} failed`, sql, true);
    for (const idx of r.failure.invalidIndexes) {
      ctx.detail(
        'INVALID index left behind',
        `${idx.schema}.${idx.name} on ${idx.table}; remove it with:\n${idx.dropStatement}`,
        true,
      );
    }
  }
  switch (r.outcome) {
    case 'succeeded':
    case 'nothing_to_apply':
      return {
        state: 'succeeded',
        summary: `${r.applied.length} migration(s) applied in ${r.durationMs} ms`,
        detail: { applied: r.applied },
      };
    case 'cancelled':
      throw new RunCancelled(
        r.failure
          ? `Cancelled during ${r.failure.name}: ${r.failure.code === 'CONNECTION_LOST' ? r.failure.message : `the running statement was cancelled. ${r.failure.evidence?.message ?? 'Its outcome is unknown.'}`} (${r.applied.length} applied before it).`
          : `Cancelled between migrations (${r.applied.length} applied).`,
        { applied: r.applied, failed: r.failure?.name, evidence: r.failure?.evidence },
      );
    case 'stopped':
      throw new RunStopped(
        `Drawbridge was shut down during apply: ${r.applied.length} of ${ctx.run.plan.migrations.length} migration(s) applied, the rest not started.`,
        { applied: r.applied },
      );
    case 'refused':
      throw new StepStopped(
        r.refusal?.code ?? 'DEPLOY_REFUSED',
        r.refusal?.message ?? 'The deploy was refused',
        true,
      );
    default: {
      const f = r.failure;
      throw new StepStopped(
        f?.code ?? 'DEPLOY_FAILED',
        f
          ? `Migration ${f.name} failed${f.sqlState ? ` (SQLSTATE ${f.sqlState})` : ''}: ${f.message}`
          : 'The deploy failed',
        false,
        { detail: { applied: r.applied, failed: f?.name, evidence: f?.evidence } },
      );
    }
  }
}

function prismaOutcome(ctx: StepContext, r: Extract<EngineRun, { runner: 'prisma' }>['result']): StepOutcome {
  if (r.outcome === 'refused') {
    throw new StepStopped(r.refusal?.code ?? 'PLAN_CHANGED', r.refusal?.message ?? 'Refused', true);
  }
  if (r.failed[0]) ctx.scratch.failedMigration = r.failed[0];
  if (r.outcome === 'succeeded') {
    return {
      state: 'succeeded',
      summary: `${r.applied.length} migration(s) applied by the Prisma CLI in ${r.durationMs} ms`,
      detail: { applied: r.applied },
    };
  }
  if (r.outcome === 'cancelled')
    throw new RunCancelled(`The Prisma CLI was stopped (${r.applied.length} applied before).`);
  throw new StepStopped(
    r.prismaErrorCode ?? 'PRISMA_DEPLOY_FAILED',
    `The Prisma CLI ${r.outcome === 'timed_out' ? 'timed out' : `exited with ${String(r.exitCode)}`}${r.failed.length ? `; failed: ${r.failed.join(', ')}` : ''}`,
    false,
    // `failed` names one migration, as the native runner records it (authorize.ts failedMigrationOf).
    { detail: { applied: r.applied, failed: r.failed[0], failedAll: r.failed } },
  );
}
