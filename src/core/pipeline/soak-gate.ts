/**
 * The soak gate (`environments.<env>.gate: { afterEnv, soakHours }`): a deploy to a gated environment
 * waits until every planned migration, with the same checksum, finished on `afterEnv` at least
 * `soakHours` ago. `decideSoak` is the pure decision; `checkSoakGate` reads `afterEnv`'s own
 * `_prisma_migrations` (so a deploy made there with Prisma itself counts) and fails closed when it
 * cannot.
 */
import { slackDate } from '../windows/time-input.js';
import { describeError } from '../../base/errors.js';
import { closeSession, openSession, parseDatabaseUrl } from '../../migrations/connection.js';
import { readLedger } from '../../migrations/ledger.js';
import type { CoreDeps } from '../deps.js';
import { withEnvironmentTarget } from '../environment-target.js';
import { shortHash } from '../runs/plan.js';
import type { PlanMigration, PreflightCheck } from './types.js';

const HOUR_MS = 3_600_000;

/** A finished, not rolled back row of `afterEnv`'s ledger. `finishedAt` in ms since the epoch. */
export interface SoakRow {
  readonly name: string;
  readonly checksum: string;
  readonly finishedAt: number;
}

/** What the gate found for one planned migration. Times in ms since the epoch. */
export type SoakLine =
  | {
      readonly state: 'soaked';
      readonly name: string;
      readonly finishedAt: number;
      readonly eligibleAt: number;
    }
  | {
      readonly state: 'too_recent';
      readonly name: string;
      readonly finishedAt: number;
      readonly eligibleAt: number;
    }
  | { readonly state: 'missing'; readonly name: string }
  | {
      readonly state: 'different';
      readonly name: string;
      readonly checksum: string;
      readonly afterChecksum: string;
    };

/**
 * The gate's answer for a whole plan: `ok` when every line is `soaked`. `eligibleAt` (the latest
 * eligibility time of all migrations) is known only when every migration finished on `afterEnv`
 * with the same checksum; a missing or different one makes the plan's eligibility unknown.
 */
export interface SoakVerdict {
  readonly ok: boolean;
  readonly afterEnv: string;
  readonly soakMs: number;
  readonly lines: readonly SoakLine[];
  readonly eligibleAt?: number;
}

/**
 * Decides the gate. For each planned migration, the earliest finished row of `afterEnv` with the
 * same name and checksum counts; rows of that name with another checksum make it `different`.
 * A migration is soaked when `now - finishedAt >= soakMs`. Pure.
 */
export function decideSoak(
  planned: readonly PlanMigration[],
  afterRows: readonly SoakRow[],
  now: number,
  soakMs: number,
  afterEnv: string,
): SoakVerdict {
  const lines = planned.map((m): SoakLine => {
    const named = afterRows.filter((r) => r.name === m.name);
    const same = named.filter((r) => r.checksum === m.checksum);
    if (same.length === 0) {
      const other = named[named.length - 1];
      return other
        ? { state: 'different', name: m.name, checksum: m.checksum, afterChecksum: other.checksum }
        : { state: 'missing', name: m.name };
    }
    const finishedAt = Math.min(...same.map((r) => r.finishedAt));
    const eligibleAt = finishedAt + soakMs;
    return { state: now >= eligibleAt ? 'soaked' : 'too_recent', name: m.name, finishedAt, eligibleAt };
  });
  const timed = lines.flatMap((l) => ('eligibleAt' in l ? [l.eligibleAt] : []));
  const known = timed.length === lines.length && lines.length > 0;
  return {
    ok: lines.every((l) => l.state === 'soaked'),
    afterEnv,
    soakMs,
    lines,
    ...(known ? { eligibleAt: Math.max(...timed) } : {}),
  };
}

function hours(ms: number): string {
  return `${Number((ms / HOUR_MS).toFixed(2))} h`;
}

function lineText(line: SoakLine, afterEnv: string): string {
  switch (line.state) {
    case 'soaked':
      return `\`${line.name}\`: soaked (finished on ${afterEnv} at ${slackDate(line.finishedAt)}).`;
    case 'too_recent':
      return `\`${line.name}\`: too recent: finished on ${afterEnv} at ${slackDate(line.finishedAt)}, eligible at ${slackDate(line.eligibleAt)}.`;
    case 'missing':
      return `\`${line.name}\`: missing on ${afterEnv} (not finished there).`;
    case 'different':
      return `\`${line.name}\`: different on ${afterEnv}: checksum ${shortHash(line.checksum)} here, ${shortHash(line.afterChecksum)} on ${afterEnv}.`;
  }
}

/** The verdict as a preflight check: one line per migration that is not soaked yet. */
export function soakCheck(verdict: SoakVerdict): PreflightCheck {
  const { afterEnv, soakMs } = verdict;
  if (verdict.ok) {
    return {
      id: 'gate',
      status: 'ok',
      message: `Every planned migration finished on ${afterEnv} at least ${hours(soakMs)} ago.`,
    };
  }
  const open = verdict.lines.filter((l) => l.state !== 'soaked');
  const when =
    verdict.eligibleAt === undefined
      ? `The plan becomes eligible only once every migration above finished on ${afterEnv} as it is here.`
      : `The whole plan becomes eligible at ${slackDate(verdict.eligibleAt)}.`;
  return {
    id: 'gate',
    status: 'fail',
    message: [
      `${open.length} of ${verdict.lines.length} migration(s) have not soaked on ${afterEnv} for ${hours(soakMs)}:`,
      ...open.map((l) => `• ${lineText(l, afterEnv)}`),
      when,
    ].join('\n'),
    hint: `Deploy the same migrations to ${afterEnv} first and let them run there for ${hours(soakMs)}.`,
  };
}

/** The finished, not rolled back rows of an environment's ledger; no ledger table → none. */
async function finishedRows(url: string): Promise<SoakRow[]> {
  const parsed = parseDatabaseUrl(url, 'drawbridge soak gate');
  const client = await openSession(parsed, undefined, { searchPath: false });
  try {
    await client.query('BEGIN READ ONLY');
    const ledger = await readLedger(client, parsed.schemaExplicit ? parsed.schema : undefined);
    await client.query('COMMIT');
    return (ledger ?? []).flatMap((r) =>
      r.finishedAt !== null && r.rolledBackAt === null
        ? [{ name: r.migrationName, checksum: r.checksum, finishedAt: r.finishedAt.getTime() }]
        : [],
    );
  } finally {
    await closeSession(client);
  }
}

/**
 * The gate of `environment` as a preflight check, or undefined when it has none. Reads `afterEnv`'s
 * ledger through a target of its own; a refusal or a fault there fails the check (fail closed).
 */
export async function checkSoakGate(
  deps: CoreDeps,
  environment: string,
  planned: readonly PlanMigration[],
  now: number,
): Promise<PreflightCheck | undefined> {
  const gate = deps.config.environment(environment)?.gate;
  if (!gate) return undefined;
  const cannot = (why: string): PreflightCheck => ({
    id: 'gate',
    status: 'fail',
    message: `Cannot read the migrations of ${gate.afterEnv} to check the soak gate: ${why}`,
    hint: `The gate fails closed: make ${gate.afterEnv}'s database reachable, then plan again.`,
  });
  try {
    const rows = await withEnvironmentTarget(deps, gate.afterEnv, (target) => finishedRows(target.url));
    if ('kind' in rows) return cannot(rows.message);
    return soakCheck(decideSoak(planned, rows, now, gate.soakHours * HOUR_MS, gate.afterEnv));
  } catch (err) {
    return cannot(describeError(err));
  }
}
