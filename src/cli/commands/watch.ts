/** `drawbridge watch --run <id> [--json]`: the post-deploy watch so far, as `/migrate watch` shows it. */
import type { WatchSummary } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { requireOption } from '../context.js';
import { formatInstant, refused, type CliOutcome } from '../output.js';

export async function watchCommand(ctx: CliContext): Promise<CliOutcome> {
  const runId = requireOption(ctx, 'run', '<run id>');
  const found = (await ctx.services()).runs.watch(runId);
  if ('kind' in found) return refused(found, found.code === 'RUN_NOT_FOUND' ? 2 : 1);
  const s = found.summary;
  const lines = [
    `Watch of run ${s.runId} (${s.environment}): ${found.watching ? `watching until ${formatInstant(s.endsAt)}` : `ended${s.endReason ? ` (${s.endReason})` : ''}`}`,
    `${s.samples} sample(s) of ${s.slots} slot(s), ${s.gaps} gap(s), ${s.alerts} alert(s); started ${formatInstant(s.startedAt)}.`,
    ...s.sentences,
  ];
  for (const m of s.metrics) lines.push(`  ${describeMetric(m)}`);
  return { exitCode: 0, text: lines.join('\n'), json: found };
}

function describeMetric(m: WatchSummary['metrics'][number]): string {
  const n = (v: number | null): string =>
    v === null ? '—' : `${Number(v.toFixed(2))}${m.unit === '%' ? '%' : ` ${m.unit}`}`;
  return `${m.label}: baseline ${n(m.baseline)}, median ${n(m.median)}, p95 ${n(m.p95)}, max ${n(m.max)} (${m.trend})`;
}
