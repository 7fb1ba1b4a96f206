/**
 * `/migrate plan <env>` (read-only) and the answers to a deploy that has nothing to do or is
 * blocked: the pending migrations with checksums, the review and impact, the backup estimate and the
 * preflight results. No buttons: a plan alone approves nothing.
 */
import type { PlanReport, PreflightCheck } from '../../core/index.js';
import { shortHash } from '../../core/index.js';
import { formatBytes } from '../../migrations/review/impact-estimate.js';
import {
  context,
  divider,
  esc,
  finishMessage,
  header,
  section,
  sectionsFromLines,
  type Block,
  type SlackMessage,
} from './blocks.js';
import { driftLines } from './drift-lines.js';
import { reviewFindingsBlocks } from './review-findings.js';

const CHECK_ICON: Record<PreflightCheck['status'], string> = {
  ok: ':white_check_mark:',
  warn: ':warning:',
  fail: ':x:',
};

/** Numbered migrations with short checksums (at most 25, then a count). */
export function migrationListLines(ms: readonly { name: string; checksum: string }[]): string[] {
  const lines = ms
    .slice(0, 25)
    .map((m, i) => `${i + 1}. \`${esc(m.name)}\` · sha256 \`${shortHash(m.checksum)}\``);
  if (ms.length > 25) lines.push(`_…and ${ms.length - 25} more_`);
  return lines;
}

/** Escapes a check's message but keeps its Slack date tokens (`<!date^…|…>`, e.g. the soak gate's). */
function escKeepingDates(text: string): string {
  return esc(text).replace(/&lt;(!date\^\d+\^[^|&<>]*\|[^&<>]*)&gt;/g, '<$1>');
}

/** The preflight results and the backup estimate, one line each. */
export function preflightLines(report: PlanReport): string[] {
  const size = report.databaseBytes ?? 0;
  return [
    `*Preflight* · backup estimate about ${formatBytes(size)} (the database size; the disk needs 2×)`,
    ...report.preflight.map(
      (c) =>
        `${CHECK_ICON[c.status]} *${c.id}*: ${escKeepingDates(c.message)}${c.hint ? ` _${esc(c.hint)}_` : ''}`,
    ),
  ];
}

function verdictLine(report: PlanReport): string {
  switch (report.verdict) {
    case 'nothing_pending':
      return `:white_check_mark: *Nothing to deploy:* ${esc(report.environment)} is up to date with the migrations folder.`;
    case 'blocked': {
      const b = report.status.blocking[0];
      const failed = report.preflight.filter((c) => c.status === 'fail').map((c) => `*${c.id}*`);
      if (!b && failed.length > 0) {
        return `:no_entry: *Blocked* by the ${failed.join(', ')} check(s): see *Preflight* below.`;
      }
      return `:no_entry: *Blocked:* ${esc(b ? `${b.code}: ${b.message}` : 'a preflight check failed')}${b?.hint ? `\n_${esc(b.hint)}_` : ''}\nUse \`/migrate history ${report.environment}\` to find the failed run and its ways back (Mark rolled back, Restore backup).`;
    }
    default:
      return `:clipboard: ${report.plan.migrations.length} migration(s) would be applied. Use \`/migrate deploy ${report.environment} <reason>\` to ask for approval.`;
  }
}

/** The whole plan as one message. */
export function renderPlanMessage(report: PlanReport, title = `Plan · ${report.environment}`): SlackMessage {
  const ms = report.plan.migrations;
  const lines = migrationListLines(ms);
  const blocks: Block[] = [
    header(title),
    section(verdictLine(report)),
    context(`Target ${esc(report.target)} · plan \`${shortHash(report.planHash)}\``),
  ];
  if (lines.length) blocks.push(...sectionsFromLines(['*Pending migrations*', ...lines]));
  if (report.review) blocks.push(divider(), ...reviewFindingsBlocks(report.review, 10));
  if (report.drift) blocks.push(divider(), ...sectionsFromLines(driftLines(report)));
  blocks.push(divider(), ...sectionsFromLines(preflightLines(report)));
  const text = `Plan for ${report.environment}: ${report.verdict === 'ready' ? `${ms.length} pending migration(s)` : report.verdict.replace('_', ' ')}`;
  return finishMessage(text, blocks);
}
