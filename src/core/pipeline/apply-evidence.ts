/**
 * The evidence about a run's apply: the engine's journal (stored before each piece of work was
 * sent), and the verdict reached from it — by the engine itself after a clean failure or a lost
 * connection, or by start-up recovery after a crash. The ways back are offered from the verdict:
 * "Mark rolled back" only when the evidence says the migration left nothing behind.
 */
import {
  howToCheck,
  lastMigration,
  type JournalEntry,
  type MigrationOutcome,
} from '../../migrations/apply-journal.js';
import { parseDatabaseUrl } from '../../migrations/connection.js';
import { checkOutcome } from '../../migrations/outcome-check.js';
import { ApplyJournalStore } from '../../store/apply-journal-store.js';
import type { RunRecord, StepRecord } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';

/** A verdict as the journal keeps it. */
export interface RecordedVerdict {
  readonly kind: 'verdict';
  readonly name: string;
  readonly verdict: MigrationOutcome['verdict'];
  readonly message: string;
  /** How a person checks it by hand, when the verdict leaves something to check. */
  readonly howToCheck?: string;
}

function isEntry(e: unknown): e is JournalEntry {
  const kind = (e as { kind?: unknown } | null)?.kind;
  return kind === 'migration' || kind === 'unit' || kind === 'finishing';
}

/** The newest verdict for a run: recorded by recovery, or carried by the apply step's result. */
export function verdictOf(
  deps: Pick<CoreDeps, 'store'>,
  runId: string,
  steps: readonly StepRecord[],
): RecordedVerdict | undefined {
  const entries = new ApplyJournalStore(deps.store).list(runId);
  const recorded = [...entries].reverse().find((e) => (e as { kind?: unknown }).kind === 'verdict');
  if (recorded) return recorded as RecordedVerdict;
  const apply = steps.find((s) => s.name === 'apply');
  const data = (apply?.detail as { data?: { failed?: unknown; evidence?: MigrationOutcome } } | null)?.data;
  if (data?.evidence && typeof data.failed === 'string') {
    return {
      kind: 'verdict',
      name: data.failed,
      verdict: data.evidence.verdict,
      message: data.evidence.message,
    };
  }
  return undefined;
}

/**
 * After a crash during apply: decides from the journal and a fresh connection what the migration
 * under way left behind, records the verdict in the journal, and returns it. Undefined when the run
 * never started a migration. `waitMs` bounds the wait for a leftover session to end.
 */
export async function decideInterruptedApply(
  deps: CoreDeps,
  run: RunRecord,
  databaseUrl: string,
  waitMs: number,
): Promise<RecordedVerdict | undefined> {
  const store = new ApplyJournalStore(deps.store);
  const last = lastMigration(store.list(run.id).filter(isEntry));
  if (!last) return undefined;
  const outcome = await checkOutcome(
    parseDatabaseUrl(databaseUrl, 'drawbridge recovery'),
    last.start,
    last.after,
    { clock: deps.clock, waitMs, applicationPrefix: 'drawbridge deploy' },
  );
  const verdict: RecordedVerdict = {
    kind: 'verdict',
    name: last.start.name,
    verdict: outcome.verdict,
    message: outcome.message,
    ...(outcome.verdict === 'applied' || outcome.verdict === 'not_applied'
      ? {}
      : { howToCheck: howToCheck(last.start) }),
  };
  store.append(run.id, verdict);
  return verdict;
}

/** One sentence for people: the verdict and what it allows. */
export function describeVerdict(v: RecordedVerdict): string {
  switch (v.verdict) {
    case 'not_applied':
      return `${v.message} Mark rolled back is safe: the migration left no changes behind.`;
    case 'applied':
      return v.message;
    case 'applied_unrecorded':
      return `${v.message} Do not mark it rolled back; record it as applied (drawbridge resolve --applied ${v.name}) after checking. ${v.howToCheck ?? ''}`.trim();
    case 'partial':
      return `${v.message} Do not mark it rolled back: restore the backup, or finish it by hand and resolve it as applied. ${v.howToCheck ?? ''}`.trim();
    default:
      return `Outcome unknown: ${v.message} Do not mark it rolled back until you have checked. ${v.howToCheck ?? ''}`.trim();
  }
}
