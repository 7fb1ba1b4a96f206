/**
 * `drawbridge restore --env <name> (--run <id> | --backup <file> | --latest) --confirm "RESTORE <name>"`:
 * the Restore backup way back from a terminal. The same typed phrase as the Slack modal; a wrong or
 * missing one is refused and the refusal shows the phrase to type. `--backup` takes a file listed by
 * `drawbridge backups` (its name or path), nothing else. The restore itself is core's
 * (RunService.restore): sha256 checked, one transaction, the database compared with the snapshot
 * taken before the dump, later runs marked reverted, audited as `cli:<OS user>`.
 */
import { refusal, type Refusal } from '../../base/errors.js';
import { restorePhrase, type BackupList, type BackupListing, type Restored } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { option, requireEnv, UsageError } from '../context.js';
import { refused, type CliOutcome } from '../output.js';

/** Which backup was asked for. */
type Selector = { run: string } | { file: string } | { latest: true };

function selectorOf(ctx: CliContext): Selector {
  const run = option(ctx, 'run');
  const file = option(ctx, 'backup');
  const latest = ctx.values.latest === true;
  if ((run ? 1 : 0) + (file ? 1 : 0) + (latest ? 1 : 0) !== 1)
    throw new UsageError('restore takes exactly one of --run <id>, --backup <file> or --latest');
  return run ? { run } : file ? { file } : { latest: true };
}

/** The listed backup the selector names, or why none. Pure. */
export function pickBackup(list: BackupList, sel: Selector): BackupListing | Refusal {
  const env = list.environment;
  const listHint = `drawbridge backups --env ${env} lists them.`;
  if ('latest' in sel) {
    const found = list.backups.find((b) => b.restore);
    return (
      found ??
      refusal('NO_BACKUP', `${env} has no backup that can be restored now (of its recent runs).`, listHint)
    );
  }
  if ('run' in sel) {
    const found = list.backups.find((b) => b.runId === sel.run);
    return found ?? refusal('NO_BACKUP', `Run ${sel.run} has no backup among those of ${env}.`, listHint);
  }
  const found = list.backups.find((b) => b.fileName === sel.file || b.path === sel.file);
  return (
    found ??
    refusal(
      'BACKUP_NOT_LISTED',
      `${sel.file} is not a backup Drawbridge recorded for ${env}: only a listed backup can be restored (its sha256 and snapshot are known).`,
      listHint,
    )
  );
}

/** What the restore replaces, as the Slack modal says it. */
function consequence(b: BackupListing, environment: string): string {
  return (
    `This replaces the ${environment} database with ${b.fileName} (run ${b.runId}, sha256 ${b.sha256.slice(0, 12)}…, on ${b.host}): ` +
    'pg_restore --clean --if-exists in one transaction. Anything written since the backup is lost.' +
    (b.undoes.length ? ` It also undoes ${b.undoes.join(', ')}, which are marked reverted.` : '')
  );
}

function describeRestored(r: Restored, b: BackupListing): string {
  const c = r.comparison;
  return [
    `Restored ${b.path} into ${r.run.environment} in ${(r.durationMs / 1000).toFixed(1)} s; run ${r.run.id} is now ${r.run.state.replace('_', ' ')}.`,
    c
      ? c.identical
        ? 'Schema and the row count of every table match the snapshot taken before the backup.'
        : `Differences from the snapshot: ${c.schemaChanges.removed.length} schema line(s) missing, ${c.schemaChanges.added.length} extra; ${c.rowCountChanges
            .slice(0, 10)
            .map((x) => `${x.table}: ${x.before ?? 'missing'} → ${x.after ?? 'missing'}`)
            .join(', ')}`
      : 'No snapshot was recorded to compare with.',
    ...(r.reverted.length ? [`Marked reverted: ${r.reverted.map((x) => x.id).join(', ')}.`] : []),
    'Slack is not told from the CLI; the audit log records the restore.',
  ].join('\n');
}

export async function restoreCommand(ctx: CliContext): Promise<CliOutcome> {
  const environment = requireEnv(ctx);
  const selector = selectorOf(ctx);
  const { runs } = await ctx.services();
  const list = await runs.backups(environment);
  if (list.kind === 'refusal') return refused(list);
  const backup = pickBackup(list, selector);
  if ('kind' in backup) return refused(backup);
  const phrase = restorePhrase(environment);
  const typed = option(ctx, 'confirm');
  if (typed?.trim() !== phrase) {
    return refused(
      refusal(
        'CONFIRMATION_MISMATCH',
        `${typed === undefined ? 'A restore needs a typed confirmation.' : `"${typed}" is not the confirmation.`} ${consequence(backup, environment)}`,
        `To confirm, type exactly: --confirm "${phrase}"`,
      ),
    );
  }
  const restored = await runs.restore(backup.runId, ctx.actor);
  if (restored.kind === 'refusal') return refused(restored, 1);
  return {
    exitCode: 0,
    text: describeRestored(restored, backup),
    json: { ...restored, run: { ...restored.run, backup: undefined }, backup },
  };
}
