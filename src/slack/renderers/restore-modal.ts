/** The modal that stands between a click on "Restore backup" and pg_restore: type `RESTORE <env>`. */
import type { types } from '@slack/bolt';
import type { RunRecord } from '../../store/run-types.js';
import { RESTORE_VIEW, restorePhrase } from './action-ids.js';
import { esc } from './blocks.js';

export function restoreModal(run: RunRecord): types.ModalView {
  const backup = run.backup as { fileName?: string; sha256?: string; host?: string } | null;
  const phrase = restorePhrase(run.environment);
  return {
    type: 'modal',
    callback_id: RESTORE_VIEW.callbackId,
    private_metadata: run.id,
    title: { type: 'plain_text', text: 'Restore backup' },
    submit: { type: 'plain_text', text: 'Restore' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `This replaces the *${esc(run.environment)}* database with the backup of run ${run.id}${backup?.fileName ? ` (\`${esc(backup.fileName)}\`, sha256 ${backup.sha256?.slice(0, 12) ?? '?'}…, on ${esc(backup.host ?? 'the host')})` : ''}: \`pg_restore --clean --if-exists --single-transaction\`. Anything written since the backup is lost.`,
        },
      },
      {
        type: 'input',
        block_id: RESTORE_VIEW.blockId,
        label: { type: 'plain_text', text: `Type ${phrase} to confirm` },
        element: {
          type: 'plain_text_input',
          action_id: RESTORE_VIEW.actionId,
          placeholder: { type: 'plain_text', text: phrase },
        },
      },
    ],
  };
}
