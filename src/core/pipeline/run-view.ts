/**
 * A run as a message needs it: the record, its steps, the tally of votes for its current plan, who
 * may approve, the live progress line, and which buttons make sense in its state.
 */
import type { RunStore } from '../../store/run-store.js';
import type { RunRecord, StepRecord } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import { approvalExpiresAt, tallyVotes } from '../runs/approval-policy.js';
import { describeVerdict, verdictOf, type RecordedVerdict } from './apply-evidence.js';
import type { StoredBackup } from './run-context.js';
import type { PlanReport, RunActions, RunView } from './types.js';

/** States from which the ways back (Mark rolled back, Restore backup) are offered. */
export const WAYS_BACK_STATES: readonly string[] = ['failed', 'interrupted', 'cancelled'];
const RETRY_STATES = ['failed', 'interrupted', 'cancelled', 'rolled_back', 'restored', 'expired'];
/** Steps during which Cancel still means something (after apply the migrations are in). */
const CANCELLABLE_STEPS = ['preflight', 'announce', 'maintenance_on', 'backup', 'apply'];

/** The backup a run recorded, if it has a usable one. */
export function storedBackupOf(run: RunRecord): StoredBackup | undefined {
  const b = run.backup as Partial<StoredBackup> | null;
  return b && typeof b.path === 'string' && typeof b.sha256 === 'string' ? (b as StoredBackup) : undefined;
}

/** The migration the apply step recorded as failed (or cancelled inside), if any. */
export function failedMigrationOf(steps: readonly StepRecord[]): string | undefined {
  const apply = steps.find((s) => s.name === 'apply');
  const data = (apply?.detail as { data?: { failed?: unknown } } | null)?.data;
  return typeof data?.failed === 'string' ? data.failed : undefined;
}

function actionsFor(
  run: RunRecord,
  steps: readonly StepRecord[],
  active: boolean,
  verdict: RecordedVerdict | undefined,
): RunActions {
  const running = steps.find((s) => s.state === 'running');
  const cancel =
    ['planned', 'awaiting_approval', 'approved'].includes(run.state) ||
    (run.state === 'running' && active && (!running || CANCELLABLE_STEPS.includes(running.name)));
  const wayBack = WAYS_BACK_STATES.includes(run.state);
  const failed = failedMigrationOf(steps) ?? verdict?.name;
  // With evidence, Mark rolled back only when the migration left nothing behind; without (the
  // Prisma CLI runner, a run that stopped before apply) as before, behind its confirmation.
  const interruptedInApply =
    run.state === 'interrupted' && steps.some((st) => st.name === 'apply' && st.state === 'failed');
  const mayMark = verdict ? verdict.verdict === 'not_applied' : failed !== undefined || interruptedInApply;
  return {
    vote: run.state === 'awaiting_approval',
    cancel,
    markRolledBack: wayBack && mayMark,
    ...(failed ? { failedMigration: failed } : {}),
    ...(verdict ? { evidence: describeVerdict(verdict) } : {}),
    restore: wayBack && storedBackupOf(run) !== undefined,
    retry: RETRY_STATES.includes(run.state),
  };
}

/** Builds the view of one run; `active` says whether this process is running its pipeline. */
export function buildRunView(
  deps: CoreDeps,
  runs: RunStore,
  run: RunRecord,
  extra: { progress?: string; active?: boolean } = {},
): RunView {
  const policy = deps.config.environment(run.environment)?.approvals;
  const required = policy?.required ?? 1;
  const tally = tallyVotes(runs.listVotes(run.id), run.planHash, required);
  const steps = runs.listSteps(run.id);
  const expiresAt = policy ? approvalExpiresAt(run, policy) : undefined;
  const report = runs.getReport(run.id) as PlanReport | undefined;
  return {
    run,
    steps,
    approvals: {
      required,
      approvedBy: tally.approvedBy,
      rejectedBy: tally.rejectedBy,
      approvers: policy?.approvers ?? [],
      allowSelfApproval: policy?.allowSelfApproval ?? false,
      ...(expiresAt !== undefined ? { expiresAt } : {}),
    },
    ...(extra.progress ? { progress: extra.progress } : {}),
    ...(report ? { report } : {}),
    actions: actionsFor(run, steps, extra.active ?? false, verdictOf(deps, run.id, steps)),
  };
}
