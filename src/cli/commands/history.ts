/** `drawbridge history --env <name> [--json]`: the recent runs, as `/migrate history` lists them. */
import { unknownEnvironment, type RunView } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { requireEnv } from '../context.js';
import { formatInstant, refused, type CliOutcome } from '../output.js';

function duration(v: RunView): string {
  const r = v.run;
  if (!r.startedAt) return 'not started';
  const ms = Math.max(0, (r.finishedAt ?? r.updatedAt) - r.startedAt);
  return ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`;
}

function describe(v: RunView): string {
  const r = v.run;
  const backup = (r.backup as { fileName?: string } | null)?.fileName;
  const approved = v.approvals.approvedBy.length ? v.approvals.approvedBy.join(', ') : '—';
  return [
    `${r.id}  ${formatInstant(r.createdAt)}  ${r.state.replace('_', ' ')}${r.reverted ? ` (reverted by the restore of run ${r.reverted.byRunId})` : ''}  ${r.plan.migrations.length} migration(s)`,
    `  requested by ${r.requestedBy} · approved by ${approved} · ${duration(v)}${backup ? ` · backup ${backup}` : ''}`,
    r.outcome ? `  ${r.outcome}` : '',
    v.watch
      ? `  watch: ${v.watch.state}, ${v.watch.samples} sample(s), ${v.watch.gaps} gap(s), ${v.watch.alerts} alert(s)`
      : '',
    v.undelivered ? `  ${v.undelivered} message(s) about this run could not be delivered; see the log.` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

function withoutSnapshot(backup: unknown): unknown {
  if (!backup || typeof backup !== 'object') return backup;
  const { snapshot: _snapshot, ...rest } = backup as Record<string, unknown>;
  return rest;
}

export async function historyCommand(ctx: CliContext): Promise<CliOutcome> {
  const environment = requireEnv(ctx);
  const unknown = unknownEnvironment(ctx.deps(), environment);
  if (unknown) return refused(unknown);
  const views = (await ctx.services()).runs.history(environment, 20);
  const text = views.length
    ? `${views.length} recent run(s) of ${environment}, newest first:\n${views.map(describe).join('\n')}`
    : `No runs for ${environment} yet.`;
  return {
    exitCode: 0,
    text,
    json: {
      environment,
      runs: views.map((v) => ({
        ...v.run,
        // The snapshot stored with the backup is for comparing a restore, not for reading here.
        backup: withoutSnapshot(v.run.backup),
        approvedBy: v.approvals.approvedBy,
        ...(v.watch ? { watch: v.watch } : {}),
      })),
    },
  };
}
