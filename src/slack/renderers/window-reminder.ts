/**
 * A maintenance window's reminder in the team channel (pure): when the window is, what the plan
 * checks found now, what changed since the previous reminder, the runs waiting for it and any
 * approval voided, and whether it arrives late.
 */
import type { WindowReminderData } from '../../core/index.js';
import { formatSpan, slackDate } from '../../core/index.js';
import { context, esc, finishMessage, section, type Block, type SlackMessage } from './blocks.js';

function heading(d: WindowReminderData): string {
  const span = formatSpan(d.startsAt, d.endsAt);
  const what = `*${esc(d.title)}* for *${d.environment}* ${span} (window ${d.windowId})`;
  if (d.kind === 'start') return `:construction: Maintenance window open now: ${what}.`;
  if (d.kind === 'end') return `:checkered_flag: Maintenance window ended: ${what}.`;
  const hours = Number(d.kind.slice('before:'.length));
  const inText = hours >= 1 ? `${hours} hour${hours === 1 ? '' : 's'}` : `${Math.round(hours * 60)} minutes`;
  return `:alarm_clock: Maintenance window in ${inText}: ${what}.`;
}

function runLine(r: WindowReminderData['runs'][number]): string {
  const base = `• run ${r.id} by <@${r.requestedBy}>: ${r.state.replace('_', ' ')}`;
  return r.approvalVoid
    ? `${base} — *the plan changed, so its approval is void*: ${esc(r.approvalVoid.join(' '))}`
    : base;
}

/** The reminder as a Slack message. */
export function renderWindowReminder(d: WindowReminderData): SlackMessage {
  const blocks: Block[] = [section(heading(d))];
  if (d.lateSince !== undefined)
    blocks.push(
      context(
        `:hourglass: Sent late: it was due ${slackDate(d.lateSince)}, while Drawbridge was not running.`,
      ),
    );
  if (d.freeze)
    blocks.push(
      section(
        `:snowflake: A freeze covers this window: ${esc(d.freeze.reason)} (until ${slackDate(d.freeze.to)}). Deploys will be refused.`,
      ),
    );
  if (d.check) {
    const lines = [`*Plan check now:* ${esc(d.check.summary)}.`];
    if (d.check.pending.length)
      lines.push(`Pending: ${d.check.pending.map((n) => `\`${esc(n)}\``).join(', ')}`);
    for (const f of d.check.failing) lines.push(`:x: ${esc(f)}`);
    blocks.push(section(lines.join('\n')));
  }
  if (d.checkError) blocks.push(section(`:warning: The plan could not be checked: ${esc(d.checkError)}`));
  if (d.changes.length)
    blocks.push(
      section(`*Changed since the last reminder:*\n${d.changes.map((c) => `• ${esc(c)}`).join('\n')}`),
    );
  else if (d.compared) blocks.push(context('Nothing changed since the last reminder.'));
  if (d.runs.length) blocks.push(section(`*Runs for this window:*\n${d.runs.map(runLine).join('\n')}`));
  else if (d.kind !== 'end')
    blocks.push(
      context(
        `No run is scheduled for it yet: \`/migrate deploy ${d.environment}\` offers this window when ${d.environment} requires one.`,
      ),
    );
  const voided = d.runs.some((r) => r.approvalVoid);
  const text = `${heading(d).replace(/[*:]/g, '')}${voided ? ' The plan changed: approval is void.' : ''}`;
  return finishMessage(text, blocks);
}
