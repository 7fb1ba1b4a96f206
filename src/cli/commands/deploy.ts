/** `drawbridge deploy --env <name> --yes [--json]`: applies pending migrations from a terminal. */
import type { DeployEvent } from '../../migrations/deploy.js';
import { applyEnvironment, environmentStatus, type CoreDeps } from '../../core/engine-index.js';
import type { CliIo, CliOutcome } from '../output.js';
import { ProgressLine } from '../progress-line.js';

function describeEvent(e: DeployEvent): string | undefined {
  switch (e.kind) {
    case 'lock:waiting':
      return `waiting for the migration lock (${Math.round(e.waitedMs / 1000)} s)${e.holder ? `, held by pid ${e.holder.pid} (${e.holder.applicationName})` : ''}`;
    case 'lock:acquired':
      return 'migration lock acquired';
    case 'migration:started':
      return `[${e.index}/${e.total}] applying ${e.name}${e.mode === 'statements' ? ' (statement by statement, outside a transaction)' : ''}`;
    case 'lock:retry':
      return `  ${e.name}: lock timeout, retry ${e.attempt}/${e.maxRetries} in ${e.delayMs} ms; blocked by ${e.blockers.map((b) => `pid ${b.pid}`).join(', ') || 'a session that has left'}`;
    case 'migration:finished':
      return `  done in ${e.durationMs} ms`;
    case 'migration:failed':
      return `  FAILED${e.sqlState ? ` (${e.sqlState})` : ''}: ${e.message}`;
    default:
      return undefined;
  }
}

export async function deployCommand(
  deps: CoreDeps,
  environment: string,
  yes: boolean,
  io: CliIo,
): Promise<CliOutcome> {
  if (!yes) {
    const status = await environmentStatus(deps, environment);
    if (status.kind !== 'status') {
      return {
        exitCode: status.kind === 'refusal' ? 2 : 1,
        text: status.message.replace(/`/g, ''),
        json: status,
      };
    }
    const names = status.report.toApply;
    return {
      exitCode: 0,
      text: `${names.length} migration(s) would be applied to ${environment} (${status.target}):\n${names.map((n) => `  ${n}`).join('\n')}\nRe-run with --yes to apply them.`,
      json: { environment, wouldApply: names, applied: false },
    };
  }
  // On a terminal, a migration that runs for long shows its elapsed time once a second.
  const progress = new ProgressLine(io, deps.clock);
  const run = await applyEnvironment(deps, environment, {
    onProgress: (e) => {
      const line = describeEvent(e);
      if (line) io.err(line);
      if (line && e.kind === 'migration:started') progress.startTimer(line.trim());
      else if (e.kind === 'migration:finished' || e.kind === 'migration:failed') progress.stopTimer();
    },
    onOutput: (l) => io.err(l.line),
  }).finally(() => progress.stopTimer());
  if (run.kind === 'refusal') return { exitCode: 2, text: run.message.replace(/`/g, ''), json: run };
  if (run.runner === 'prisma') {
    const r = run.result;
    const ok = r.outcome === 'succeeded';
    return {
      exitCode: ok ? 0 : 1,
      text: `${ok ? 'Applied' : `Prisma ${r.outcome} (exit ${r.exitCode}${r.prismaErrorCode ? `, ${r.prismaErrorCode}` : ''}); applied`}: ${r.applied.join(', ') || 'nothing'}${r.failed.length ? `; failed: ${r.failed.join(', ')}` : ''}`,
      json: run,
    };
  }
  const r = run.result;
  const lines: string[] = [];
  if (r.outcome === 'refused' && r.refusal)
    lines.push(`Refused: ${r.refusal.message}${r.refusal.hint ? `\n${r.refusal.hint}` : ''}`);
  if (r.applied.length)
    lines.push(`The following migration(s) have been applied:\n${r.applied.map((n) => `  ${n}`).join('\n')}`);
  if (r.outcome === 'nothing_to_apply') lines.push('No pending migrations to apply.');
  if (r.outcome === 'succeeded') lines.push('All migrations have been successfully applied.');
  if (r.failure) {
    lines.push(
      `Migration ${r.failure.name} failed (${r.failure.code}${r.failure.sqlState ? `, SQLSTATE ${r.failure.sqlState}` : ''}): ${r.failure.message}`,
    );
    for (const ix of r.failure.invalidIndexes)
      lines.push(`  INVALID index left behind: ${ix.name}; remove it with: ${ix.dropStatement}`);
  }
  if (r.outcome === 'cancelled') lines.push('Cancelled.');
  const exitCode =
    r.outcome === 'succeeded' || r.outcome === 'nothing_to_apply' ? 0 : r.outcome === 'refused' ? 2 : 1;
  return { exitCode, text: lines.join('\n'), json: run };
}
