/** `drawbridge plan --env <name> [--json]`: what a deploy would do, as `/migrate plan` shows it. */
import type { CliContext } from '../context.js';
import { requireEnv } from '../context.js';
import { refused, type CliOutcome } from '../output.js';

const MARK = { ok: '✓', warn: '!', fail: '✗' } as const;

export async function planCommand(ctx: CliContext): Promise<CliOutcome> {
  const environment = requireEnv(ctx);
  const report = await (await ctx.services()).runs.plan(environment);
  if (report.kind === 'refusal') return refused(report);
  const lines = [
    `Plan for ${environment} — ${report.target} (plan ${report.planHash.slice(0, 12)})`,
    report.plan.migrations.length
      ? `${report.plan.migrations.length} migration(s) to apply:\n${report.plan.migrations.map((m) => `  ${m.name}`).join('\n')}`
      : 'Nothing to apply.',
  ];
  if (report.review) {
    const { error, warning } = report.review.summary;
    lines.push(`SQL review: ${error} error(s), ${warning} warning(s) (drawbridge review ${environment}).`);
  }
  lines.push('Preflight:');
  for (const c of report.preflight)
    lines.push(`  ${MARK[c.status]} ${c.id}: ${c.message}${c.hint ? `\n      ${c.hint}` : ''}`);
  lines.push(
    report.verdict === 'ready'
      ? `Ready: drawbridge deploy --env ${environment} --yes applies it (or /migrate deploy ${environment} in Slack, with approval).`
      : report.verdict === 'blocked'
        ? 'Blocked: see the failed checks above.'
        : 'Database schema is up to date!',
  );
  return {
    exitCode: report.verdict === 'nothing_pending' ? 0 : 1,
    text: lines.join('\n'),
    json: report,
  };
}
