/**
 * `drawbridge backups --env <name> [--json]`: the environment's backups, newest first, as
 * `/migrate backups` lists them: size, sha256, age, the file on its host and the off-host copy.
 */
import { formatBytes } from '../../migrations/review/impact-estimate.js';
import type { BackupListing } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { requireEnv } from '../context.js';
import { formatAge, refused, type CliOutcome } from '../output.js';

const ON_HOST = { present: 'on', missing: 'MISSING from', unknown: 'not checked on' } as const;

function describe(b: BackupListing): string {
  return [
    `${b.fileName}  (run ${b.runId}, ${b.runState.replace('_', ' ')})`,
    `  ${formatBytes(b.sizeBytes)} · sha256 ${b.sha256} · ${formatAge(b.ageMs)} old`,
    `  file: ${b.path} ${ON_HOST[b.local]} ${b.host}`,
    `  off-host copy: ${b.offHost ? `${b.offHost.ok ? 'made' : 'FAILED'} with ${b.offHost.command}` : 'none configured'}`,
    b.restore
      ? `  restore: drawbridge restore --env <env> --backup ${b.fileName} --confirm "RESTORE <env>"${b.undoes.length ? ` (also undoes ${b.undoes.join(', ')})` : ''}`
      : '  restore: not offered for this run now',
  ].join('\n');
}

export async function backupsCommand(ctx: CliContext): Promise<CliOutcome> {
  const environment = requireEnv(ctx);
  const list = await (await ctx.services()).runs.backups(environment);
  if (list.kind === 'refusal') return refused(list);
  const text = list.backups.length
    ? `${list.backups.length} backup(s) of ${environment}, newest first:\n${list.backups
        .map(describe)
        .join('\n')
        .replace(/<env>/g, environment)}`
    : `No backups of ${environment} recorded yet (a deploy through Slack makes one before it applies).`;
  return { exitCode: 0, text, json: list };
}
