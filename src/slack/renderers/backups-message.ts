/**
 * `/migrate backups <env>`: one section per backup, newest first — file, size, sha256 prefix, age,
 * where the copies are, what a restore would undo — with a Restore button where Restore is offered.
 * The button is the run message's own (`run_restore`, value = run id): same checks, same modal.
 */
import type { BackupList, BackupListing } from '../../core/index.js';
import { ACTIONS } from './action-ids.js';
import { context, esc, finishMessage, header, type Block, type SlackMessage } from './blocks.js';

/** "512 B", "1.5 MB" */
export function formatSize(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} B` : `${n.toFixed(1)} ${units[i]}`;
}

/** "45 s", "12 min", "5 h", "3 d" */
export function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 86_400 * 2) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} d`;
}

function copies(b: BackupListing, copyBack: boolean): string {
  const local =
    b.local === 'present'
      ? `on ${esc(b.host)}: \`${esc(b.path)}\``
      : b.local === 'missing'
        ? `*gone* from ${esc(b.host)} (\`${esc(b.path)}\`)`
        : `on ${esc(b.host)}: \`${esc(b.path)}\` (not checked)`;
  if (!b.offHost) return `${local} · no off-host copy`;
  if (!b.offHost.ok) return `${local} · copy-off *failed* (\`${esc(b.offHost.command)}\`)`;
  const back =
    b.local === 'missing' ? (copyBack ? ', fetched back on restore' : ', no copyBack configured') : '';
  return `${local} · off-host: \`${esc(b.offHost.command)}\`${back}`;
}

function backupBlock(b: BackupListing, copyBack: boolean): Block {
  const lines = [
    `*${esc(b.fileName)}* · run ${b.runId} (${b.runState.replace('_', ' ')})`,
    `${formatSize(b.sizeBytes)} · sha256 \`${b.sha256.slice(0, 12)}\` · ${formatAge(b.ageMs)} old`,
    copies(b, copyBack),
    ...(b.undoes.length ? [`:warning: Restoring it also undoes ${b.undoes.map(esc).join(', ')}`] : []),
  ];
  const block: Block = { type: 'section', text: { type: 'mrkdwn', text: lines.join('\n') } };
  if (!b.restore) return block;
  return {
    ...block,
    accessory: {
      type: 'button',
      text: { type: 'plain_text', text: 'Restore', emoji: true },
      action_id: ACTIONS.restore,
      value: b.runId,
      style: 'danger',
    },
  };
}

export function renderBackupsMessage(list: BackupList): SlackMessage {
  const env = list.environment;
  if (list.backups.length === 0) {
    return finishMessage(`No backups of ${env} yet`, [
      header(`Backups · ${env}`),
      context('No run of this environment has made a backup yet.'),
    ]);
  }
  return finishMessage(`${list.backups.length} backup(s) of ${env}`, [
    header(`Backups · ${env}`),
    ...list.backups.map((b) => backupBlock(b, list.copyBack)),
    context(
      'Newest first. Restore asks you to type a confirmation that names every later run it undoes; those runs are then marked reverted.',
    ),
  ]);
}
