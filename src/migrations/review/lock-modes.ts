/**
 * PostgreSQL 15 table lock modes: what each blocks, in people's words, and the conflict table
 * (PG docs, "Explicit Locking", table 13.2).
 */
import type { LockMode } from './types.js';

/** Lock modes from weakest to strongest (index = strength). */
export const LOCK_MODES: readonly LockMode[] = [
  'ACCESS SHARE',
  'ROW SHARE',
  'ROW EXCLUSIVE',
  'SHARE UPDATE EXCLUSIVE',
  'SHARE',
  'SHARE ROW EXCLUSIVE',
  'EXCLUSIVE',
  'ACCESS EXCLUSIVE',
];

const BLOCKS: Record<LockMode, string> = {
  'ACCESS SHARE': 'blocks only ACCESS EXCLUSIVE locks',
  'ROW SHARE': 'blocks EXCLUSIVE and ACCESS EXCLUSIVE locks',
  'ROW EXCLUSIVE': 'blocks CREATE INDEX and other SHARE-level locks; reads and writes continue',
  'SHARE UPDATE EXCLUSIVE': 'blocks other schema changes and VACUUM; reads and writes continue',
  SHARE: 'blocks writes; reads continue',
  'SHARE ROW EXCLUSIVE': 'blocks writes and other schema changes; reads continue',
  EXCLUSIVE: 'blocks writes; plain reads continue',
  'ACCESS EXCLUSIVE': 'blocks all reads and writes',
};

/** "an ACCESS EXCLUSIVE lock on users (blocks all reads and writes)". */
export function lockOn(mode: LockMode, table: string): string {
  const article = mode.startsWith('A') || mode.startsWith('E') ? 'an' : 'a';
  return `${article} ${mode} lock on ${table} (${BLOCKS[mode]})`;
}

/** Which modes each mode conflicts with, by index in LOCK_MODES. */
const CONFLICTS: readonly (readonly number[])[] = [
  [7],
  [6, 7],
  [4, 5, 6, 7],
  [3, 4, 5, 6, 7],
  [2, 3, 5, 6, 7],
  [2, 3, 4, 5, 6, 7],
  [1, 2, 3, 4, 5, 6, 7],
  [0, 1, 2, 3, 4, 5, 6, 7],
];

const PG_LOCK_NAMES: Record<string, LockMode> = {
  AccessShareLock: 'ACCESS SHARE',
  RowShareLock: 'ROW SHARE',
  RowExclusiveLock: 'ROW EXCLUSIVE',
  ShareUpdateExclusiveLock: 'SHARE UPDATE EXCLUSIVE',
  ShareLock: 'SHARE',
  ShareRowExclusiveLock: 'SHARE ROW EXCLUSIVE',
  ExclusiveLock: 'EXCLUSIVE',
  AccessExclusiveLock: 'ACCESS EXCLUSIVE',
};

/** Maps a pg_locks.mode value (`AccessShareLock`) to a LockMode. */
export function fromPgLockName(name: string): LockMode | undefined {
  return PG_LOCK_NAMES[name];
}

/** True when a session holding `held` makes a request for `wanted` wait. */
export function lockConflicts(wanted: LockMode, held: LockMode): boolean {
  return CONFLICTS[LOCK_MODES.indexOf(wanted)]?.includes(LOCK_MODES.indexOf(held)) ?? false;
}

/** The stronger of two modes. */
export function strongerLock(a: LockMode, b: LockMode): LockMode {
  return LOCK_MODES.indexOf(a) >= LOCK_MODES.indexOf(b) ? a : b;
}
