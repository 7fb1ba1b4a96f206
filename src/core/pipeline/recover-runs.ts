/**
 * Start-up recovery with the ledger and the database. core/runs/recovery.ts decides what each
 * unfinished run and restore becomes; here each change is told in the run's thread: a run that was
 * working is interrupted and its ledger re-read (what the database shows for its plan); an approved
 * run that had not started waits for approval again; a restore the bot died during is reported with
 * what the database shows (recover-restores.ts). Nothing is applied or restored by itself.
 */
import { describeError } from '../../base/errors.js';
import { getStatus } from '../../migrations/get-status.js';
import type { RunRecord } from '../../store/run-types.js';
import { decideInterruptedApply, describeVerdict } from './apply-evidence.js';
import { maintenanceMayBeOn } from './maintenance-state.js';
import { RunStore } from '../../store/run-store.js';
import type { CoreDeps } from '../deps.js';
import { closeTarget, openEnvironmentTarget } from '../environment-target.js';
import { recoverAfterRestart, type LapsedApproval } from '../runs/recovery.js';
import { reportInterruptedRestores, type RecoveredRestore } from './recover-restores.js';
import type { PipelineObserver } from './types.js';

/** Half-second rounds to wait for a dead bot's migration session to end (10 s in all). */
const ORPHAN_WAIT_ROUNDS = 20;

function isOurs(applicationName: string | undefined): boolean {
  return applicationName?.startsWith('drawbridge deploy') ?? false;
}

export interface RecoveredRun {
  readonly run: RunRecord;
  readonly previousState: string;
  readonly interruptedSteps: readonly string[];
  /** Sentence about the ledger, or why it could not be read. */
  readonly ledger: string;
}

async function ledgerSentence(deps: CoreDeps, run: RunRecord): Promise<string> {
  try {
    const target = await openEnvironmentTarget(deps, run.environment);
    if ('kind' in target)
      return `Environment ${run.environment} is no longer configured; the ledger was not read.`;
    const env = target.config;
    try {
      // First the evidence: the journal says what was under way; a fresh connection ends the dead
      // bot's session where that is safe and decides whether the migration committed.
      const verdict = await decideInterruptedApply(deps, run, target.url, ORPHAN_WAIT_ROUNDS * 500);
      const evidence = verdict ? ` ${describeVerdict(verdict)}` : '';
      // The dead process's migration session may still be ending (the server notices a vanished
      // client within about a second); read the ledger once it has let go of the migration lock.
      const read = () =>
        getStatus({ databaseUrl: target.url, migrationsDir: env.migrations, clock: deps.clock });
      let status = await read();
      for (let i = 0; i < ORPHAN_WAIT_ROUNDS && isOurs(status.lockHolder?.applicationName); i++) {
        await deps.clock.sleep(500);
        status = await read();
      }
      const orphan = isOurs(status.lockHolder?.applicationName)
        ? ` A Drawbridge migration session (pid ${status.lockHolder?.pid}) is still running on the database: resolve nothing until it has ended.`
        : '';
      const byName = new Map(status.migrations.map((m) => [m.name, m.state]));
      const groups = new Map<string, string[]>();
      for (const m of run.plan.migrations) {
        const state = byName.get(m.name) ?? 'missing';
        groups.set(state, [...(groups.get(state) ?? []), m.name]);
      }
      // "failed" is Prisma's word for a row without a finish; whether it changed anything is the
      // evidence's to say, so the ledger's state is called what it is.
      const label = (state: string): string =>
        state === 'failed' ? 'started but not finished in the ledger' : state;
      const parts = [...groups.entries()].map(
        ([state, names]) => `${names.length} ${label(state)} (${names.join(', ')})`,
      );
      return `The ledger now shows this run's ${run.plan.migrations.length} migration(s) as: ${parts.join('; ')}.${evidence}${orphan}`;
    } finally {
      await closeTarget(deps, target);
    }
  } catch (err) {
    return `The ledger could not be read: ${describeError(err)}`;
  }
}

/** What start-up recovery did and told. */
export interface RecoveryReport {
  readonly interrupted: readonly RecoveredRun[];
  readonly lapsedApprovals: readonly LapsedApproval[];
  readonly cancelled: readonly RunRecord[];
  readonly restores: readonly RecoveredRestore[];
}

export async function recoverRuns(deps: CoreDeps, emit: PipelineObserver): Promise<RecoveryReport> {
  const found = recoverAfterRestart(deps.store, deps.clock);
  const interrupted: RecoveredRun[] = [];
  for (const one of found.interrupted) interrupted.push(await reportInterrupted(deps, one, emit));
  for (const lapsed of found.lapsedApprovals) reportLapsed(lapsed, emit);
  for (const run of found.cancelled) emit({ kind: 'run:changed', runId: run.id });
  const restores = await reportInterruptedRestores(deps, found.interruptedRestores, emit);
  return { interrupted, lapsedApprovals: found.lapsedApprovals, cancelled: found.cancelled, restores };
}

async function reportInterrupted(
  deps: CoreDeps,
  found: { run: RunRecord; previousState: string; interruptedSteps: readonly string[] },
  emit: PipelineObserver,
): Promise<RecoveredRun> {
  const ledger = await ledgerSentence(deps, found.run);
  const steps = new RunStore(deps.store, deps.clock).listSteps(found.run.id);
  const maintenance = maintenanceMayBeOn(deps.config.environment(found.run.environment), steps)
    ? ' Maintenance mode is still ON: turn it off (the button on the run message) once the database is sound.'
    : '';
  const during = found.interruptedSteps.length ? ` during ${found.interruptedSteps.join(', ')}` : '';
  emit({
    kind: 'detail',
    runId: found.run.id,
    detail: {
      title: 'Drawbridge restarted',
      text: `Drawbridge restarted while this run was ${found.previousState}${during}; the run is now interrupted and its lock released. ${ledger}${maintenance} Nothing will be applied again by itself: use the buttons on the run message.`,
    },
  });
  emit({ kind: 'run:interrupted', runId: found.run.id, previousState: found.previousState });
  if (found.previousState === 'running') {
    emit({
      kind: 'notice',
      runId: found.run.id,
      notice: {
        kind: 'restarted_during_run',
        environment: found.run.environment,
        runId: found.run.id,
        during: found.interruptedSteps,
        ledger,
      },
    });
  }
  return { ...found, ledger };
}

function reportLapsed(lapsed: LapsedApproval, emit: PipelineObserver): void {
  const who = lapsed.voidedVotes.map((u) => `@${u}`).join(', ');
  emit({
    kind: 'detail',
    runId: lapsed.run.id,
    detail: {
      title: 'Drawbridge restarted',
      text: `Drawbridge restarted after this run was approved${who ? ` by ${who}` : ''} and before it started: nothing ran. An approval starts the run at once, so it is not carried over a restart: approve again to start it now (the plan is checked again when it starts).`,
      mentions: true,
    },
  });
  emit({ kind: 'run:changed', runId: lapsed.run.id });
}
