/**
 * Who may do what to a run, and whether it may happen now: one pure decision for every action a
 * person takes on a run (the run message's buttons, `/migrate cancel`, the restore modal). Every
 * action path calls `authorize`; the buttons a message offers are the actions `availability`
 * allows, so a button is never shown for a click that would be refused for everyone.
 *
 * A decision asks three questions, always in this order, so that a refusal names the most basic
 * reason (a finished run is "finished" to everyone, stranger or not):
 * 1. **State** — may this happen in the run's state at all? The lifecycle table decides
 *    (`nextTransition`); retry, which starts a new run, is allowed once a run ended without its
 *    migrations in.
 * 2. **Circumstances** — what the run's record shows: the approval window and plan hash (votes), the
 *    step under way (cancel), a verified backup (restore), the apply evidence (mark rolled back).
 * 3. **Person** — requester, approver (named directly or through a user group), or anyone.
 * (`offered` says which buttons a message shows: what `availability` allows.)
 *
 * Refusal codes, by question:
 * - state: `APPROVAL_NOT_REQUESTED`, `RUN_DECIDED`, `RUN_EXPIRED` (votes); the lifecycle's
 *   `RUN_EXPIRED`, `RUN_FINISHED`, `RUN_TRANSITION_INVALID` (cancel); `RUN_NOT_FAILED` (mark rolled
 *   back); `RUN_NOT_RESTORABLE` (restore); `RUN_NOT_RETRYABLE` (retry); `RUN_NOT_STOPPED` (turn
 *   maintenance off); `RUN_NOT_WATCHED` (stop watching).
 * - circumstances: `APPROVAL_EXPIRED`, `PLAN_CHANGED` (votes); `RUN_NOT_ACTIVE`,
 *   `TOO_LATE_TO_CANCEL`, `APPLY_STARTED` (cancel); `NO_BACKUP`, `BACKUP_GONE` (restore);
 *   `NOT_PROVEN_ROLLED_BACK`, `NOTHING_FAILED` (mark rolled back).
 * - person: `NOT_AN_APPROVER`, `SELF_APPROVAL`, `ALREADY_VOTED` (votes); `NOT_ALLOWED` (cancel and
 *   the ways back).
 *
 * A later action (turn maintenance off, stop watching) is one more row in `RULES`: its lifecycle
 * event or states, what the record must show, and who may. The file is longer than most on
 * purpose: every rule about acting on a run is here and nowhere else.
 */
import { refusal, type Refusal } from '../../base/errors.js';
import type { ApprovalsConfig } from '../../config/file-schema.js';
import type { MigrationOutcome } from '../../migrations/apply-journal.js';
import type { RunState, StepRecord, Vote } from '../../store/run-types.js';
import { describeState, nextTransition, statesAllowing, TERMINAL_RUN_STATES } from './lifecycle.js';
import { shortHash } from './plan.js';

/** Everything a person can ask of a run. */
export const RUN_ACTIONS = [
  'approve',
  'reject',
  'cancel',
  'restore',
  'mark_rolled_back',
  'retry',
  'maintenance_off',
  'stop_watching',
  'revert_down',
] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

/** The approval settings of one environment (`environments.<env>.approvals`). */
export type ApprovalPolicy = Pick<
  ApprovalsConfig,
  'required' | 'approvers' | 'allowSelfApproval' | 'expiresAfterMinutes'
>;

/** What a decision needs of a run; a stored RunRecord fits. */
export interface AuthorizableRun {
  readonly id: string;
  readonly environment: string;
  readonly state: RunState;
  readonly requestedBy: string;
  /** The plan hash the buttons were shown for. */
  readonly planHash: string;
  /** When approval was requested; expiry counts from here. */
  readonly approvalRequestedAt: number | null;
  /** A run scheduled into a maintenance window: its approval holds until the window ends. */
  readonly windowEndsAt?: number;
}

/** What the apply evidence says about the migration that stopped (core/pipeline/apply-evidence.ts). */
export interface ApplyEvidence {
  /** The migration the verdict is about. */
  readonly name: string;
  readonly verdict: MigrationOutcome['verdict'];
  /** The verdict in one sentence for people (`describeVerdict`). */
  readonly description: string;
}

/**
 * What is known about a run, gathered by the caller from the store; nothing here reads anything.
 * A fact left out counts against the action (no backup, not active, no evidence, no votes).
 */
export interface RunFacts {
  readonly run: AuthorizableRun;
  readonly policy: ApprovalPolicy;
  /** Now, by the injected clock. */
  readonly now: number;
  /** The run's steps as recorded (none before it starts). */
  readonly steps?: readonly StepRecord[];
  /** This process drives the run's pipeline and holds its cancel switch. */
  readonly active?: boolean;
  /** The run recorded a verified backup. */
  readonly hasBackup?: boolean;
  /**
   * Why that backup can no longer be restored, when it cannot: retention removed the file and there
   * is no off-host copy to fetch back (`backup.copyBack`). See core/pipeline/later-runs.ts.
   */
  readonly backupGone?: string;
  /** The verdict on the migration that stopped, when one was reached. */
  readonly evidence?: ApplyEvidence;
  /** The plan hash as computed now (folder, ledger and target re-read); the run's own by default. */
  readonly currentPlanHash?: string;
  /** Votes recorded for the run (any plan hash; those for another plan are ignored). */
  readonly votes?: readonly Vote[];
  /** `/migrate cancel`: refused once apply has begun (the button cancels the running statement). */
  readonly beforeApplyOnly?: boolean;
  /** The run left maintenance mode on (core/pipeline/maintenance-state.ts). */
  readonly maintenanceOn?: boolean;
  /** The run's planned migrations without a down.sql (`missing`) out of `total`, for Revert with down.sql. */
  readonly downSql?: { readonly missing: readonly string[]; readonly total: number };
  /** The rehearsal facts of the plan (core/rehearsal); absent: no rehearsal is asked for. */
  readonly rehearsal?: {
    readonly required: boolean;
    readonly planHash: string;
    readonly passed: boolean;
    readonly latest?: string;
    readonly hasShadow: boolean;
  };
}

/** A decision about one person. */
export interface AuthorizeInput extends RunFacts {
  /** Slack user id of the person asking. */
  readonly actor: string;
  /** The user groups (S…) named in the policy that the actor belongs to (GroupMembership.groupsOf). */
  readonly actorGroups: readonly string[];
}

/** The action may go ahead. */
export interface Allowed {
  readonly kind: 'allowed';
  readonly action: RunAction;
}

/** Steps during which Cancel still means something (after apply the migrations are in). */
export const CANCELLABLE_STEPS: readonly string[] = [
  'preflight',
  'announce',
  'maintenance_on',
  'backup',
  'apply',
];

/**
 * Retry asks for a new run of the same environment once this one ended without its migrations in:
 * not after `done` (nothing is left to apply) nor `rejected` (the approvers said no to this plan;
 * asking again is a deliberate `/migrate deploy`).
 */
export const RETRY_STATES: readonly RunState[] = TERMINAL_RUN_STATES.filter(
  (s) => s !== 'done' && s !== 'rejected',
);

/**
 * The states in which a run may have left maintenance mode on for a person to turn off: it stopped
 * (or a way back ended it) after maintenance_on began. (A running run turns it off itself.)
 */
export const MAINTENANCE_OFF_STATES: readonly RunState[] = [
  'failed',
  'cancelled',
  'interrupted',
  'rolled_back',
  'restored',
];

/** How the audit log names a person acting from the `drawbridge` CLI: `cli:<OS user>`. */
export const CLI_ACTOR_PREFIX = 'cli:';

/** The actor of a CLI action (`os.userInfo().username`). */
export function cliActor(osUser: string): string {
  return `${CLI_ACTOR_PREFIX}${osUser}`;
}

/**
 * Someone at the `drawbridge` CLI on the bot's host. Shell access to the bastion already reaches the
 * database, its credentials and the backup files, so the CLI's actions on a run and on windows
 * (restore, schedule and cancel a window) are theirs without a Slack identity, and the audit log
 * names the OS user. Votes stay Slack's: the CLI casts none (its `deploy --yes` applies directly, as
 * `prisma migrate deploy` would). Slack ids (U…, W…) never contain a colon.
 */
export function isCliActor(actor: string): boolean {
  return actor.startsWith(CLI_ACTOR_PREFIX) && actor.length > CLI_ACTOR_PREFIX.length;
}

/** When a run's approval expires, or undefined if approval was never requested. */
export function approvalExpiresAt(run: AuthorizableRun, policy: ApprovalPolicy): number | undefined {
  if (run.approvalRequestedAt === null) return undefined;
  if (run.windowEndsAt !== undefined) return run.windowEndsAt;
  return run.approvalRequestedAt + policy.expiresAfterMinutes * 60_000;
}

/** Whether `voter` (a member of `voterGroups`) may vote under `approvers`; empty means anyone. */
export function isAllowedApprover(
  approvers: readonly string[],
  voter: string,
  voterGroups: readonly string[],
): boolean {
  return (
    approvers.length === 0 || approvers.includes(voter) || voterGroups.some((g) => approvers.includes(g))
  );
}

/**
 * `/migrate maintenance off <env>`: not about one run, so no requester to stand on. An approver of
 * the environment may (directly or through a user group); when the policy names none, anyone may:
 * turning maintenance off only gives the application back to its users, it changes no data, and
 * the command is audited. Refusal code: `NOT_AN_APPROVER`. Pure.
 */
export function authorizeEnvironmentMaintenanceOff(input: {
  readonly environment: string;
  readonly approvers: readonly string[];
  readonly actor: string;
  readonly actorGroups: readonly string[];
}): Refusal | undefined {
  if (isCliActor(input.actor) || isAllowedApprover(input.approvers, input.actor, input.actorGroups))
    return undefined;
  return refusal(
    'NOT_AN_APPROVER',
    `Only an approver of ${input.environment} can turn its maintenance mode off. Who can: ${describeApprovers(input.approvers)}.`,
  );
}

/** "users U1, U2 and members of groups S1" — who can approve, for messages. */
export function describeApprovers(approvers: readonly string[]): string {
  if (approvers.length === 0) return 'any member of the workspace';
  const users = approvers.filter((a) => !a.startsWith('S'));
  const groups = approvers.filter((a) => a.startsWith('S'));
  const parts: string[] = [];
  if (users.length) parts.push(`${users.length === 1 ? 'user' : 'users'} ${users.join(', ')}`);
  if (groups.length)
    parts.push(`members of ${groups.length === 1 ? 'group' : 'groups'} ${groups.join(', ')}`);
  return parts.join(' and ');
}

/**
 * The migration the apply step recorded as failed (or cancelled inside), if any, whichever runner
 * recorded it: a name, or (runs recorded by the Prisma runner before it stored one name) a list.
 */
export function failedMigrationOf(steps: readonly StepRecord[]): string | undefined {
  const apply = steps.find((s) => s.name === 'apply');
  const failed = (apply?.detail as { data?: { failed?: unknown } } | null)?.data?.failed;
  const name: unknown = Array.isArray(failed) ? failed[0] : failed;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** Whether the action may happen now, whoever asks: the lifecycle, then what the record shows. */
export function availability(action: RunAction, facts: RunFacts): Refusal | undefined {
  const rule = RULES[action];
  return rule.state(facts.run) ?? rule.when?.(facts);
}

/**
 * Whether a run message offers the action's button: when the action is available. One exception:
 * Approve and Reject stay on a run still awaiting approval after its window has passed, until the
 * expiry sweep moves it to `expired` (within a minute); a click in between expires it and says so.
 */
export function offered(action: RunAction, facts: RunFacts): boolean {
  const closed = availability(action, facts);
  return closed === undefined || closed.code === 'APPROVAL_EXPIRED' || closed.code === 'REHEARSAL_REQUIRED';
}

/** Whether `input.actor` may take `action` on the run now. Pure. */
export function authorize(action: RunAction, input: AuthorizeInput): Allowed | Refusal {
  return availability(action, input) ?? RULES[action].who(input) ?? { kind: 'allowed', action };
}

interface ActionRule {
  readonly state: (run: AuthorizableRun) => Refusal | undefined;
  readonly when?: (facts: RunFacts) => Refusal | undefined;
  readonly who: (input: AuthorizeInput) => Refusal | undefined;
}

const RULES: Record<RunAction, ActionRule> = {
  approve: {
    state: votingState('approve'),
    when: (f) => votingOpen(f) ?? rehearsed(f),
    who: mayVote('approve'),
  },
  reject: { state: votingState('reject'), when: votingOpen, who: mayVote('reject') },
  cancel: {
    state: (run) => refused(nextTransition(run.state, 'cancel')),
    when: cancellable,
    who: ownerOr('cancel'),
  },
  restore: {
    state: wayBackState('restore', 'RUN_NOT_RESTORABLE', 'Restore backup'),
    when: (f) =>
      !f.hasBackup
        ? refusal('NO_BACKUP', `Run ${f.run.id} made no verified backup to restore.`)
        : f.backupGone
          ? refusal('BACKUP_GONE', `The backup of run ${f.run.id} is gone: ${f.backupGone}.`)
          : undefined,
    who: ownerOr('restore'),
  },
  mark_rolled_back: {
    state: wayBackState('mark_rolled_back', 'RUN_NOT_FAILED', 'Mark rolled back'),
    when: provenNotApplied,
    who: ownerOr('mark rolled back'),
  },
  retry: { state: retryState, who: () => undefined },
  maintenance_off: {
    // Offered on any stopped run whose steps show maintenance still on: one a restart interrupted,
    // one that failed or was cancelled with maintenance.offOnFailure false (or whose off command
    // failed), and one a way back ended with the config saying to leave it on.
    state: (run) =>
      MAINTENANCE_OFF_STATES.includes(run.state)
        ? undefined
        : refusal(
            'RUN_NOT_STOPPED',
            `Run ${run.id} is ${words(run.state)}: Turn maintenance off is for a ${listStates(MAINTENANCE_OFF_STATES)} run.`,
          ),
    when: (f) =>
      f.maintenanceOn
        ? undefined
        : refusal('MAINTENANCE_NOT_ON', `Run ${f.run.id} did not leave maintenance mode on.`),
    who: ownerOr('turn maintenance off for'),
  },
  // Runs the down.sql of the run's applied migrations in reverse order and marks them rolled back.
  revert_down: {
    state: wayBackState('revert_down', 'RUN_NOT_REVERTIBLE', 'Revert with down.sql'),
    when: ({ run, downSql }) =>
      downSql && downSql.total > 0 && downSql.missing.length === 0
        ? undefined
        : refusal(
            'NO_DOWN_SQL',
            downSql && downSql.missing.length > 0
              ? `Run ${run.id} cannot be reverted with down.sql: ${downSql.missing.join(', ')} has no down.sql.`
              : `Run ${run.id} has no migrations with a down.sql to revert.`,
            'Use Restore backup instead.',
          ),
    who: ownerOr('revert'),
  },
  // Ends the post-deploy watch early (its summary is posted); the run becomes done.
  stop_watching: {
    state: (run) =>
      run.state === 'monitoring'
        ? undefined
        : refusal('RUN_NOT_WATCHED', `Run ${run.id} is ${words(run.state)}: nothing is being watched.`),
    who: ownerOr('stop watching'),
  },
};

function refused(t: ReturnType<typeof nextTransition>): Refusal | undefined {
  return t.kind === 'refusal' ? t : undefined;
}

/** Votes count while the run awaits approval (the lifecycle's approve/reject), worded for a voter. */
function votingState(event: 'approve' | 'reject') {
  return (run: AuthorizableRun): Refusal | undefined => {
    if (nextTransition(run.state, event).kind === 'transition') return undefined;
    if (run.state === 'expired')
      return refusal(
        'RUN_EXPIRED',
        `${describeState(run.state)}; votes no longer count.`,
        'Ask for a new plan.',
      );
    if (run.state === 'planned')
      return refusal('APPROVAL_NOT_REQUESTED', `${describeState(run.state)}; votes do not count yet.`);
    return refusal('RUN_DECIDED', `${describeState(run.state)}; votes no longer count.`);
  };
}

function votingOpen({ run, policy, now, currentPlanHash = run.planHash }: RunFacts): Refusal | undefined {
  const expiresAt = approvalExpiresAt(run, policy);
  if (expiresAt !== undefined && now >= expiresAt) {
    return refusal(
      'APPROVAL_EXPIRED',
      run.windowEndsAt !== undefined
        ? 'This plan expired: approval had to be complete before the end of its maintenance window.'
        : `This plan expired: approval had to be complete within ${policy.expiresAfterMinutes} minutes of the request.`,
      `Ask for a new plan with /migrate deploy ${run.environment}.`,
    );
  }
  if (currentPlanHash !== run.planHash) {
    return refusal(
      'PLAN_CHANGED',
      `The plan changed since it was shown (${shortHash(run.planHash)} is now ${shortHash(currentPlanHash)}); approvals given for it are void.`,
      'Review the new plan before voting.',
    );
  }
  return undefined;
}

/**
 * `rehearsal: required`: Approve waits until a rehearsal of exactly the plan now shown succeeded
 * (REHEARSAL_REQUIRED). A changed plan has a new hash, so an older rehearsal does not count for it.
 */
function rehearsed({ run, rehearsal, currentPlanHash = run.planHash }: RunFacts): Refusal | undefined {
  if (!rehearsal?.required) return undefined;
  if (rehearsal.passed && rehearsal.planHash === currentPlanHash) return undefined;
  const now = !rehearsal.hasShadow
    ? `${run.environment} has no shadow database to rehearse on.`
    : rehearsal.planHash !== currentPlanHash
      ? 'The plan changed; its rehearsal starts again.'
      : rehearsal.latest === 'running'
        ? 'Its rehearsal is running now.'
        : rehearsal.latest === 'failed'
          ? 'Its rehearsal failed (see the message).'
          : rehearsal.latest
            ? `Its last rehearsal ended ${rehearsal.latest}.`
            : 'It has not been rehearsed yet.';
  return refusal(
    'REHEARSAL_REQUIRED',
    `${run.environment} requires a successful rehearsal of this exact plan (${shortHash(currentPlanHash)}) before it can be approved. ${now}`,
    rehearsal.hasShadow
      ? 'Wait for the rehearsal to succeed, or fix the migration and request the deploy again.'
      : `Configure environments.${run.environment}.shadowDatabase.`,
  );
}

function mayVote(decision: 'approve' | 'reject') {
  return (input: AuthorizeInput): Refusal | undefined => {
    const { policy, run, actor } = input;
    if (!isAllowedApprover(policy.approvers, actor, input.actorGroups)) {
      return refusal(
        'NOT_AN_APPROVER',
        `You are not an approver for ${run.environment}. Who can approve: ${describeApprovers(policy.approvers)}.`,
        'Ask one of them to review the plan.',
      );
    }
    if (decision === 'approve' && actor === run.requestedBy && !policy.allowSelfApproval) {
      return refusal(
        'SELF_APPROVAL',
        `You requested this run, and ${run.environment} does not allow approving your own run.`,
        `Ask another approver: ${describeApprovers(policy.approvers)}.`,
      );
    }
    const plan = input.currentPlanHash ?? run.planHash;
    const previous = input.votes?.find((v) => v.userId === actor && v.planHash === plan);
    if (previous) {
      const verb = previous.decision === 'approve' ? 'approved' : 'rejected';
      return refusal('ALREADY_VOTED', `You already ${verb} this plan; one vote per person.`);
    }
    return undefined;
  };
}

/** Once running, Cancel needs this process's cancel switch and a step it can still stop. */
function cancellable({ run, active, steps = [], beforeApplyOnly }: RunFacts): Refusal | undefined {
  if (run.state !== 'running') return undefined;
  if (!active) {
    return refusal(
      'RUN_NOT_ACTIVE',
      `Run ${run.id} is not being driven by this Drawbridge process, so there is nothing here to stop.`,
      'If Drawbridge restarted, the run is marked interrupted shortly; then use the ways back.',
    );
  }
  const running = steps.find((s) => s.state === 'running');
  if (running && !CANCELLABLE_STEPS.includes(running.name)) {
    return refusal(
      'TOO_LATE_TO_CANCEL',
      `Run ${run.id} has applied its migrations; cancelling now would leave nothing to stop.`,
      'Wait for it to end, then use the ways back if needed.',
    );
  }
  if (beforeApplyOnly && running?.name === 'apply') {
    return refusal(
      'APPLY_STARTED',
      `Run ${run.id} is applying migrations now.`,
      'Use the Cancel button on the run message to cancel the running statement.',
    );
  }
  return undefined;
}

/** The ways back follow the lifecycle table (restore is also open to a run just deployed and watched). */
function wayBackState(event: 'restore' | 'mark_rolled_back' | 'revert_down', code: string, title: string) {
  return (run: AuthorizableRun): Refusal | undefined => {
    if (nextTransition(run.state, event).kind === 'transition') return undefined;
    return refusal(
      code,
      `Run ${run.id} is ${words(run.state)}: ${title} is only for a ${listStates(statesAllowing(event))} run.`,
    );
  };
}

/**
 * Never without evidence: a migration that may have left changes behind is not "rolled back". With
 * a verdict, only `not_applied` allows it; without one (the Prisma CLI runner, a run that stopped
 * before apply), a failed migration must be recorded, or the run interrupted during apply; the
 * ledger then has the last word (core/pipeline/ways-back.ts).
 */
function provenNotApplied({ run, steps = [], evidence }: RunFacts): Refusal | undefined {
  if (evidence) {
    if (evidence.verdict === 'not_applied') return undefined;
    return refusal(
      'NOT_PROVEN_ROLLED_BACK',
      `${evidence.name} cannot be marked rolled back: ${evidence.description}`,
      'Use Restore backup, or check the database and resolve it by hand.',
    );
  }
  const interruptedInApply =
    run.state === 'interrupted' && steps.some((s) => s.name === 'apply' && s.state === 'failed');
  if (failedMigrationOf(steps) !== undefined || interruptedInApply) return undefined;
  return refusal(
    'NOTHING_FAILED',
    `Run ${run.id} recorded no failed migration; there is nothing to mark rolled back.`,
    'If the database is not as it should be, use Restore backup.',
  );
}

function retryState(run: AuthorizableRun): Refusal | undefined {
  if (RETRY_STATES.includes(run.state)) return undefined;
  return refusal(
    'RUN_NOT_RETRYABLE',
    `Run ${run.id} is ${words(run.state)}: Retry is only for a run that ended without its migrations in (${listStates(RETRY_STATES)}).`,
    run.state === 'rejected'
      ? `Ask again with /migrate deploy ${run.environment} once the plan is fixed.`
      : undefined,
  );
}

/**
 * Cancel and the ways back act on someone else's run: stop it, rewrite the ledger, replace the
 * database. That needs standing in its environment: the requester, or an approver the policy names
 * (directly or through a user group). Before, Cancel and the ways back disagreed when a policy names
 * nobody (Cancel: the requester only; the ways back: anyone). The stricter rule holds for all three:
 * "anyone may approve" is a convenience for voting, not a licence for a stranger to replace a
 * database, so with no approvers named a run is its requester's alone.
 */
function ownerOr(verb: string) {
  return ({ run, policy, actor, actorGroups }: AuthorizeInput): Refusal | undefined => {
    if (actor === run.requestedBy || isCliActor(actor)) return undefined;
    const named = policy.approvers;
    if (named.length > 0 && isAllowedApprover(named, actor, actorGroups)) return undefined;
    return named.length > 0
      ? refusal(
          'NOT_ALLOWED',
          `Only the requester (@${run.requestedBy}) or an approver of ${run.environment} can ${verb} run ${run.id}.`,
          `Approvers of ${run.environment}: ${describeApprovers(named)}.`,
        )
      : refusal(
          'NOT_ALLOWED',
          `Only the requester (@${run.requestedBy}) can ${verb} run ${run.id}: ${run.environment} names no approvers.`,
        );
  };
}

function words(state: RunState): string {
  return state.replace('_', ' ');
}

/** "failed, interrupted or cancelled" */
function listStates(states: readonly RunState[]): string {
  const w = states.map(words);
  return w.length <= 1 ? w.join('') : `${w.slice(0, -1).join(', ')} or ${w[w.length - 1] ?? ''}`;
}
