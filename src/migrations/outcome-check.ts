/**
 * Deciding, from a fresh connection, what happened to a migration whose session was lost (network
 * partition, cancel that could not get through, a crash of the bot). Reconnects within a deadline,
 * ends the lost session when that is safe (it can no longer commit anything by itself), then reads
 * the ledger row and `txid_status` of every journaled transaction and lets `decideOutcome` speak.
 */
import type pg from 'pg';
import type { Clock } from '../base/clock.js';
import { describeError } from '../base/errors.js';
import {
  decideOutcome,
  howToCheck,
  type JournalEntry,
  type MigrationOutcome,
  type OutcomeEvidence,
} from './apply-journal.js';
import { closeSession, openSession, type ParsedDatabaseUrl } from './connection.js';

type Start = Extract<JournalEntry, { kind: 'migration' }>;

export interface OutcomeCheckOptions {
  clock: Clock;
  /** How long to keep trying to reach the database (default 60 000 ms). */
  waitMs?: number;
  /** How long one connection attempt may take (default 5 000 ms). */
  connectTimeoutMs?: number;
  /** application_name prefix the lost session had, to tell it from a reused pid. */
  applicationPrefix?: string;
}

/**
 * Whether ending the lost session is safe: it then holds work that can only commit when Drawbridge
 * sends COMMIT (an open transaction of an `atomic` file or of a `steps` statement), so ending it
 * rolls that back and frees its locks. A statement outside any transaction (CONCURRENTLY) or an
 * opaque script is left to end by itself.
 */
function mayEnd(start: Start, after: readonly JournalEntry[]): boolean {
  if (start.mode === 'atomic') return true;
  if (start.mode === 'opaque') return false;
  const lastUnit = [...after].reverse().find((e) => e.kind === 'unit');
  const finishing = after.some((e) => e.kind === 'finishing');
  return finishing || lastUnit === undefined || (lastUnit.kind === 'unit' && lastUnit.xid !== null);
}

async function backendAlive(c: pg.Client, pid: number, prefix: string): Promise<boolean> {
  const r = await c.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND application_name LIKE $2', [
    pid,
    `${prefix}%`,
  ]);
  return (r.rowCount ?? 0) > 0;
}

async function readEvidence(
  c: pg.Client,
  start: Start,
  after: readonly JournalEntry[],
  alive: boolean,
): Promise<OutcomeEvidence> {
  const row = await c.query<{ finished: boolean; rolled_back: boolean }>(
    'SELECT finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back FROM "_prisma_migrations" WHERE id = $1',
    [start.rowId],
  );
  const xids = [...new Set(after.flatMap((e) => (e.kind === 'unit' && e.xid !== null ? [e.xid] : [])))];
  const xidStatus = new Map<string, 'committed' | 'aborted' | 'in progress' | null>();
  for (const xid of xids) {
    const r = await c.query<{ s: 'committed' | 'aborted' | 'in progress' | null }>(
      'SELECT txid_status($1::bigint) AS s',
      [xid],
    );
    xidStatus.set(xid, r.rows[0]?.s ?? null);
  }
  const first = row.rows[0];
  return {
    row: first ? { finished: first.finished, rolledBack: first.rolled_back } : null,
    backendAlive: alive,
    xidStatus,
  };
}

/** Connects, retrying until `deadline`; undefined when the database could not be reached. */
async function reconnect(
  parsed: ParsedDatabaseUrl,
  opts: OutcomeCheckOptions,
  deadline: number,
): Promise<{ client?: pg.Client; lastError?: string }> {
  let lastError: string | undefined;
  while (opts.clock.now() < deadline) {
    const timeout = Math.max(1000, Math.min(opts.connectTimeoutMs ?? 5000, deadline - opts.clock.now()));
    try {
      const client = await openSession({
        ...parsed,
        clientConfig: {
          ...parsed.clientConfig,
          application_name: 'drawbridge outcome check',
          connectionTimeoutMillis: timeout,
        },
      });
      return { client };
    } catch (err) {
      lastError = describeError(err);
      await opts.clock.sleep(Math.min(1000, Math.max(0, deadline - opts.clock.now())));
    }
  }
  return lastError === undefined ? {} : { lastError };
}

/**
 * What happened to the migration `start` (with the journal entries after it). Never throws: a
 * database that cannot be reached gives `unknown` with the way to check by hand.
 */
export async function checkOutcome(
  parsed: ParsedDatabaseUrl,
  start: Start,
  after: readonly JournalEntry[],
  opts: OutcomeCheckOptions,
): Promise<MigrationOutcome> {
  const deadline = opts.clock.now() + (opts.waitMs ?? 60_000);
  const prefix = opts.applicationPrefix ?? 'drawbridge deploy';
  const { client, lastError } = await reconnect(parsed, opts, deadline);
  if (!client) {
    return {
      verdict: 'unknown',
      message: `The database could not be reached within ${Math.round((opts.waitMs ?? 60_000) / 1000)} s to decide whether ${start.name} committed${lastError ? ` (${lastError})` : ''}; its outcome is unknown. Check by hand: ${howToCheck(start)}`,
    };
  }
  try {
    let alive = await backendAlive(client, start.pid, prefix);
    if (alive && mayEnd(start, after)) {
      await client.query('SELECT pg_terminate_backend($1)', [start.pid]);
    }
    // A session ending (terminated, or noticing its client is gone) takes a moment.
    while (alive && opts.clock.now() < deadline) {
      await opts.clock.sleep(200);
      alive = await backendAlive(client, start.pid, prefix);
    }
    return decideOutcome(start, after, await readEvidence(client, start, after, alive));
  } catch (err) {
    return {
      verdict: 'unknown',
      message: `Reading the outcome of ${start.name} failed (${describeError(err)}); check by hand: ${howToCheck(start)}`,
    };
  } finally {
    await closeSession(client);
  }
}
