/**
 * Text and JSON output of a review report for the CLI, and the exit decision.
 */
import { formatBytes, formatSeconds } from './impact-estimate.js';
import type { Finding, ReviewReport } from './types.js';

/** True when an unsuppressed error-severity finding exists: `drawbridge review` then exits non-zero. */
export function hasBlockingErrors(report: ReviewReport): boolean {
  return report.results.some((r) => r.findings.some((f) => f.severity === 'error'));
}

/** The report as stable, indented JSON (what `drawbridge review --json` prints). */
export function formatReviewJson(report: ReviewReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function findingLines(f: Finding, prefix = ''): string[] {
  return [
    `  ${prefix}${f.severity.toUpperCase()} ${f.ruleId} at ${f.migration}:${f.line}:${f.column}${f.table ? ` (${f.table})` : ''}`,
    `    ${f.message}`,
    `    help: ${f.help}`,
  ];
}

/** The report as plain text for a terminal: findings per migration, suppressions, impact, totals. */
export function formatReviewText(report: ReviewReport): string {
  const lines: string[] = [];
  for (const r of report.results) {
    const status = r.findings.length === 0 ? 'no findings' : `${r.findings.length} finding(s)`;
    lines.push(`${r.migration}: ${status}${r.parsed ? '' : ' (does not parse)'}`);
    for (const f of r.findings) lines.push(...findingLines(f));
    for (const s of r.suppressed)
      lines.push(...findingLines(s, 'suppressed '), `    reason: ${s.reason || '(none given)'}`);
  }
  lines.push('');
  if (report.impact.available) {
    lines.push('Impact estimate:');
    for (const m of report.impact.migrations) {
      lines.push(`  ${m.migration}: ${m.class} (about ${formatSeconds(m.estimatedSeconds)})`);
      for (const t of m.tables) {
        const size = t.exists
          ? `${formatBytes(t.totalBytes)}, ${t.rows === null ? 'rows unknown' : `~${Math.round(t.rows)} rows`}`
          : 'not in the database yet';
        lines.push(`    ${t.table}: ${size}`);
        for (const b of t.blockers)
          lines.push(
            `      blocked by pid ${b.pid} (${b.state}, ${formatSeconds(b.ageSeconds)}, ${b.mode}): ${b.query}`,
          );
      }
      for (const why of m.reasoning) lines.push(`    - ${why}`);
    }
  } else {
    lines.push(`Impact estimate: ${report.impact.reason}`);
  }
  const s = report.summary;
  lines.push('', `${s.error} error(s), ${s.warning} warning(s), ${s.info} info, ${s.suppressed} suppressed`);
  return `${lines.join('\n')}\n`;
}
