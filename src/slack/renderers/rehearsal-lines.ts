/**
 * The rehearsal on a run message: "Rehearsing…" while it runs; then the result in one sentence (the
 * failure with the row that broke it), each migration's measured time, rows and locks, and any
 * down.sql that does not restore its schema. Pure.
 */
import {
  describeRehearsalResult,
  formatDuration,
  strongestLock,
  type MigrationRehearsal,
  type RehearsalView,
} from '../../core/index.js';
import { esc } from './blocks.js';

function migrationLine(m: MigrationRehearsal): string {
  if (m.outcome === 'not_run') return `• \`${esc(m.name)}\` not run`;
  const took = m.durationMs !== undefined ? formatDuration(m.durationMs) : '?';
  if (m.outcome === 'failed')
    return `• :x: \`${esc(m.name)}\` failed after ${took}${m.error?.detail ? ` — ${esc(m.error.detail)}` : ''}`;
  const rows = m.rows.reduce((n, r) => n + r.rows, 0);
  const lock = strongestLock(m.locks, true);
  const facts = [took, rows > 0 ? `${rows} row(s) touched` : '', lock ? esc(lock) : ''].filter(Boolean);
  const down =
    m.down && m.down.outcome !== 'restored'
      ? `\n   :warning: down.sql: ${esc(m.down.message)}${m.down.differences?.length ? ` (${esc(m.down.differences.slice(0, 2).join('; '))})` : ''}`
      : m.down
        ? ' · down.sql restores the schema'
        : '';
  return `• \`${esc(m.name)}\` ${facts.join(' · ')}${down}`;
}

/** The lines of the run message's rehearsal section. */
export function rehearsalLines(environment: string, r: RehearsalView): string[] {
  const gate = r.required ? ' Approve waits for it (`rehearsal: required`).' : '';
  if (r.state === 'running')
    return [`:hourglass_flowing_sand: *Rehearsing…* ${r.phase ? `_${esc(r.phase)}_` : ''}${gate}`];
  const icon = r.state === 'succeeded' ? ':test_tube:' : r.state === 'failed' ? ':x:' : ':warning:';
  const earlier = r.current ? '' : ' _(an earlier plan: this plan has not been rehearsed yet)_';
  const lines = [
    `${icon} *Rehearsal* ${esc(describeRehearsalResult(environment, r.state, r.result))}${earlier}`,
  ];
  if (r.current) lines.push(...(r.result?.migrations ?? []).map(migrationLine));
  if (r.required && r.state !== 'succeeded' && r.current)
    lines.push('_Approve is refused until a rehearsal of this plan succeeds (`rehearsal: required`)._');
  return lines;
}

/** True when the rehearsal's measured times stand in for the impact estimate. */
export function rehearsalMeasured(r: RehearsalView | undefined): boolean {
  return Boolean(
    r?.current && r.state !== 'running' && r.result?.migrations.some((m) => m.durationMs !== undefined),
  );
}
