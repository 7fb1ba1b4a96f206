/**
 * Rehearsals as background jobs: one at a time per environment (they share its shadow database), a
 * newer plan superseding an older one's job, each linked to the runs that asked for it so that their
 * threads hear its progress and their messages show its result. Never blocks the caller: `start`
 * returns at once. Cancellable (Cancel rehearsal, cancelling the run, shutdown), and shutdown waits
 * for the jobs to stop. The approval gate of `rehearsal: required` reads the store (`gate`).
 */
import { REHEARSAL_DEFAULTS, type RehearsalConfig } from '../../config/rehearsal-schema.js';
import type { ReviewReport } from '../../migrations/review/types.js';
import { RehearsalStore, type RehearsalRow } from '../../store/rehearsal-store.js';
import type { RunStore } from '../../store/run-store.js';
import type { PlannedMigration } from '../../store/run-types.js';
import type { CoreDeps } from '../deps.js';
import type { PipelineObserver } from '../pipeline/types.js';
import { rehearse } from './rehearse.js';
import { describeMigrationRehearsal, describeRehearsalResult } from './describe-rehearsal.js';
import type { MigrationRehearsal, RehearsalResult, RehearsalView } from './types.js';

/** What the approval gate needs to know (core/runs/authorize.ts). */
export interface RehearsalGate {
  /** `rehearsal: required` on the environment. */
  readonly required: boolean;
  /** The plan hash the facts are about. */
  readonly planHash: string;
  /** A rehearsal of exactly this plan hash succeeded. */
  readonly passed: boolean;
  /** The newest rehearsal of the plan, if any: running, failed… */
  readonly latest?: RehearsalRow['state'];
  /** The environment has a shadow database to rehearse on. */
  readonly hasShadow: boolean;
}

interface Job {
  readonly row: RehearsalRow;
  readonly controller: AbortController;
  readonly runIds: Set<string>;
  done: Promise<void>;
  phase: string;
  lastAnnounced: number;
}

export interface StartRehearsal {
  readonly environment: string;
  readonly planHash: string;
  readonly migrations: readonly PlannedMigration[];
  readonly review?: ReviewReport;
  /** The run whose thread hears it and whose message shows it. */
  readonly runId?: string;
}

export class RehearsalService {
  readonly store: RehearsalStore;
  private readonly jobs = new Map<string, Job>();
  private stopped = false;

  constructor(
    private readonly deps: CoreDeps,
    private readonly runs: RunStore,
    private readonly emit: PipelineObserver,
  ) {
    this.store = new RehearsalStore(deps.store, deps.clock);
  }

  /** Start-up of the bot (not of a CLI sharing its store): rehearsals a dead process left running end as errors. */
  recover(): number {
    return this.store.abandonRunning('Drawbridge stopped during the rehearsal');
  }

  /** The environment's rehearsal settings (defaults when the key is absent). */
  configOf(environment: string): RehearsalConfig {
    return this.deps.config.environment(environment)?.rehearsal ?? REHEARSAL_DEFAULTS;
  }

  hasShadow(environment: string): boolean {
    return this.deps.config.environment(environment)?.shadowDatabase !== undefined;
  }

  /**
   * Starts a rehearsal of the plan in the background, or links the run to the one of the same plan
   * already under way. Undefined when the environment has no shadow database or nothing is pending.
   */
  start(input: StartRehearsal): RehearsalRow | undefined {
    if (this.stopped || !this.hasShadow(input.environment) || input.migrations.length === 0) return undefined;
    const current = this.jobs.get(input.environment);
    if (current && current.row.planHash === input.planHash && !current.controller.signal.aborted) {
      if (input.runId && !current.runIds.has(input.runId)) {
        current.runIds.add(input.runId);
        this.store.linkRun(current.row.id, input.runId);
        this.changed(current, true);
      }
      return current.row;
    }
    current?.controller.abort(new Error(`superseded by plan ${input.planHash.slice(0, 12)}`));
    const row = this.store.begin({
      environment: input.environment,
      planHash: input.planHash,
      ...(input.runId ? { runId: input.runId } : {}),
    });
    const job: Job = {
      row,
      controller: new AbortController(),
      runIds: new Set(input.runId ? [input.runId] : []),
      done: Promise.resolve(),
      phase: 'Waiting for the shadow database',
      lastAnnounced: 0,
    };
    this.jobs.set(input.environment, job);
    // The shadow is shared: a superseded job ends before this one touches it.
    const previous = current?.done ?? Promise.resolve();
    job.done = previous
      .then(() => this.run(job, input))
      .catch((err: unknown) => {
        this.deps.logger.error({ err, rehearsal: row.id }, 'rehearsal job failed');
      });
    return row;
  }

  private async run(job: Job, input: StartRehearsal): Promise<void> {
    const { row } = job;
    for (const runId of job.runIds)
      this.emit({
        kind: 'detail',
        runId,
        detail: {
          title: 'Rehearsal started',
          text: `Rehearsing plan ${row.planHash.slice(0, 12)} on ${input.environment}'s shadow database (rehearsal ${row.id}).`,
        },
      });
    const outcome = job.controller.signal.aborted
      ? {
          state: 'cancelled' as const,
          result: {
            migrations: [],
            error:
              job.controller.signal.reason instanceof Error
                ? job.controller.signal.reason.message
                : 'cancelled',
          },
        }
      : await rehearse({
          deps: this.deps,
          runs: this.runs,
          environment: input.environment,
          rehearsalId: row.id,
          migrations: input.migrations,
          ...(input.review ? { review: input.review } : {}),
          signal: job.controller.signal,
          phase: (text) => {
            job.phase = text;
            this.changed(job, false);
          },
          onMigration: (m) => this.migrationDone(job, m),
        });
    this.store.finish(row.id, outcome.state, outcome.result);
    if (this.jobs.get(input.environment) === job) this.jobs.delete(input.environment);
    const text = describeRehearsalResult(input.environment, outcome.state, outcome.result as RehearsalResult);
    for (const runId of job.runIds) {
      this.emit({ kind: 'detail', runId, detail: { title: `Rehearsal ${outcome.state}`, text } });
      this.emit({
        kind: 'rehearsal:finished',
        runId,
        rehearsalId: row.id,
        environment: input.environment,
        planHash: row.planHash,
        state: outcome.state,
      });
    }
  }

  private migrationDone(job: Job, m: MigrationRehearsal): void {
    for (const runId of job.runIds)
      this.emit({
        kind: 'detail',
        runId,
        detail: { title: 'Rehearsal', text: describeMigrationRehearsal(m) },
      });
    this.changed(job, true);
  }

  /** Re-renders the linked runs' messages (at most every 2 s for phase changes). */
  private changed(job: Job, always: boolean): void {
    const now = this.deps.clock.now();
    if (!always && now - job.lastAnnounced < 2000) return;
    job.lastAnnounced = now;
    for (const runId of job.runIds) this.emit({ kind: 'run:changed', runId });
  }

  /** Cancels the rehearsal a run is linked to (Cancel rehearsal, or the run cancelled). */
  cancelForRun(runId: string, reason: string): boolean {
    for (const job of this.jobs.values())
      if (job.runIds.has(runId) && !job.controller.signal.aborted) {
        job.controller.abort(new Error(reason));
        return true;
      }
    return false;
  }

  /** True while a rehearsal linked to the run is under way. */
  runningForRun(runId: string): boolean {
    return [...this.jobs.values()].some((j) => j.runIds.has(runId) && !j.controller.signal.aborted);
  }

  /** Shutdown: every job is cancelled; waits for them (bounded by the caller). */
  async shutdown(): Promise<void> {
    this.stopped = true;
    const jobs = [...this.jobs.values()];
    for (const j of jobs) j.controller.abort(new Error('Drawbridge is shutting down'));
    await Promise.allSettled(jobs.map((j) => j.done));
  }

  /** Waits for the job of an environment (tests, shutdown). */
  async settled(environment: string): Promise<void> {
    await this.jobs.get(environment)?.done;
  }

  /** The approval gate's facts for a plan. */
  gate(environment: string, planHash: string): RehearsalGate {
    const latest = this.store.latestForPlan(environment, planHash);
    return {
      required: this.configOf(environment).mode === 'required',
      planHash,
      passed: this.store.succeeded(environment, planHash),
      hasShadow: this.hasShadow(environment),
      ...(latest ? { latest: latest.state } : {}),
    };
  }

  /** The rehearsal a run's message shows: the newest of its current plan, else of any plan it linked. */
  view(environment: string, planHash: string, runId: string): RehearsalView | undefined {
    const row = this.store.latestForPlan(environment, planHash) ?? this.store.latestForRun(runId);
    if (!row) return undefined;
    const job = [...this.jobs.values()].find((j) => j.row.id === row.id);
    return {
      id: row.id,
      state: row.state,
      planHash: row.planHash,
      current: row.planHash === planHash,
      startedAt: row.startedAt,
      finishedAt: row.finishedAt,
      ...(job && row.state === 'running' ? { phase: job.phase } : {}),
      ...(row.result ? { result: row.result as RehearsalResult } : {}),
      required: this.configOf(environment).mode === 'required',
    };
  }
}
