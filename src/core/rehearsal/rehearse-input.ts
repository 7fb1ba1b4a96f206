/** What one rehearsal is given (rehearse.ts), shared with the steps it is made of. */
import type { ReviewReport } from '../../migrations/review/types.js';
import type { RunStore } from '../../store/run-store.js';
import type { PlannedMigration } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import type { MigrationRehearsal } from './types.js';

export interface RehearseInput {
  readonly deps: CoreDeps;
  readonly runs: RunStore;
  readonly environment: string;
  readonly rehearsalId: string;
  /** The plan's migrations, names and checksums, in order: exactly these are applied. */
  readonly migrations: readonly PlannedMigration[];
  /** The plan's review: its lock analysis fills in tables no pg_locks sample saw. */
  readonly review?: ReviewReport;
  readonly signal: AbortSignal;
  /** What it is doing now, one line. */
  readonly phase: (text: string) => void;
  /** One migration's result, as soon as it is known. */
  readonly onMigration: (m: MigrationRehearsal) => void;
}
