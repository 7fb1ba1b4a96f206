/**
 * Steps 6, 8 and 9: verify (the ledger shows the plan applied; critical tables did not lose rows),
 * then, once maintenance mode is off (step 7), the post-deploy commands from the config and the
 * health check (after `healthcheck.settleMs`) with retries and backoff.
 */
import { getStatus } from '../../../migrations/get-status.js';
import { checkHealth } from '../../../integrations/healthcheck.js';
import { countRows, ledgerFacts } from '../database-facts.js';
import type { StepContext, StepOutcome } from '../run-context.js';
import { RunCancelled, StepStopped } from '../run-context.js';
import { runConfiguredCommand } from './maintenance-steps.js';

export async function verifyStep(ctx: StepContext): Promise<StepOutcome> {
  const status = await getStatus({
    databaseUrl: ctx.databaseUrl,
    migrationsDir: ctx.env.migrations,
    clock: ctx.deps.clock,
  });
  const byName = new Map(status.migrations.map((m) => [m.name, m.state]));
  const notApplied = ctx.run.plan.migrations.filter((m) => byName.get(m.name) !== 'applied');
  if (notApplied.length > 0 || status.blocking.length > 0) {
    const what = notApplied.map((m) => `${m.name} is ${byName.get(m.name) ?? 'missing'}`).join(', ');
    throw new StepStopped(
      'VERIFY_LEDGER',
      `The ledger does not show the plan applied: ${what || status.blocking.map((b) => b.message).join(' ')}`,
      false,
    );
  }
  await checkLedgerAgainstPlan(ctx);
  const lines = [
    `Ledger: all ${ctx.run.plan.migrations.length} planned migration(s) applied with the approved checksums; ${status.toApply.length} pending.`,
  ];
  const before = ctx.scratch.countsBefore ?? {};
  const after = await countRows(ctx.databaseUrl, ctx.env.criticalTables);
  const drops: string[] = [];
  for (const table of ctx.env.criticalTables) {
    const b = before[table] ?? null;
    const a = after[table] ?? null;
    lines.push(`${table}: ${b ?? 'missing'} → ${a ?? 'missing'} rows`);
    if (b !== null && (a === null || a < b)) drops.push(`${table} ${b} → ${a ?? 'missing'}`);
  }
  ctx.detail('Verify', lines.join('\n'), true);
  if (drops.length > 0) {
    const warning = `row count dropped: ${drops.join(', ')}`;
    ctx.scratch.warnings.push(`verify: ${warning}`);
    ctx.emit({
      kind: 'notice',
      runId: ctx.run.id,
      notice: { kind: 'row_count_dropped', environment: ctx.run.environment, runId: ctx.run.id, warning },
    });
    return {
      state: 'succeeded',
      summary: `ledger clean; :warning: ${warning}`,
      detail: { before, after, drops },
    };
  }
  const tables = ctx.env.criticalTables.length;
  return {
    state: 'succeeded',
    summary: `ledger clean${tables ? `; ${tables} critical table(s) kept their rows` : ''}`,
    detail: { before, after },
  };
}

/**
 * What was applied is what was approved: every ledger row added since apply began names an approved
 * migration, and each approved migration's finished row carries the approved checksum.
 */
async function checkLedgerAgainstPlan(ctx: StepContext): Promise<void> {
  const rows = await ledgerFacts(ctx.databaseUrl);
  const before = new Set(ctx.scratch.ledgerBefore ?? []);
  const approved = new Map(ctx.run.plan.migrations.map((m) => [m.name, m.checksum.toLowerCase()]));
  const problems: string[] = [];
  for (const r of rows.filter((row) => !before.has(row.id))) {
    const sum = approved.get(r.name);
    if (sum === undefined) problems.push(`${r.name} was applied but is not in the approved plan`);
    else if (r.checksum.toLowerCase() !== sum)
      problems.push(
        `${r.name} was applied with checksum ${r.checksum.slice(0, 12)}, not the approved ${sum.slice(0, 12)}`,
      );
  }
  if (problems.length > 0) {
    throw new StepStopped(
      'VERIFY_PLAN',
      `The ledger shows work nobody approved: ${problems.join('; ')}.`,
      false,
    );
  }
}

export async function postDeployStep(ctx: StepContext): Promise<StepOutcome> {
  const commands = ctx.env.postDeploy;
  if (commands.length === 0) return { state: 'skipped', summary: 'no post-deploy commands configured' };
  const done: string[] = [];
  for (const [i, command] of commands.entries()) {
    if (ctx.signal.aborted) throw new RunCancelled('Cancelled before the post-deploy commands finished');
    ctx.progress(`Post-deploy ${i + 1} of ${commands.length}: ${command.join(' ')}`);
    await runConfiguredCommand(ctx, command, `Post-deploy \`${command.join(' ')}\``, {
      env: { DATABASE_URL: ctx.executorDatabaseUrl },
      cwd: ctx.env.prisma.cwd,
      timeoutMs: 15 * 60_000,
    });
    done.push(command[0] ?? '');
  }
  return { state: 'succeeded', summary: `${done.length} command(s) ran` };
}

export async function healthCheckStep(ctx: StepContext): Promise<StepOutcome> {
  const hc = ctx.env.healthcheck;
  if (!hc) return { state: 'skipped', summary: 'no health check configured' };
  if (hc.settleMs > 0) {
    ctx.progress(`Waiting ${hc.settleMs} ms for the application to settle (healthcheck.settleMs)`);
    await ctx.deps.clock.sleep(hc.settleMs, ctx.signal);
  }
  ctx.progress(`GET ${hc.url}`);
  const result = await checkHealth(hc, ctx.deps.clock, ctx.signal);
  const lines = result.attempts.map(
    (a, i) =>
      `attempt ${i + 1}: ${a.status !== undefined ? `HTTP ${a.status}` : a.error} (${a.durationMs} ms)`,
  );
  ctx.detail('Health check', lines.join('\n'), true);
  if (!result.ok) {
    throw new StepStopped(
      'HEALTHCHECK_FAILED',
      `${hc.url} did not answer ${hc.expectStatus} after ${result.attempts.length} attempt(s) (last: ${result.lastStatus ?? 'no answer'})`,
      false,
    );
  }
  return {
    state: 'succeeded',
    summary: `HTTP ${hc.expectStatus} after ${result.attempts.length} attempt(s)`,
  };
}
