/**
 * The modal between a click on "Revert with down.sql" and the down files: type `REVERT <env>`. It
 * names the migrations in the order their down.sql runs and every table, column, index and type they
 * drop, with the rows those hold now.
 */
import type { types } from '@slack/bolt';
import type { RevertPreview } from '../../core/index.js';
import { REVERT_VIEW, revertPhrase } from './action-ids.js';
import { esc } from './blocks.js';

function dropLine(d: RevertPreview['drops'][number]): string {
  const rows =
    d.rows === null
      ? d.kind === 'table' || d.kind === 'column'
        ? ' (rows not counted)'
        : ''
      : d.kind === 'table'
        ? ` — ${d.rows} row${d.rows === 1 ? '' : 's'} deleted`
        : ` — ${d.rows} non-null value${d.rows === 1 ? '' : 's'} deleted`;
  return `• DROP ${d.kind.toUpperCase()} \`${esc(d.label)}\`${rows} _(${esc(d.migration)})_`;
}

export function revertModal(p: RevertPreview): types.ModalView {
  const phrase = revertPhrase(p.run.environment);
  const drops = p.drops.length
    ? p.drops.map(dropLine).join('\n')
    : '_No DROP of a table, column, index or type._';
  const problems = p.problems.length ? `\n:warning: ${p.problems.map(esc).join('\n:warning: ')}` : '';
  return {
    type: 'modal',
    callback_id: REVERT_VIEW.callbackId,
    private_metadata: p.run.id,
    title: { type: 'plain_text', text: 'Revert with down.sql' },
    submit: { type: 'plain_text', text: 'Revert' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `This runs on *${esc(p.run.environment)}* the down.sql of ${p.migrations.map((m) => `\`${esc(m)}\``).join(', then ')}, and marks each migration rolled back (as \`prisma migrate resolve --rolled-back\`), so the next deploy applies it again.`,
        },
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `*What it drops:*\n${drops}${problems}`.slice(0, 3000) },
      },
      {
        type: 'input',
        block_id: REVERT_VIEW.blockId,
        label: { type: 'plain_text', text: `Type ${phrase} to confirm` },
        element: {
          type: 'plain_text_input',
          action_id: REVERT_VIEW.actionId,
          placeholder: { type: 'plain_text', text: phrase },
        },
      },
    ],
  };
}
