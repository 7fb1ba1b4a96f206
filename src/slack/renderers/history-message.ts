/** `/migrate history <env>`: the recent runs with requester, approvers, outcome, duration and backup. */
import type { RunView } from '../../core/index.js';
import { context, esc, finishMessage, header, sectionsFromLines, type SlackMessage } from './blocks.js';
import { watchLine } from './run-message.js';

function duration(v: RunView): string {
  const r = v.run;
  if (!r.startedAt) return 'not started';
  const end = r.finishedAt ?? r.updatedAt;
  const ms = Math.max(0, end - r.startedAt);
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

function line(v: RunView): string {
  const r = v.run;
  const at = new Date(r.createdAt).toISOString().replace('T', ' ').slice(0, 16);
  const approvers = v.approvals.approvedBy.length
    ? v.approvals.approvedBy.map((u) => `<@${u}>`).join(', ')
    : '—';
  const backup = (r.backup as { fileName?: string } | null)?.fileName;
  return [
    `*${r.id}* · ${at} UTC · *${r.state.replace('_', ' ')}*${r.reverted ? ` · *reverted* by the restore of run ${r.reverted.byRunId}` : ''} · ${r.plan.migrations.length} migration(s)`,
    `requested by <@${r.requestedBy}> · approved by ${approvers} · ${duration(v)}${backup ? ` · backup \`${esc(backup)}\`` : ''}`,
    r.outcome ? `_${esc(r.outcome)}_` : '',
    v.watch ? watchLine(v.watch, r.id) : '',
    v.undelivered
      ? `:warning: ${v.undelivered} message(s) about this run could not be delivered (Slack, status page or webhooks); see the log.`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
}

export function renderHistoryMessage(environment: string, views: readonly RunView[]): SlackMessage {
  if (views.length === 0) {
    return finishMessage(`No runs for ${environment} yet`, [
      header(`History · ${environment}`),
      context('No runs yet.'),
    ]);
  }
  return finishMessage(`${views.length} recent run(s) of ${environment}`, [
    header(`History · ${environment}`),
    ...sectionsFromLines(views.map(line)),
    context(
      'Newest first. `/migrate cancel <run>` stops a run before it applies; `/migrate rollback <run>` shows the ways back.',
    ),
  ]);
}
