/**
 * Block Kit for the SQL review part of the plan message: pure data → blocks. Worst findings first,
 * packed into sections of at most 3000 characters, a count of what is not shown, the suppressed
 * findings and the impact estimate. `renderReviewFindings` wraps the blocks into a whole message.
 */
import type { Finding, MigrationImpact, ReviewReport, Severity } from '../../migrations/review/types.js';
import {
  context,
  esc,
  finishMessage,
  header,
  sectionsFromLines,
  truncate,
  type Block,
  type SlackMessage,
} from './blocks.js';

/** How many findings the plan message lists before summarising the rest. */
export const MAX_FINDINGS_SHOWN = 15;

const ICON: Record<Severity, string> = {
  error: ':red_circle:',
  warning: ':large_orange_diamond:',
  info: ':information_source:',
};
const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
const CLASS_ICON: Record<MigrationImpact['class'], string> = {
  quick: ':zap:',
  slow: ':hourglass:',
  long: ':rotating_light:',
};

/** Findings of the report, worst first; within a severity, in migration and line order. */
export function worstFirst(report: ReviewReport): Finding[] {
  const order = new Map(report.results.map((r, i) => [r.migration, i]));
  return report.results
    .flatMap((r) => r.findings)
    .sort(
      (a, b) =>
        RANK[a.severity] - RANK[b.severity] ||
        (order.get(a.migration) ?? 0) - (order.get(b.migration) ?? 0) ||
        a.line - b.line,
    );
}

function findingLine(f: Finding): string {
  const where = `\`${esc(f.migration)}\`:${f.line}`;
  const stmt = f.statement ? `\n> \`${esc(truncate(f.statement.replace(/\s+/g, ' '), 160))}\`` : '';
  return `${ICON[f.severity]} *${f.severity}* \`${f.ruleId}\` · ${where}${stmt}\n${esc(f.message)}\n_${esc(f.help)}_`;
}

function restLine(rest: Finding[]): string {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of rest) counts[f.severity]++;
  const parts = (['error', 'warning', 'info'] as const)
    .filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`);
  return `_…and ${rest.length} more finding(s) not shown (${parts.join(', ')}); run \`drawbridge review\` for the full list._`;
}

function impactLines(report: ReviewReport): string[] {
  if (!report.impact.available) return [`*Impact estimate:* ${esc(report.impact.reason)}`];
  const lines = ['*Impact estimate*'];
  for (const m of report.impact.migrations) {
    if (m.tables.length === 0) continue;
    const blockers = m.tables.flatMap((t) => t.blockers.map((b) => `pid ${b.pid} on ${t.table}`));
    const blocked = blockers.length > 0 ? ` · blocked now by ${esc(blockers.slice(0, 3).join(', '))}` : '';
    lines.push(
      `${CLASS_ICON[m.class]} \`${esc(m.migration)}\`: *${m.class}*${blocked}\n${esc(m.reasoning.at(-1) ?? '')}`,
    );
  }
  if (lines.length === 1) lines.push('No pending statement touches an existing table.');
  return lines;
}

/**
 * The review blocks for the plan message. `maxFindings` caps the listed findings (worst first); the
 * rest are counted. Each section stays within Slack's 3000-character limit.
 */
export function reviewFindingsBlocks(report: ReviewReport, maxFindings = MAX_FINDINGS_SHOWN): Block[] {
  const all = worstFirst(report);
  const s = report.summary;
  const blocks: Block[] = [
    context(
      `*SQL review:* ${s.error} error(s) · ${s.warning} warning(s) · ${s.info} info · ${s.suppressed} suppressed`,
    ),
  ];
  if (all.length === 0)
    blocks.push(...sectionsFromLines([':white_check_mark: No findings in the pending SQL.']));
  else blocks.push(...sectionsFromLines(all.slice(0, maxFindings).map(findingLine)));
  if (all.length > maxFindings) blocks.push(context(restLine(all.slice(maxFindings))));
  const suppressed = report.results.flatMap((r) => r.suppressed);
  if (suppressed.length > 0) {
    const list = suppressed
      .slice(0, 5)
      .map((f) => `\`${f.ruleId}\` in \`${esc(f.migration)}\` (${esc(f.reason || 'no reason')})`);
    const more = suppressed.length > 5 ? ` and ${suppressed.length - 5} more` : '';
    blocks.push(context(truncate(`Suppressed by drawbridge-ignore: ${list.join('; ')}${more}`, 2000)));
  }
  blocks.push(...sectionsFromLines(impactLines(report)));
  return blocks;
}

/** A standalone message with the review (header, findings, impact), within Slack's limits. */
export function renderReviewFindings(report: ReviewReport, title = 'SQL review'): SlackMessage {
  const s = report.summary;
  const text = `${title}: ${s.error} error(s), ${s.warning} warning(s), ${s.info} info`;
  return finishMessage(text, [header(title), ...reviewFindingsBlocks(report)]);
}
