/**
 * A rehearsal in plain sentences, for the run message, its thread and the CLI: pure functions of the
 * stored result ("Rehearsed on a copy of production (backup from 02:14, 5.1 GB): 3 migrations applied
 * in 41 s; slowest `…_user_created_at_index` 38 s, SHARE lock on "User"").
 */
import { strongerLock } from '../../migrations/review/lock-modes.js';
import type {
  LockTaken,
  MigrationRehearsal,
  RehearsalResult,
  RehearsalSource,
  RehearsalState,
} from './types.js';

/** 5.1 GB, 240 MB, 12 kB. */
export function formatBytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${Math.round(n / 1e6)} MB`;
  return `${Math.max(1, Math.round(n / 1e3))} kB`;
}

/** 40 ms, 0.4 s, 12 s, 3 min 20 s. */
export function formatDuration(ms: number): string {
  if (ms < 100) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return s < 120 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

function hhmm(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}

function sourceText(s: RehearsalSource | undefined): string {
  if (!s) return '';
  const size = s.sizeBytes ? `, ${formatBytes(s.sizeBytes)}` : '';
  const since = s.caughtUp?.length ? `, then ${s.caughtUp.length} migration(s) applied since` : '';
  if (s.kind === 'backup') return ` (backup from ${hhmm(s.takenAt)} UTC${size}${since})`;
  if (s.kind === 'dump') return ` (fresh dump at ${hhmm(s.takenAt)} UTC${size})`;
  return ' (schema only, no data)';
}

/**
 * The strongest lock a migration took, as `SHARE lock on "User"`; with `source`, how it is known:
 * seen in pg_locks, or from the SQL review's analysis (a lock too brief to be sampled).
 */
export function strongestLock(locks: readonly LockTaken[], source = false): string | undefined {
  const top = locks.reduce<LockTaken | undefined>(
    (a, l) => (a === undefined || strongerLock(a.mode, l.mode) === l.mode ? l : a),
    undefined,
  );
  if (!top) return undefined;
  const how = !source ? '' : top.source === 'observed' ? ' (seen in pg_locks)' : " (the review's analysis)";
  return `${top.mode} lock on "${top.table}"${how}`;
}

/** `…_user_created_at_index` for long names. */
export function shortName(name: string): string {
  const tail = name.replace(/^\d{8,14}_/, '');
  return tail === name ? name : `…_${tail}`;
}

function rowsText(m: MigrationRehearsal): string {
  const total = new Map<string, number>();
  for (const r of m.rows) total.set(r.command, (total.get(r.command) ?? 0) + r.rows);
  return [...total].map(([c, n]) => `${c} ${n} row${n === 1 ? '' : 's'}`).join(', ');
}

/** One migration's line in the thread. */
export function describeMigrationRehearsal(m: MigrationRehearsal): string {
  if (m.down)
    return `${m.down.outcome === 'restored' ? '✓' : '✗'} ${m.name}: ${m.down.message}${m.down.differences?.length ? `\n${m.down.differences.join('\n')}` : ''}`;
  if (m.outcome === 'not_run') return `– ${m.name}: not run`;
  const took = m.durationMs !== undefined ? ` in ${formatDuration(m.durationMs)}` : '';
  const locks = m.locks.map((l) => `${l.mode} on "${l.table}" (${l.source})`).join(', ');
  const rows = rowsText(m);
  const facts = [rows, locks ? `locks: ${locks}` : ''].filter(Boolean).join(' · ');
  if (m.outcome === 'applied') return `✓ ${m.name} applied${took}${facts ? ` · ${facts}` : ''}`;
  const e = m.error;
  return `✗ ${m.name} failed${took}: ${e?.message ?? 'unknown error'}${e?.detail ? ` — ${e.detail}` : ''}`;
}

/** The failed migration and the row that broke it, in one sentence. */
export function describeFailure(m: MigrationRehearsal): string {
  const e = m.error;
  const row = e?.detail ? ` The row that broke it: ${e.detail}` : '';
  return `\`${m.name}\` failed: ${e?.message ?? 'unknown error'}${e?.sqlState ? ` (SQLSTATE ${e.sqlState})` : ''}.${row}`;
}

/** The result in one or two sentences. */
export function describeRehearsalResult(
  environment: string,
  state: RehearsalState,
  result: RehearsalResult | undefined,
): string {
  if (state === 'running') return 'Rehearsing…';
  if (state === 'cancelled')
    return `The rehearsal was cancelled${result?.error && result.error !== 'cancelled' ? ` (${result.error})` : ''}.`;
  if (state === 'error' || !result)
    return `The rehearsal could not be carried out: ${(result?.error ?? 'unknown error').replace(/\.$/, '')}.`;
  const copy = `a copy of ${environment}${sourceText(result.source)}`;
  const failed = result.migrations.find((m) => m.outcome === 'failed');
  if (failed) return `Rehearsal on ${copy} failed: ${describeFailure(failed)}`;
  const applied = result.migrations.filter((m) => m.outcome === 'applied');
  const slowest = [...applied].sort((a, b) => (b.durationMs ?? 0) - (a.durationMs ?? 0))[0];
  const lock = slowest ? strongestLock(slowest.locks) : undefined;
  const slow = slowest
    ? `; slowest \`${shortName(slowest.name)}\` ${formatDuration(slowest.durationMs ?? 0)}${lock ? `, ${lock}` : ''}`
    : '';
  const bad = result.migrations.filter((m) => m.down && m.down.outcome !== 'restored');
  const downs = bad.map((m) => ` :warning: down.sql of \`${m.name}\`: ${m.down?.message ?? ''}.`).join('');
  return `Rehearsed on ${copy}: ${applied.length} migration${applied.length === 1 ? '' : 's'} applied in ${formatDuration(result.applyMs ?? 0)}${slow}.${downs}`;
}
