/**
 * The preflight checks, one function each, each answering ok / warn / fail with a sentence a person
 * can act on: the server and its version, pg_dump new enough, disk room for the backup, no failed
 * migration blocking, no long transaction on the tables the plan touches, the environment locks.
 */
import { describeError } from '../../base/errors.js';
import type { EnvironmentConfig } from '../../config/file-schema.js';
import type { ReviewReport } from '../../migrations/review/types.js';
import { formatBytes } from '../../migrations/review/impact-estimate.js';
import type { StatusReport } from '../../migrations/status.js';
import { RunStore } from '../../store/run-store.js';
import type { Executor } from '../../exec/executor.js';
import { choosePgClient, freeDiskBytes } from '../backup/index.js';
import type { CoreDeps } from '../deps.js';
import type { ResolvedEnvironment } from '../environment-target.js';
import { LONG_TRANSACTION_SECONDS, type DatabaseFacts } from './database-facts.js';
import { join } from 'node:path';
import type { PreflightCheck } from './types.js';

/** The backup directory of an environment: configured, or `<data dir>/backups`. */
export function backupDirOf(deps: Pick<CoreDeps, 'config'>, env: Readonly<EnvironmentConfig>): string {
  return env.backup.dir ?? join(deps.config.dataDir, 'backups');
}

/** Tables (`schema.table`) the pending migrations touch and that exist now, from the impact estimate. */
export function affectedTables(review: ReviewReport | undefined): string[] {
  if (!review || !review.impact.available) return [];
  const names = review.impact.migrations.flatMap((m) => m.tables.filter((t) => t.exists).map((t) => t.table));
  return [...new Set(names)];
}

/** Database, pg_dump and disk: the checks that need the executor's host (the target's). */
export async function groundChecks(
  deps: CoreDeps,
  target: ResolvedEnvironment,
  facts: DatabaseFacts,
): Promise<PreflightCheck[]> {
  const { executor, config: env } = target;
  const out: PreflightCheck[] = [
    {
      id: 'database',
      status: 'ok',
      message: `Reachable; PostgreSQL ${facts.serverVersion}, ${formatBytes(facts.databaseBytes)}.`,
    },
  ];
  out.push(await pgDumpCheck(deps, executor, facts.serverVersionNum));
  const dir = backupDirOf(deps, env);
  try {
    const free = await freeDiskBytes(executor, dir);
    const needed = facts.databaseBytes * 2;
    out.push(
      free >= needed
        ? {
            id: 'disk',
            status: 'ok',
            message: `${formatBytes(free)} free in ${dir}; the backup needs up to ${formatBytes(needed)} (2× the database).`,
          }
        : {
            id: 'disk',
            status: 'fail',
            message: `Only ${formatBytes(free)} free in ${dir}; 2× the database is ${formatBytes(needed)}.`,
            hint: 'Free space on that disk or point backup.dir at a bigger one.',
          },
    );
  } catch (err) {
    out.push({
      id: 'disk',
      status: 'fail',
      message: `Cannot measure free disk in ${dir}: ${describeError(err)}`,
    });
  }
  return out;
}

/**
 * The newest installed pg_dump that can dump the server (DRAWBRIDGE_PG_BINDIR, the per-major
 * directories, PATH), named in the message and carried on the check for the backup and restore.
 */
async function pgDumpCheck(
  deps: CoreDeps,
  executor: Executor,
  serverVersionNum: number,
): Promise<PreflightCheck> {
  try {
    const choice = await choosePgClient(executor, serverVersionNum, {
      binDirs: deps.config.env.DRAWBRIDGE_PG_BINDIR,
    });
    return choice.kind === 'chosen'
      ? {
          id: 'pg_dump',
          status: 'ok',
          message: `${choice.message} (on ${executor.description}).`,
          client: choice.client,
        }
      : {
          id: 'pg_dump',
          status: 'fail',
          message: `${choice.message} (on ${executor.description}).`,
          hint: choice.hint,
        };
  } catch (err) {
    return { id: 'pg_dump', status: 'fail', message: describeError(err) };
  }
}

/** No failed migration (or other ledger problem) stops `migrate deploy`. */
export function ledgerCheck(status: StatusReport): PreflightCheck {
  const first = status.blocking[0];
  if (!first) {
    const warn = status.warnings.filter((w) => w.code !== 'lock_held');
    return warn.length > 0
      ? { id: 'ledger', status: 'warn', message: warn.map((w) => w.message).join(' ') }
      : { id: 'ledger', status: 'ok', message: 'No failed or edited migration blocks the deploy.' };
  }
  return { id: 'ledger', status: 'fail', message: `${first.code}: ${first.message}`, hint: first.hint };
}

/** No transaction older than a few seconds holds a lock on a table the plan touches. */
export function transactionsCheck(facts: DatabaseFacts, review: ReviewReport | undefined): PreflightCheck {
  const tables = affectedTables(review);
  if (tables.length === 0) {
    return { id: 'transactions', status: 'ok', message: 'The plan touches no existing table.' };
  }
  if (facts.openTransactions.length === 0) {
    return {
      id: 'transactions',
      status: 'ok',
      message: `No transaction older than ${LONG_TRANSACTION_SECONDS} s holds a lock on ${tables.join(', ')}.`,
    };
  }
  const lines = facts.openTransactions
    .slice(0, 5)
    .map((t) => `pid ${t.pid} (${t.state}, open ${t.ageSeconds} s, ${t.mode} on ${t.table}): ${t.query}`);
  return {
    id: 'transactions',
    status: 'fail',
    message: `Open transactions hold locks on the tables this plan changes: ${lines.join('; ')}`,
    hint: 'Let them finish, or end them (pg_terminate_backend) if they are stuck, then try again.',
  };
}

/** The environment is free: no other run holds its lock, and nobody holds Prisma's advisory lock. */
export function lockCheck(
  deps: CoreDeps,
  environment: string,
  status: StatusReport,
  ownRunId?: string,
): PreflightCheck {
  const lock = new RunStore(deps.store, deps.clock).getEnvironmentLock(environment);
  if (lock && lock.runId !== ownRunId) {
    return {
      id: 'lock',
      status: 'fail',
      message: `Run ${lock.runId} is working on ${environment} right now.`,
      hint: 'Wait for it to finish; /migrate history shows it.',
    };
  }
  if (status.lockHolder) {
    const h = status.lockHolder;
    return {
      id: 'lock',
      status: 'warn',
      message: `Session pid ${h.pid} (${h.applicationName || 'unknown application'}, ${h.state}) holds the migration advisory lock.`,
      hint: 'Another migrate deploy may be running; the apply step waits for it, then fails if it does not end.',
    };
  }
  return {
    id: 'lock',
    status: 'ok',
    message: `${environment} is free: no other run and no migration lock holder.`,
  };
}

/** Unsuppressed review errors do not stop a run by themselves, but approvers must see them. */
export function reviewCheck(review: ReviewReport): PreflightCheck {
  const { error, warning } = review.summary;
  if (error > 0) {
    return {
      id: 'review',
      status: 'warn',
      message: `The SQL review found ${error} error(s) and ${warning} warning(s); read them before approving.`,
    };
  }
  return { id: 'review', status: 'ok', message: `The SQL review found no errors (${warning} warning(s)).` };
}
