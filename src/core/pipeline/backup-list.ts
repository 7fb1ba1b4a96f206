/**
 * `/migrate backups <env>`: the backups the environment's runs made, newest first, with where each
 * copy is (the file on the backup host, checked now; the off-host copy the copy-off made), what
 * restoring it would undo, and whether Restore is offered (the same decision as on a run message).
 */
import type { Refusal } from '../../base/errors.js';
import type { RunStore } from '../../store/run-store.js';
import type { RunState } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import { resolveTarget } from '../environment-target.js';
import { offered } from '../runs/authorize.js';
import { describeUndone, runsUndoneBy } from './later-runs.js';
import { runFacts, storedBackupOf } from './run-view.js';

/** One backup as listed. */
export interface BackupListing {
  readonly runId: string;
  readonly runState: RunState;
  readonly fileName: string;
  readonly path: string;
  /** The host that keeps the file ("local", "ssh deploy@bastion:22"). */
  readonly host: string;
  readonly sizeBytes: number;
  readonly sha256: string;
  /** How old the backup is now, in ms. */
  readonly ageMs: number;
  /** Whether the file is on its host now (checked with `test -f`). */
  readonly local: 'present' | 'missing' | 'unknown';
  /** The off-host copy: the copy-off command as run (redacted), and whether it succeeded. */
  readonly offHost?: { readonly command: string; readonly ok: boolean };
  /** Restore is offered now (the lifecycle, the backup, the facts; who may is asked on click). */
  readonly restore: boolean;
  /** Later runs a restore would undo, `run id (state)`. */
  readonly undoes: readonly string[];
}

/** The backups of an environment. */
export interface BackupList {
  readonly kind: 'backups';
  readonly environment: string;
  readonly backups: readonly BackupListing[];
  /** Whether a missing file can be fetched back (`backup.copyBack` is configured). */
  readonly copyBack: boolean;
}

/** Lists the backups recorded by the environment's most recent `limit` runs. */
export async function listBackups(
  deps: CoreDeps,
  runs: RunStore,
  environment: string,
  limit = 25,
): Promise<BackupList | Refusal> {
  const env = resolveTarget(deps, environment);
  if ('kind' in env) return env;
  const now = deps.clock.now();
  const backups: BackupListing[] = [];
  for (const run of runs.listRecentRuns(environment, limit)) {
    const b = storedBackupOf(run);
    if (!b) continue;
    const probe = await env.executor
      .run({ command: 'test', args: ['-f', b.path], timeoutMs: 10_000 })
      .then((r) => (r.exitCode === 0 ? 'present' : r.exitCode === 1 ? 'missing' : 'unknown'))
      .catch(() => 'unknown' as const);
    const taken = Date.parse(b.startedAt);
    backups.push({
      runId: run.id,
      runState: run.state,
      fileName: b.fileName,
      path: b.path,
      host: b.host,
      sizeBytes: b.sizeBytes,
      sha256: b.sha256,
      ageMs: Number.isFinite(taken) ? Math.max(0, now - taken) : Math.max(0, now - (run.startedAt ?? now)),
      local: probe,
      ...(b.copyOff ? { offHost: { command: b.copyOff.command.join(' '), ok: b.copyOff.ok } } : {}),
      // A file that is gone without a way to fetch it back is not offered (the restore would refuse).
      restore:
        offered('restore', runFacts(deps, runs, run)) &&
        (probe !== 'missing' || (b.copyOff?.ok === true && Boolean(env.config.backup.copyBack))),
      undoes: runsUndoneBy(runs, run).map((r) => describeUndone([r])),
    });
  }
  return { kind: 'backups', environment, backups, copyBack: Boolean(env.config.backup.copyBack) };
}
