/**
 * The operations front ends call for runs: plan, request a deploy, vote, start, cancel, the ways
 * back, history, and start-up recovery. One instance per process; it knows which runs this process
 * is driving (their cancel switches) and sends every event to one observer.
 */
import { refusal, type Refusal } from '../../base/errors.js';
import type { ApprovalsConfig } from '../../config/file-schema.js';
import { OutboxStore } from '../../store/outbox-store.js';
import { RunStore } from '../../store/run-store.js';
import type { RunRecord, VoteDecision } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import { applyRunEvent } from '../runs/apply-run-event.js';
import { evaluateVote } from '../runs/approval-policy.js';
import { authorize, type RunAction } from '../runs/authorize.js';
import { castVote, type VoteCast } from '../runs/cast-vote.js';
import { expireOverdueRuns } from '../runs/expire-overdue-runs.js';
import { GroupMembership, type ListGroupMembers } from '../runs/group-membership.js';
import { replanRun } from '../runs/replan-run.js';
import { preparePlan } from './plan-report.js';
import { recoverRuns, type RecoveredRun } from './recover-runs.js';
import { startRun, type StartRunResult } from './run-pipeline.js';
import { approvalPolicyOf, buildRunView, runFacts } from './run-view.js';
import type { PipelineObserver, PlanReport, RunView } from './types.js';
import { turnMaintenanceOff, type MaintenanceTurnedOff } from './maintenance-state.js';
import { turnEnvironmentMaintenanceOff, type EnvironmentMaintenanceOff } from './environment-maintenance.js';
import { markRolledBack, restoreRun, type MarkedRolledBack, type Restored } from './ways-back.js';
import { listBackups, type BackupList } from './backup-list.js';
import { runsUndoneBy } from './later-runs.js';
import { endWatch, tickWatches, watchSoFar, type WatchSoFar } from '../monitor/watch-service.js';
import type { MaintenanceWindow } from '../windows/types.js';
import { deployTiming, waitingWindow } from '../windows/deploy-timing.js';
import { RehearsalService } from '../rehearsal/rehearsal-service.js';
import { previewRevert, revertWithDown, type Reverted, type RevertPreview } from './revert-down.js';

/** Lists the members of a Slack user group (S…); supplied by the Slack layer. */
export type GroupMembers = ListGroupMembers;

/** A person may take an action on this run now (`RunService.authorizeAction`). */
export interface Authorized {
  readonly kind: 'allowed';
  readonly run: RunRecord;
}

/** A counted vote; when it approved the run, `started` is its pipeline, started in this process. */
export type VoteResult = VoteCast & { readonly started?: Promise<StartRunResult | Refusal> };

export type DeployRequest =
  | { readonly kind: 'requested'; readonly run: RunRecord; readonly report: PlanReport }
  | { readonly kind: 'not_needed' | 'blocked'; readonly report: PlanReport }
  /**
   * `requireWindow` and no window is open: `next` is the next window of the environment, which the
   * front end offers ("Run in the window of …"); asking again with its `windowId` schedules the run.
   */
  | {
      readonly kind: 'outside_window';
      readonly report: PlanReport;
      readonly next?: MaintenanceWindow;
      readonly message: string;
    };

export class RunService {
  readonly runs: RunStore;
  private readonly active = new Map<string, AbortController>();
  private readonly running = new Map<string, Promise<StartRunResult | Refusal>>();
  private readonly stopAll = new AbortController();
  private get shuttingDown(): AbortSignal {
    return this.stopAll.signal;
  }
  private readonly progress = new Map<string, string>();
  /** User-group membership, resolved in one place for every decision and notification. */
  readonly membership: GroupMembership;
  /** Rehearsals of plans on the environments' shadow databases (background jobs). */
  readonly rehearsals: RehearsalService;

  constructor(
    readonly deps: CoreDeps,
    private readonly observer: PipelineObserver,
    groupMembers: GroupMembers | GroupMembership = () => Promise.resolve([]),
  ) {
    this.runs = new RunStore(deps.store, deps.clock);
    this.rehearsals = new RehearsalService(deps, this.runs, (e) => this.emit(e));
    this.membership =
      groupMembers instanceof GroupMembership ? groupMembers : new GroupMembership(groupMembers, deps.clock);
  }

  /** Every event goes through here: progress lines are remembered for the run's view. */
  readonly emit: PipelineObserver = (event) => {
    if (event.kind === 'progress') this.progress.set(event.runId, event.text);
    if (event.kind === 'step:finished' || event.kind === 'run:finished') this.progress.delete(event.runId);
    try {
      this.observer(event);
    } catch (err) {
      this.deps.logger.warn({ err, event: event.kind }, 'a pipeline observer threw');
    }
  };

  /**
   * `/migrate plan`: the report. With `rehearse` (the bot, not a one-shot CLI), a ready plan of an
   * environment with a shadow database is rehearsed in the background.
   */
  async plan(environment: string, opts: { rehearse?: boolean } = {}): Promise<PlanReport | Refusal> {
    const report = await preparePlan(this.deps, environment);
    if (opts.rehearse && report.kind === 'plan' && report.verdict === 'ready') this.rehearse(report);
    return report;
  }

  /** Starts (or joins) the rehearsal of a plan; never waits for it. */
  private rehearse(report: PlanReport, runId?: string): void {
    this.rehearsals.start({
      environment: report.environment,
      planHash: report.planHash,
      migrations: report.plan.migrations,
      ...(report.review ? { review: report.review } : {}),
      ...(runId ? { runId } : {}),
    });
  }

  /**
   * Plans and, when there is something to apply, creates a run waiting for approval. A freeze
   * refuses; with `requireWindow`, a request outside any window answers `outside_window` (with the
   * next window), and one with `windowId` creates a run that starts by itself when that window opens.
   */
  async requestDeploy(input: {
    environment: string;
    requestedBy: string;
    reason?: string;
    channel?: string;
    windowId?: string;
  }): Promise<DeployRequest | Refusal> {
    const timing = deployTiming(this.deps, input.environment, input.windowId);
    if (timing.kind === 'refusal') return timing;
    const report = await preparePlan(this.deps, input.environment);
    if (report.kind === 'refusal') return report;
    if (report.verdict !== 'ready') {
      return { kind: report.verdict === 'blocked' ? 'blocked' : 'not_needed', report };
    }
    const busy = report.preflight.find((c) => c.id === 'lock' && c.status === 'fail');
    if (busy) return refusal('ENVIRONMENT_BUSY', busy.message, busy.hint);
    if (timing.kind === 'outside') return { kind: 'outside_window', report, ...timing.offer };
    const created = this.runs.createRun({
      environment: input.environment,
      requestedBy: input.requestedBy,
      plan: report.plan,
      planHash: report.planHash,
      ...(input.reason ? { reason: input.reason } : {}),
      ...(input.channel ? { channel: input.channel } : {}),
      ...(timing.kind === 'window' ? { windowId: timing.window.id } : {}),
    });
    this.runs.setReport(created.id, report);
    const moved = applyRunEvent(this.runs, created.id, 'request_approval', { actor: input.requestedBy });
    if (moved.kind === 'refusal') return moved;
    this.emit({
      kind: 'run:requested',
      runId: created.id,
      environment: created.environment,
      requestedBy: input.requestedBy,
    });
    this.rehearse(report, created.id);
    return { kind: 'requested', run: moved.run, report };
  }

  /** The approval settings of a run's environment. */
  policyOf(run: RunRecord): ApprovalsConfig {
    return approvalPolicyOf(this.deps, run.environment);
  }

  /**
   * Whether `actor` may take `action` on run `runId` now: the actor's groups (GroupMembership), what
   * the store knows about the run, then `authorize` (core/runs/authorize.ts). Every action on a run
   * goes through here or, for votes, through `evaluateVote`, which asks the same function.
   */
  async authorizeAction(
    action: Exclude<RunAction, 'approve' | 'reject'>,
    runId: string,
    actor: string,
    opts: { beforeApplyOnly?: boolean } = {},
  ): Promise<Authorized | Refusal> {
    const seen = this.runs.getRun(runId);
    if (!seen) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
    const actorGroups = await this.membership.groupsOf(actor, this.policyOf(seen).approvers);
    // Read again after the lookup: the decision is about the run as it is now.
    const run = this.runs.getRun(runId) ?? seen;
    const facts = runFacts(this.deps, this.runs, run, { active: this.active.has(runId), ...opts });
    const allowed = authorize(action, { ...facts, actor, actorGroups });
    return allowed.kind === 'refusal' ? allowed : { kind: 'allowed', run };
  }

  /**
   * One Approve/Reject click. Refusals that need no database (stranger, second click, decided,
   * expired) come first; then the plan is re-read, and a changed plan voids the votes. The vote that
   * approves the run starts it here at once (`started`): approving means "run it now".
   */
  async vote(runId: string, voter: string, decision: VoteDecision): Promise<VoteResult | Refusal> {
    const run = this.runs.getRun(runId);
    if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
    const policy = this.policyOf(run);
    const voterGroups = await this.membership.groupsOf(voter, policy.approvers);
    const base = {
      policy,
      voter,
      voterGroups,
      decision,
      rehearsal: this.rehearsals.gate(run.environment, run.planHash),
    };
    const quick = evaluateVote({
      ...base,
      run,
      now: this.deps.clock.now(),
      currentPlanHash: run.planHash,
      existingVotes: this.runs.listVotes(runId),
    });
    if (quick.kind === 'refusal')
      return this.counted(castVote(this.runs, { ...base, runId, currentPlanHash: run.planHash }), runId);
    const report = await preparePlan(this.deps, run.environment, { ownRunId: runId });
    if (report.kind === 'refusal') return report;
    if (report.planHash !== run.planHash) {
      const voided = replanRun(this.runs, runId, report.plan, voter);
      if (voided.kind === 'refusal') return voided;
      this.runs.setReport(runId, report);
      // A new plan hash needs a rehearsal of its own.
      if (report.verdict === 'ready') this.rehearse(report, runId);
      const reasons = voided.kind === 'voided' ? voided.reasons.map((r) => r.message) : [];
      this.emit({
        kind: 'detail',
        runId,
        detail: { title: 'Plan changed: approvals are void', text: reasons.join('\n') },
      });
      this.emit({ kind: 'run:changed', runId });
      return refusal(
        'PLAN_CHANGED',
        `The plan changed since it was shown, so approvals given for it are void: ${reasons.join(' ')}`,
        'Review the new plan on the message, then vote again.',
      );
    }
    const cast = this.counted(
      castVote(this.runs, {
        ...base,
        rehearsal: this.rehearsals.gate(run.environment, report.planHash),
        runId,
        currentPlanHash: report.planHash,
      }),
      runId,
    );
    if (cast.kind === 'refusal' || cast.outcome !== 'approved') return cast;
    const waitsFor = waitingWindow(this.deps, cast.run);
    if (waitsFor) {
      // Approved ahead: the window's ticker starts it (core/windows/scheduled-runs.ts).
      this.emit({
        kind: 'detail',
        runId,
        detail: {
          title: 'Approved ahead of its window',
          text: `It starts by itself when window ${waitsFor.id} opens, if the plan and the approvals still hold, no freeze applies and the preflight passes.`,
        },
      });
      return cast;
    }
    const started = this.start(runId, voter);
    // The caller awaits it; this only keeps a rejection from going unhandled if it does not.
    started.catch(() => undefined);
    return { ...cast, started };
  }

  private counted(result: VoteCast | Refusal, runId: string): VoteCast | Refusal {
    if (result.kind !== 'refusal') {
      this.emit({
        kind: 'vote:cast',
        runId,
        voter: result.vote.userId,
        decision: result.vote.decision,
        outcome: result.outcome,
      });
      if (result.outcome === 'approved') this.emit({ kind: 'run:approved', runId });
      if (result.outcome === 'rejected') this.emit({ kind: 'run:rejected', runId });
    } else if (result.code === 'APPROVAL_EXPIRED') this.emit({ kind: 'run:changed', runId });
    return result;
  }

  /** Runs the pipeline of an approved run in this process. */
  async start(runId: string, actor: string): Promise<StartRunResult | Refusal> {
    if (this.active.has(runId)) return refusal('RUN_ALREADY_STARTED', `Run ${runId} is already running.`);
    if (this.shuttingDown.aborted)
      return refusal('SHUTTING_DOWN', 'Drawbridge is shutting down; start the run again once it is back.');
    const controller = new AbortController();
    this.active.set(runId, controller);
    const running = startRun(this.deps, runId, {
      actor,
      emit: this.emit,
      signal: controller.signal,
      stop: this.shuttingDown,
    });
    this.running.set(runId, running);
    try {
      return await running;
    } finally {
      this.active.delete(runId);
      this.running.delete(runId);
      this.progress.delete(runId);
    }
  }

  /**
   * Shutdown (SIGTERM): every run this process drives stops at a safe point — a step before apply
   * at once, apply after the migration under way, the closing steps after apply run to their end —
   * and is recorded `interrupted`. Waits at most `limitMs`; returns the runs still under way then,
   * whose outcome the next start decides from the journal.
   */
  async shutdown(limitMs: number): Promise<string[]> {
    this.stopAll.abort(new Error('Drawbridge is shutting down'));
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limitMs);
    });
    await Promise.race([Promise.allSettled([...this.running.values(), this.rehearsals.shutdown()]), limit]);
    clearTimeout(timer);
    return [...this.running.keys()];
  }

  /** True while this process drives the run's pipeline. */
  isActive(runId: string): boolean {
    return this.active.has(runId);
  }

  /**
   * Cancels a run: before it starts, by state; while it runs (up to and including apply), by its
   * cancel switch. `beforeApplyOnly` (the slash command) refuses once apply has begun.
   */
  async cancel(
    runId: string,
    actor: string,
    opts: { beforeApplyOnly?: boolean } = {},
  ): Promise<{ kind: 'cancelled' | 'cancelling'; run: RunRecord } | Refusal> {
    const allowed = await this.authorizeAction('cancel', runId, actor, opts);
    if (allowed.kind === 'refusal') return allowed;
    const { run } = allowed;
    if (run.state !== 'running') {
      const moved = applyRunEvent(this.runs, runId, 'cancel', {
        actor,
        expectedState: run.state,
        outcome: `cancelled by ${actor} before it started`,
      });
      if (moved.kind === 'refusal') return moved;
      this.rehearsals.cancelForRun(runId, `the run was cancelled by ${actor}`);
      this.emit({ kind: 'run:changed', runId });
      return { kind: 'cancelled', run: moved.run };
    }
    const running = this.runs.listSteps(runId).find((s) => s.state === 'running');
    this.active.get(runId)?.abort(new Error(`cancelled by ${actor}`));
    this.emit({
      kind: 'detail',
      runId,
      detail: {
        title: 'Cancel requested',
        text: `@${actor} asked to cancel during ${running?.name ?? 'the run'}.`,
        mentions: true,
      },
    });
    return { kind: 'cancelling', run };
  }

  /**
   * A run nobody can see: its message could not be posted, so nobody can approve or cancel it. It is
   * cancelled (audited as `system`) with `reason`.
   */
  abandon(runId: string, reason: string): RunRecord | Refusal {
    const moved = applyRunEvent(this.runs, runId, 'cancel', {
      actor: 'system',
      outcome: `cancelled: ${reason}`,
    });
    return moved.kind === 'refusal' ? moved : moved.run;
  }

  async markRolledBack(runId: string, actor: string): Promise<MarkedRolledBack | Refusal> {
    const allowed = await this.authorizeAction('mark_rolled_back', runId, actor);
    return allowed.kind === 'refusal' ? allowed : markRolledBack(this.deps, runId, actor, this.emit);
  }

  /** Runs `maintenance.off` for a stopped run that left maintenance mode on. */
  async turnMaintenanceOff(runId: string, actor: string): Promise<MaintenanceTurnedOff | Refusal> {
    const allowed = await this.authorizeAction('maintenance_off', runId, actor);
    return allowed.kind === 'refusal' ? allowed : turnMaintenanceOff(this.deps, runId, actor, this.emit);
  }

  /** `/migrate maintenance off <env>`: runs `maintenance.off` outside any run (environment-maintenance.ts). */
  async turnEnvironmentMaintenanceOff(
    environment: string,
    actor: string,
  ): Promise<EnvironmentMaintenanceOff | Refusal> {
    const approvers = this.deps.config.environment(environment)?.approvals.approvers ?? [];
    const actorGroups = await this.membership.groupsOf(actor, approvers);
    return turnEnvironmentMaintenanceOff(this.deps, environment, actor, actorGroups, this.emit);
  }

  async restore(runId: string, actor: string): Promise<Restored | Refusal> {
    const allowed = await this.authorizeAction('restore', runId, actor);
    return allowed.kind === 'refusal' ? allowed : restoreRun(this.deps, runId, actor, this.emit);
  }

  /** What Revert with down.sql would run and drop, for the confirmation (asked before the modal opens). */
  async previewRevert(runId: string, actor: string): Promise<RevertPreview | Refusal> {
    const allowed = await this.authorizeAction('revert_down', runId, actor);
    return allowed.kind === 'refusal' ? allowed : previewRevert(this.deps, runId);
  }

  /** Revert with down.sql (core/pipeline/revert-down.ts), after the typed confirmation. */
  async revertWithDown(runId: string, actor: string): Promise<Reverted | Refusal> {
    const allowed = await this.authorizeAction('revert_down', runId, actor);
    return allowed.kind === 'refusal' ? allowed : revertWithDown(this.deps, runId, actor, this.emit);
  }

  /** The later runs of the environment a restore of run `runId`'s backup would undo, oldest first. */
  undoneBy(runId: string): RunRecord[] {
    const run = this.runs.getRun(runId);
    return run ? runsUndoneBy(this.runs, run) : [];
  }

  /** `/migrate backups <env>`: the environment's backups, where their copies are, Restore offered. */
  backups(environment: string): Promise<BackupList | Refusal> {
    return listBackups(this.deps, this.runs, environment);
  }

  /** Cancel rehearsal: who may cancel the run may cancel its rehearsal; the run itself stays. */
  async cancelRehearsal(runId: string, actor: string): Promise<{ kind: 'cancelling' } | Refusal> {
    const allowed = await this.authorizeAction('cancel', runId, actor);
    if (allowed.kind === 'refusal') return allowed;
    if (!this.rehearsals.cancelForRun(runId, `cancelled by ${actor}`))
      return refusal('NO_REHEARSAL', `No rehearsal of run ${runId} is under way.`);
    this.emit({
      kind: 'detail',
      runId,
      detail: { title: 'Rehearsal', text: `@${actor} cancelled the rehearsal.`, mentions: true },
    });
    return { kind: 'cancelling' };
  }

  /** A run as stored, for front ends that only need its record. */
  find(runId: string): RunRecord | undefined {
    return this.runs.getRun(runId);
  }

  view(runId: string): RunView | undefined {
    const run = this.runs.getRun(runId);
    if (!run) return undefined;
    const progress = this.progress.get(runId);
    const rehearsal = this.rehearsals.view(run.environment, run.planHash, run.id);
    return buildRunView(this.deps, this.runs, run, {
      active: this.active.has(runId),
      ...(progress ? { progress } : {}),
      ...(rehearsal ? { rehearsal } : {}),
    });
  }

  /** Recent runs of an environment, newest first. */
  history(environment: string, limit = 10): RunView[] {
    // Messages the outbox gave up on are shown here: Slack may be what failed to carry them.
    const gaveUp = new OutboxStore(this.deps.store).gaveUp();
    const runOf = (p: unknown): unknown =>
      (p as { runId?: unknown } | null)?.runId ?? (p as { event?: { runId?: unknown } } | null)?.event?.runId;
    return this.runs.listRecentRuns(environment, limit).map((r) => {
      const undelivered = gaveUp.filter((m) => runOf(m.payload) === r.id).length;
      const view = buildRunView(this.deps, this.runs, r);
      return undelivered ? { ...view, undelivered } : view;
    });
  }

  /**
   * Start-up: runs left waiting past their approval window expire first; then runs that were working
   * are interrupted (ledger re-read), approved runs that never started wait for approval again,
   * interrupted restores are reported, and stale locks are released (recover-runs.ts). Returns the
   * interrupted runs; the rest is logged here.
   */
  async recover(): Promise<RecoveredRun[]> {
    this.rehearsals.recover();
    this.expireOverdue();
    const report = await recoverRuns(this.deps, this.emit);
    const { lapsedApprovals, cancelled, restores } = report;
    if (lapsedApprovals.length || cancelled.length || restores.length) {
      this.deps.logger.warn(
        {
          approvalLapsed: lapsedApprovals.map((l) => l.run.id),
          cancelled: cancelled.map((r) => r.id),
          restoresInterrupted: restores.map((r) => r.restore.runId),
        },
        'runs and restores recovered at start-up',
      );
    }
    return [...report.interrupted];
  }

  /** Stop watching: ends the run's watch early (its summary is posted) and the run is done. */
  async stopWatching(runId: string, actor: string): Promise<{ kind: 'stopped'; run: RunRecord } | Refusal> {
    const allowed = await this.authorizeAction('stop_watching', runId, actor);
    if (allowed.kind === 'refusal') return allowed;
    if (!endWatch(this.deps, this.emit, runId, `stopped by @${actor}`, actor))
      return refusal('RUN_NOT_WATCHED', `Run ${runId} has no watch under way.`);
    return { kind: 'stopped', run: this.runs.getRun(runId) ?? allowed.run };
  }

  /** The watch of a run so far (`/migrate watch <run>`). */
  watch(runId: string): WatchSoFar | Refusal {
    const run = this.runs.getRun(runId);
    if (!run) return refusal('RUN_NOT_FOUND', `There is no run ${runId}.`);
    const found = watchSoFar(this.deps, runId);
    if (!found)
      return refusal(
        'NO_WATCH',
        `Run ${runId} has no watch (${run.state.replace('_', ' ')}).`,
        `A watch begins after a successful deploy when environments.${run.environment}.monitor is configured.`,
      );
    return found;
  }

  /** One tick of every post-deploy watch (the ticker calls this). */
  tickWatches(): Promise<void> {
    return tickWatches(this.deps, this.emit);
  }

  /** Expires runs left waiting past their approval window. */
  expireOverdue(): RunRecord[] {
    const expired = expireOverdueRuns(this.runs, (env) => this.deps.config.environment(env)?.approvals);
    for (const r of expired) this.emit({ kind: 'run:changed', runId: r.id });
    return expired;
  }
}
