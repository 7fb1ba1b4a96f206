/**
 * Pure part of the impact estimate: from table facts read from the database and the statements'
 * touches, the per-table impact and the migration's class (quick / slow / long) with reasoning.
 */
import { fromPgLockName, lockConflicts } from './lock-modes.js';
import type {
  BlockingTransaction,
  ImpactClass,
  MigrationImpact,
  StatementTouch,
  TableEffect,
  TableImpact,
} from './types.js';

/** What the database says about one table, before deciding who blocks whom. */
export interface TableFacts {
  exists: boolean;
  rows: number | null;
  rowsSource: 'statistics' | 'count' | 'unknown';
  totalBytes: number;
  /** Relation locks granted to other sessions right now. */
  heldLocks: BlockingTransaction[];
}

/**
 * Conservative throughput for size-bound work on a busy production server, bytes per second of
 * pg_total_relation_size. Rewrites also rebuild every index and write WAL; a full-table UPDATE writes
 * a new version of each row. The numbers only place work in a class; they are not a promise.
 */
export const THROUGHPUT: Record<Exclude<TableEffect, 'metadata'>, number> = {
  scan: 100 * 1024 * 1024,
  'index-build': 30 * 1024 * 1024,
  rewrite: 20 * 1024 * 1024,
  'write-all': 10 * 1024 * 1024,
};

/** Under this many seconds a migration is quick; over LONG_SECONDS it is long. */
export const QUICK_SECONDS = 1;
export const LONG_SECONDS = 600;

const EFFECT_WORDS: Record<TableEffect, string> = {
  metadata: 'catalog-only change',
  scan: 'full scan',
  'index-build': 'index build over the whole table',
  rewrite: 'full rewrite',
  'write-all': 'update of every row',
};

/** Builds the impact of one table from its facts and the statements touching it. */
export function tableImpact(table: string, facts: TableFacts, touches: StatementTouch[]): TableImpact {
  const blockers = new Map<number, BlockingTransaction>();
  for (const held of facts.heldLocks) {
    const mode = fromPgLockName(held.mode);
    if (mode && touches.some((t) => lockConflicts(t.lock, mode))) blockers.set(held.pid, held);
  }
  return {
    table,
    exists: facts.exists,
    rows: facts.rows,
    rowsSource: facts.rowsSource,
    totalBytes: facts.totalBytes,
    touches,
    blockers: [...blockers.values()].sort((a, b) => b.ageSeconds - a.ageSeconds),
  };
}

/** Seconds of size-bound work for one table. */
function tableSeconds(t: TableImpact): number {
  if (!t.exists) return 0;
  return t.touches.reduce(
    (sum, touch) => (touch.effect === 'metadata' ? sum : sum + t.totalBytes / THROUGHPUT[touch.effect]),
    0,
  );
}

/** Classifies a migration from its table impacts, with one line of reasoning per fact used. */
export function classifyMigration(migration: string, tables: TableImpact[]): MigrationImpact {
  const reasoning: string[] = [];
  let seconds = 0;
  for (const t of tables) {
    if (!t.exists) {
      reasoning.push(
        `${t.table} does not exist in the database yet (an earlier pending migration creates it), so work on it is quick.`,
      );
      continue;
    }
    const s = tableSeconds(t);
    seconds += s;
    const size = `${formatBytes(t.totalBytes)}, ${formatRows(t)}`;
    for (const touch of t.touches) {
      const cost =
        touch.effect === 'metadata'
          ? 'brief'
          : `about ${formatSeconds(t.totalBytes / THROUGHPUT[touch.effect])}`;
      reasoning.push(
        `Line ${touch.line}: ${EFFECT_WORDS[touch.effect]} of ${t.table} (${size}) under ${touch.lock}: ${cost}.`,
      );
    }
    for (const b of t.blockers) {
      reasoning.push(
        `pid ${b.pid} (${b.state}, open ${formatSeconds(b.ageSeconds)}) holds ${b.mode} on ${t.table}: the migration waits for it, and new queries on ${t.table} queue behind the waiting lock.`,
      );
    }
  }
  const blocked = tables.some((t) => t.blockers.length > 0);
  let cls: ImpactClass = seconds < QUICK_SECONDS ? 'quick' : seconds <= LONG_SECONDS ? 'slow' : 'long';
  if (blocked && cls === 'quick') cls = 'slow';
  const why =
    cls === 'quick'
      ? 'the work does not depend on table size, or the tables are small'
      : cls === 'slow'
        ? blocked && seconds < QUICK_SECONDS
          ? 'open transactions would make it wait, for as long as they stay open'
          : 'the work is proportional to table size'
        : 'the table-size-bound work runs past ten minutes';
  reasoning.push(`Class ${cls}: ${why} (size-bound work about ${formatSeconds(seconds)}).`);
  return { migration, class: cls, estimatedSeconds: Math.round(seconds * 100) / 100, reasoning, tables };
}

function formatRows(t: TableImpact): string {
  if (t.rows === null) return 'row count unknown';
  const how = t.rowsSource === 'count' ? 'counted' : 'estimated';
  return `~${Math.round(t.rows).toLocaleString('en-US')} rows ${how}`;
}

/** 1536 → "1.5 kB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** 0.4 → "0.4 s", 95 → "1.6 min", 7200 → "2.0 h". */
export function formatSeconds(s: number): string {
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  if (s < 3600) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}
