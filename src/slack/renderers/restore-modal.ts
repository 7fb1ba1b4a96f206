/**
 * The modal that stands between a click on "Restore backup" and pg_restore: type `RESTORE <env>`.
 * It names every later run of the environment the restore would undo (they are marked reverted).
 */
import type { types } from '@slack/bolt';
import { describeUndone } from '../../core/index.js';
import type { RunRecord } from '../../store/run-types.js';
import { RESTORE_VIEW, restorePhrase } from './action-ids.js';
import { esc } from './blocks.js';

/** `undone`: the later runs of the environment whose changes the restore takes away, oldest first. */
export function restoreModal(
  run: RunRecord,
  undone: readonly Pick<RunRecord, 'id' | 'state'>[] = [],
): types.ModalView {
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
      ...(undone.length
        ? [
            {
              type: 'section' as const,
              text: {
                type: 'mrkdwn' as const,
                text: `:warning: The backup was taken before ${undone.length === 1 ? 'a later run' : `${undone.length} later runs`}; restoring it also undoes ${esc(describeUndone(undone))}. ${undone.length === 1 ? 'It is' : 'They are'} marked reverted afterwards.`,
              },
            },
          ]
        : []),
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
