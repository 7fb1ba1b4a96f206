/** decideOutcome: every verdict from evidence, and never a guess. */
import {
  decideOutcome,
  lastMigration,
  type JournalEntry,
  type OutcomeEvidence,
} from '../../src/migrations/apply-journal.js';

type Start = Extract<JournalEntry, { kind: 'migration' }>;
const ROW = '00000000-0000-4000-8000-000000000001';
const start = (mode: Start['mode'], units = 1): Start => ({
  kind: 'migration',
  name: 'm1',
  checksum: 'c',
  rowId: ROW,
  mode,
  pid: 42,
  units,
});
const unit = (n: number, xid: string | null): JournalEntry => ({
  kind: 'unit',
  name: 'm1',
  rowId: ROW,
  unit: n,
  xid,
  sql: `stmt ${n}`,
});
const evidence = (
  row: OutcomeEvidence['row'],
  xids: Record<string, 'committed' | 'aborted' | 'in progress' | null> = {},
  backendAlive = false,
): OutcomeEvidence => ({ row, backendAlive, xidStatus: new Map(Object.entries(xids)) });
const unfinished = { finished: false, rolledBack: false };

describe('decideOutcome', () => {
  it('a finished row is applied, whatever the mode', () => {
    for (const mode of ['atomic', 'steps', 'opaque'] as const)
      expect(decideOutcome(start(mode), [], evidence({ finished: true, rolledBack: false })).verdict).toBe(
        'applied',
      );
  });

  it('no row: never sent', () => {
    expect(decideOutcome(start('atomic'), [], evidence(null)).verdict).toBe('not_applied');
  });

  it('a session still alive: running, not decided', () => {
    expect(decideOutcome(start('atomic'), [], evidence(unfinished, {}, true)).verdict).toBe('running');
  });

  it('atomic with an unfinished row and the session gone: not applied (the finish shares its transaction)', () => {
    expect(decideOutcome(start('atomic'), [], evidence(unfinished)).verdict).toBe('not_applied');
  });

  it('opaque with an unfinished row: unknown', () => {
    expect(decideOutcome(start('opaque'), [], evidence(unfinished)).verdict).toBe('unknown');
  });

  it('steps: committed transactions before an aborted one are partial; all aborted is not applied', () => {
    const after = [unit(1, '100'), unit(2, '101'), unit(3, '102')];
    const partial = decideOutcome(
      start('steps', 3),
      after,
      evidence(unfinished, { '100': 'committed', '101': 'committed', '102': 'aborted' }),
    );
    expect(partial).toMatchObject({ verdict: 'partial', committed: [1, 2] });
    expect(
      decideOutcome(start('steps', 3), [unit(1, '100')], evidence(unfinished, { '100': 'aborted' })).verdict,
    ).toBe('not_applied');
  });

  it('steps: a statement outside any transaction as the last entry is unknown; one moved past has run', () => {
    const cic = decideOutcome(
      start('steps', 2),
      [unit(1, '100'), unit(2, null)],
      evidence(unfinished, { '100': 'committed' }),
    );
    expect(cic.verdict).toBe('unknown');
    expect(cic.message).toContain('outside a transaction');
    const past = decideOutcome(
      start('steps', 2),
      [unit(1, null), unit(2, '101')],
      evidence(unfinished, { '101': 'aborted' }),
    );
    expect(past).toMatchObject({ verdict: 'partial', committed: [1] });
  });

  it('steps: every statement committed but the finish missing is applied_unrecorded', () => {
    const after: JournalEntry[] = [
      unit(1, '100'),
      unit(2, null),
      { kind: 'finishing', name: 'm1', rowId: ROW },
    ];
    expect(
      decideOutcome(start('steps', 2), after, evidence(unfinished, { '100': 'committed' })).verdict,
    ).toBe('applied_unrecorded');
  });

  it('steps: a transaction still in progress is running; an xid too old to report is unknown', () => {
    expect(
      decideOutcome(start('steps', 1), [unit(1, '100')], evidence(unfinished, { '100': 'in progress' }))
        .verdict,
    ).toBe('running');
    expect(
      decideOutcome(start('steps', 1), [unit(1, '100')], evidence(unfinished, { '100': null })).verdict,
    ).toBe('unknown');
  });

  it('lastMigration picks the newest started migration and what follows it', () => {
    const j: JournalEntry[] = [start('atomic'), { ...start('steps', 2), name: 'm2' }, unit(1, '7')];
    const last = lastMigration(j);
    expect(last?.start.name).toBe('m2');
    expect(last?.after).toHaveLength(1);
    expect(lastMigration([])).toBeUndefined();
  });
});
