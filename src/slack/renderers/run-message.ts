/**
 * The one live message of a run: what it will do (plan, review, preflight), who approved, each step
 * with its state and timing, the progress line, and the buttons that make sense now. Pure data →
 * Block Kit; re-rendered and sent with chat.update whenever the run changes.
 */
import { formatSpan } from '../../core/index.js';
import { WAYS_BACK_STATES } from '../../core/index.js';
import { STEP_TITLES, type PipelineStep, type RunView } from '../../core/index.js';
import { describeApprovers } from '../../core/index.js';
import { shortHash } from '../../core/index.js';
import type { RunState, StepState } from '../../store/run-types.js';
import { ACTIONS } from './action-ids.js';
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
import { migrationListLines, preflightLines } from './plan-message.js';
import { reviewFindingsBlocks } from './review-findings.js';
import { driftLines } from './drift-lines.js';
import { rehearsalLines, rehearsalMeasured } from './rehearsal-lines.js';

const STATE_ICON: Record<RunState, string> = {
  planned: ':memo:',
  awaiting_approval: ':raised_hand:',
  approved: ':white_check_mark:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  monitoring: ':eyes:',
  done: ':white_check_mark:',
  rejected: ':no_entry:',
  expired: ':hourglass:',
  cancelled: ':stop_sign:',
  failed: ':x:',
  interrupted: ':warning:',
  rolled_back: ':leftwards_arrow_with_hook:',
  restored: ':rewind:',
};

const STEP_ICON: Record<StepState, string> = {
  running: ':arrows_counterclockwise:',
  succeeded: ':white_check_mark:',
  refused: ':no_entry_sign:',
  failed: ':x:',
  skipped: ':white_circle:',
  not_run: ':heavy_minus_sign:',
};

function when(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function stateLine(v: RunView): string {
  const r = v.run;
  const label = r.state.replace('_', ' ');
  const outcome = r.outcome ? ` — ${esc(r.outcome)}` : '';
  return `${STATE_ICON[r.state]} *${label}*${outcome}${r.reverted ? `\n${revertedLine(r.reverted)}` : ''}`;
}

/** A run whose changes a restore of an older backup undid keeps its state; this says what followed. */
export function revertedLine(m: NonNullable<RunView['run']['reverted']>): string {
  return `:rewind: *reverted* — <@${m.actor}> restored the backup of run ${m.byRunId} (${when(m.at)}), taken before this run`;
}

function approvalLine(v: RunView): string {
  const a = v.approvals;
  const who = a.approvedBy.length ? a.approvedBy.map((u) => `<@${u}>`).join(', ') : 'nobody yet';
  const rejected = a.rejectedBy.length
    ? ` · rejected by ${a.rejectedBy.map((u) => `<@${u}>`).join(', ')}`
    : '';
  const self = a.allowSelfApproval ? '' : ', not the requester';
  const expiry = a.expiresAt && v.run.state === 'awaiting_approval' ? ` · expires ${when(a.expiresAt)}` : '';
  return `*Approvals* ${a.approvedBy.length}/${a.required}: ${who}${rejected} · approvers: ${mentionApprovers(a.approvers)}${self}${expiry}`;
}

/** Approvers as Slack mentions (users `<@U…>`, groups `<!subteam^S…>`). */
export function mentionApprovers(approvers: readonly string[]): string {
  if (approvers.length === 0) return esc(describeApprovers(approvers));
  return approvers.map((a) => (a.startsWith('S') ? `<!subteam^${a}>` : `<@${a}>`)).join(', ');
}

function migrationLines(v: RunView): string[] {
  const ms = v.run.plan.migrations;
  const lines = migrationListLines(ms);
  return [
    `*Plan* \`${shortHash(v.run.planHash)}\` · ${ms.length} migration(s) to ${esc(v.run.plan.target.identity)}`,
    ...lines,
  ];
}

function stepLine(v: RunView, name: string): string {
  const s = v.steps.find((x) => x.name === name);
  const title = STEP_TITLES[name as PipelineStep] ?? name;
  if (!s) return `:white_small_square: ${title}`;
  const took = s.startedAt && s.finishedAt ? ` (${seconds(s.finishedAt - s.startedAt)})` : '';
  const summary = (s.detail as { summary?: string } | null)?.summary;
  const text = s.error ?? summary ?? (s.state === 'not_run' ? 'not run' : '');
  const progress = s.state === 'running' && v.progress ? ` — _${esc(v.progress)}_` : '';
  return `${STEP_ICON[s.state]} *${title}*${took}${text ? `: ${esc(text)}` : ''}${progress}`;
}

function button(
  text: string,
  actionId: string,
  runId: string,
  style?: 'primary' | 'danger',
  confirm?: Record<string, unknown>,
): Record<string, unknown> {
  return {
    type: 'button',
    text: { type: 'plain_text', text, emoji: true },
    action_id: actionId,
    value: runId,
    ...(style ? { style } : {}),
    ...(confirm ? { confirm } : {}),
  };
}

function confirmDialog(title: string, text: string, confirm: string): Record<string, unknown> {
  return {
    title: { type: 'plain_text', text: title },
    text: { type: 'mrkdwn', text },
    confirm: { type: 'plain_text', text: confirm },
    deny: { type: 'plain_text', text: 'Back' },
  };
}

function actionBlock(v: RunView): Block | undefined {
  const a = v.actions;
  const id = v.run.id;
  const els: Record<string, unknown>[] = [];
  if (a.vote)
    els.push(
      button('Approve', ACTIONS.approve, id, 'primary'),
      button('Reject', ACTIONS.reject, id, 'danger'),
    );
  if (a.cancel) {
    const running = v.run.state === 'running';
    els.push(
      button(
        running ? 'Cancel run' : 'Cancel',
        ACTIONS.cancel,
        id,
        undefined,
        running
          ? confirmDialog(
              'Cancel the run?',
              'A statement that is running is cancelled (pg_cancel_backend) and its transaction rolled back.',
              'Cancel run',
            )
          : undefined,
      ),
    );
  }
  if (a.cancelRehearsal) els.push(button('Cancel rehearsal', ACTIONS.cancelRehearsal, id));
  if (a.markRolledBack) {
    els.push(
      button(
        'Mark rolled back',
        ACTIONS.markRolledBack,
        id,
        undefined,
        confirmDialog(
          'Mark rolled back?',
          `Records ${a.failedMigration ? `\`${esc(a.failedMigration)}\`` : 'the failed migration'} as rolled back (prisma migrate resolve --rolled-back). ${a.evidence ? 'The evidence says it left no changes behind (see the message).' : 'Only do this if it left no changes behind: a transactional migration that failed did not.'}`,
          'Mark rolled back',
        ),
      ),
    );
  }
  if (a.maintenanceOff)
    els.push(
      button(
        'Turn maintenance off',
        ACTIONS.maintenanceOff,
        id,
        undefined,
        confirmDialog(
          'Turn maintenance mode off?',
          "Runs the environment's maintenance.off command. Do this once the database is sound.",
          'Turn it off',
        ),
      ),
    );
  if (a.restore) els.push(button('Restore backup', ACTIONS.restore, id, 'danger'));
  if (a.revertDown) els.push(button('Revert with down.sql', ACTIONS.revertDown, id, 'danger'));
  if (a.stopWatching)
    els.push(
      button(
        'Stop watching',
        ACTIONS.stopWatching,
        id,
        undefined,
        confirmDialog(
          'Stop watching?',
          'Ends the post-deploy watch now: its summary is posted and the run is done.',
          'Stop watching',
        ),
      ),
    );
  // Named where Restore is offered; the confirmation modal names them again.
  if (a.retry) els.push(button('Retry', ACTIONS.retry, id));
  return els.length ? { type: 'actions', block_id: `run:${id}`, elements: els } : undefined;
}

/** The maintenance window the run waits for, and the overrun flag. */
function windowBlocks(v: RunView): Block[] {
  const w = v.window;
  if (!w) return [];
  const waiting = v.run.state === 'approved' || v.run.state === 'awaiting_approval';
  const line = `:calendar: ${waiting ? 'Starts by itself in' : 'Maintenance window'} *${esc(w.title)}* ${formatSpan(w.startsAt, w.endsAt)} (window ${w.id}${w.state === 'cancelled' ? ', cancelled' : ''})${waiting ? ', if the plan and the approvals still hold and the preflight passes then' : ''}.`;
  return [section(w.overrun ? `${line}\n:warning: *${esc(w.overrun)}*` : line)];
}

/** The post-deploy watch in one line (run message and history). */
export function watchLine(w: NonNullable<RunView['watch']>, runId: string): string {
  const counts = `${w.samples} sample(s), ${w.gaps} gap(s), ${w.alerts} alert(s)`;
  return w.state === 'watching'
    ? `:eyes: Watching until ${when(w.endsAt)} · ${counts} · \`/migrate watch ${runId}\` for the state so far`
    : `:bar_chart: Watched ${when(w.startedAt)} – ${when(w.endedAt ?? w.endsAt)} (${esc(w.endReason ?? 'ended')}) · ${counts}`;
}

/** The live message of a run. */
export function renderRunMessage(v: RunView): SlackMessage {
  const r = v.run;
  const blocks: Block[] = [
    header(`Deploy to ${r.environment} · run ${r.id}`),
    section(stateLine(v)),
    context(
      `Requested by <@${r.requestedBy}> · ${when(r.createdAt)}${r.reason ? ` · reason: ${esc(r.reason)}` : ''}`,
    ),
    ...sectionsFromLines(migrationLines(v)),
    section(approvalLine(v)),
    ...windowBlocks(v),
  ];
  const showPlanDetails =
    ['planned', 'awaiting_approval', 'approved', 'rejected', 'expired'].includes(r.state) ||
    (r.state === 'cancelled' && v.steps.length === 0);
  if (showPlanDetails && v.report) {
    const review = v.report.review;
    // The rehearsal's measured times replace the impact estimate's guesses.
    const measured = review && rehearsalMeasured(v.rehearsal);
    if (review)
      blocks.push(
        divider(),
        ...reviewFindingsBlocks(
          measured
            ? { ...review, impact: { available: false, reason: 'measured by the rehearsal (below)' } }
            : review,
          8,
        ),
      );
    if (v.rehearsal) blocks.push(divider(), ...sectionsFromLines(rehearsalLines(r.environment, v.rehearsal)));
    if (v.report.drift) blocks.push(divider(), ...sectionsFromLines(driftLines(v.report)));
    blocks.push(divider(), ...sectionsFromLines(preflightLines(v.report)));
  }
  if (v.steps.length > 0) {
    const names = [...new Set([...v.steps.map((s) => s.name)])];
    blocks.push(divider(), ...sectionsFromLines(names.map((n) => stepLine(v, n))));
  }
  const backup = r.backup as { fileName?: string; sha256?: string } | null;
  if (backup?.fileName)
    blocks.push(
      context(
        `Backup: \`${esc(backup.fileName)}\`${backup.sha256 ? ` · sha256 ${backup.sha256.slice(0, 12)}…` : ''} · restore command in the thread`,
      ),
    );
  if (v.actions.evidence && WAYS_BACK_STATES.includes(r.state))
    blocks.push(
      section(
        `*What ${esc(v.actions.failedMigration ?? 'the migration')} left behind:* ${esc(v.actions.evidence)}`,
      ),
    );
  if (v.actions.restore && v.actions.restoreUndoes?.length)
    blocks.push(
      context(
        `:warning: Restore backup also undoes the later ${esc(v.actions.restoreUndoes.join(', '))}; they would be marked reverted.`,
      ),
    );
  if (v.watch) blocks.push(context(watchLine(v.watch, r.id)));
  const actions = actionBlock(v);
  if (actions) blocks.push(actions);
  const text = `Deploy to ${r.environment} (run ${r.id}): ${r.state.replace('_', ' ')}${r.reverted ? ' (reverted)' : ''}${r.outcome ? ` — ${r.outcome}` : ''}`;
  return finishMessage(text, blocks);
}
