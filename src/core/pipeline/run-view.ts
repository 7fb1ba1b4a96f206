/**
 * A run as a message needs it: the record, its steps, the tally of votes for its current plan, who
 * may approve, the live progress line, and which buttons it offers — the actions `authorize` makes
 * available in the run's state (core/runs/authorize.ts, from the lifecycle table and the evidence),
 * never a hand-made list of states.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runWindowOf } from '../windows/run-window.js';
import type { ApprovalsConfig } from '../../config/file-schema.js';
import type { RunStore } from '../../store/run-store.js';
import type { RunRecord } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import { approvalExpiresAt, tallyVotes } from '../runs/approval-policy.js';
import { failedMigrationOf, offered, type RunFacts } from '../runs/authorize.js';
import { statesAllowing } from '../runs/lifecycle.js';
import { describeVerdict, verdictOf } from './apply-evidence.js';
import { backupGoneReason, describeUndone, runsUndoneBy } from './later-runs.js';
import { maintenanceMayBeOn } from './maintenance-state.js';
import type { StoredBackup } from './run-context.js';
import type { PlanReport, RunActions, RunView } from './types.js';
import { watchBrief } from '../monitor/watch-service.js';
import type { RehearsalView } from '../rehearsal/types.js';

/** Cancel rehearsal while one of the run's plan runs and the run is still waiting to start. */
function withRehearsalActions(actions: RunActions, run: RunRecord, r: RehearsalView | undefined): RunActions {
  const waiting = ['planned', 'awaiting_approval', 'approved'].includes(run.state);
  return r?.state === 'running' && waiting ? { ...actions, cancelRehearsal: true } : actions;
}

/** States in which a stopped run's ways back apply (where the lifecycle allows Mark rolled back). */
export const WAYS_BACK_STATES: readonly string[] = statesAllowing('mark_rolled_back');

/** The approval settings of an environment, or the defaults when it is no longer configured. */
export function approvalPolicyOf(deps: CoreDeps, environment: string): ApprovalsConfig {
  return (
    deps.config.environment(environment)?.approvals ?? {
      required: 1,
      approvers: [],
      allowSelfApproval: false,
      expiresAfterMinutes: 60,
    }
  );
}

/** The backup a run recorded, if it has a usable one. */
export function storedBackupOf(run: RunRecord): StoredBackup | undefined {
  const b = run.backup as Partial<StoredBackup> | null;
  return b && typeof b.path === 'string' && typeof b.sha256 === 'string' ? (b as StoredBackup) : undefined;
}

/**
 * What `authorize` needs to know about a run beyond its record, read from the store: its steps and
 * votes, the apply evidence, whether a verified backup exists. `active`: this process drives its
 * pipeline.
 */
export function runFacts(
  deps: CoreDeps,
  runs: RunStore,
  run: RunRecord,
  extra: { active?: boolean; beforeApplyOnly?: boolean } = {},
): RunFacts {
  const steps = runs.listSteps(run.id);
  const verdict = verdictOf(deps, run.id, steps);
  const backupGone = backupGoneReason(deps, runs, run);
  return {
    run,
    policy: approvalPolicyOf(deps, run.environment),
    now: deps.clock.now(),
    steps,
    votes: runs.listVotes(run.id),
    active: extra.active ?? false,
    hasBackup: storedBackupOf(run) !== undefined,
    ...(backupGone ? { backupGone } : {}),
    ...(verdict
      ? { evidence: { name: verdict.name, verdict: verdict.verdict, description: describeVerdict(verdict) } }
      : {}),
    ...(extra.beforeApplyOnly ? { beforeApplyOnly: true } : {}),
    maintenanceOn: maintenanceMayBeOn(deps.config.environment(run.environment), steps),
    downSql: downSqlFacts(deps.config.environment(run.environment)?.migrations, run),
  };
}

/** Which of the run's planned migrations have no down.sql in the folder (Revert with down.sql). */
function downSqlFacts(dir: string | undefined, run: RunRecord): { missing: string[]; total: number } {
  const names = run.plan.migrations.map((m) => m.name);
  if (dir === undefined) return { missing: names, total: names.length };
  return { missing: names.filter((n) => !existsSync(join(dir, n, 'down.sql'))), total: names.length };
}

/** The buttons a run message offers: what the facts allow, whoever clicks (see `offered`). */
function actionsFor(facts: RunFacts): RunActions {
  const failed = failedMigrationOf(facts.steps ?? []) ?? facts.evidence?.name;
  return {
    vote: offered('approve', facts),
    cancel: offered('cancel', facts),
    markRolledBack: offered('mark_rolled_back', facts),
    ...(failed ? { failedMigration: failed } : {}),
    ...(facts.evidence ? { evidence: facts.evidence.description } : {}),
    restore: offered('restore', facts),
    retry: offered('retry', facts),
    maintenanceOff: offered('maintenance_off', facts),
    stopWatching: offered('stop_watching', facts),
    revertDown: offered('revert_down', facts),
  };
}

/** Builds the view of one run; `active` says whether this process is running its pipeline. */
export function buildRunView(
  deps: CoreDeps,
  runs: RunStore,
  run: RunRecord,
  extra: { progress?: string; active?: boolean; rehearsal?: RehearsalView } = {},
): RunView {
  const policy = deps.config.environment(run.environment)?.approvals;
  const required = policy?.required ?? 1;
  const facts = runFacts(deps, runs, run, { active: extra.active ?? false });
  const actions = actionsFor(facts);
  const undoes = actions.restore ? runsUndoneBy(runs, run) : [];
  const tally = tallyVotes(facts.votes ?? [], run.planHash, required);
  const steps = facts.steps ?? [];
  const expiresAt = policy ? approvalExpiresAt(run, policy) : undefined;
  const report = runs.getReport(run.id) as PlanReport | undefined;
  const watch = watchBrief(deps, run.id);
  const window = runWindowOf(deps, run, report);
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
    ...(watch ? { watch } : {}),
    ...(window ? { window } : {}),
    ...(extra.rehearsal ? { rehearsal: extra.rehearsal } : {}),
    actions: withRehearsalActions(
      undoes.length ? { ...actions, restoreUndoes: undoes.map((r) => describeUndone([r])) } : actions,
      run,
      extra.rehearsal,
    ),
  };
}
