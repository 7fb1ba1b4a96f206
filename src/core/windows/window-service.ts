/**
 * Maintenance windows as front ends use them: schedule (from Slack), list, cancel; and the ticker's
 * work: materialize the configuration's recurring windows ahead of time, send the reminders that are
 * due (reminders.ts), and start the runs waiting for a window that has opened (scheduled-runs.ts).
 * Every change is audited; everything that leaves the bot (Slack, Statuspage) goes through the outbox.
 */
import { refusal, type Refusal } from '../../base/errors.js';
import type { OutboxStore } from '../../store/outbox-store.js';
import { RunStore } from '../../store/run-store.js';
import { WindowStore, type WindowRecord } from '../../store/window-store.js';
import type { CoreDeps } from '../deps.js';
import { unknownEnvironment } from '../environment-target.js';
import type { RunService } from '../pipeline/run-service.js';
import { isAllowedApprover, isCliActor } from '../runs/authorize.js';
import { freezeOverlapping } from './freezes.js';
import { expandRecurring } from './recurrence.js';
import { sendDueReminders } from './reminders.js';
import { cancelUnstarted, startScheduledRuns } from './scheduled-runs.js';
import { parseDuration, parseWindowStart } from './time-input.js';
import type {
  Freeze,
  MaintenanceWindow,
  WindowOccurrence,
  ScheduleWindowInput,
  WindowCancelled,
  WindowListing,
  WindowScheduled,
} from './types.js';
import { freezesFor, reminderOffsetsMs, windowStatuspageKey } from './window-config.js';
import { checkNewWindow } from './window-rules.js';
import { statuspageWindowName } from './window-statuspage.js';

/** Carries a refusal out of the store's transaction (which it rolls back). */
class RefusalError extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}

/** How far ahead the configuration's recurring windows are stored (beyond the earliest reminder). */
const MATERIALIZE_SLACK_MS = 24 * 3_600_000;

export interface WindowServiceOptions {
  readonly deps: CoreDeps;
  readonly runs: RunService;
  readonly outbox: OutboxStore;
  /** Tells the outbox worker there is something new to deliver. */
  readonly wake: () => void;
}

export class WindowService {
  readonly store: WindowStore;
  private readonly deps: CoreDeps;

  constructor(private readonly opts: WindowServiceOptions) {
    this.deps = opts.deps;
    this.store = new WindowStore(opts.deps.store, opts.deps.clock);
  }

  /**
   * `/migrate window schedule` and the modal: reads the start in the requester's time zone, checks
   * the rules (ended, over 24 h, overlapping, in a freeze) inside the store's transaction, stores the
   * window with its reminders, and queues its Statuspage scheduled maintenance.
   */
  async schedule(input: ScheduleWindowInput): Promise<WindowScheduled | Refusal> {
    const unknown = unknownEnvironment(this.deps, input.environment);
    if (unknown) return unknown;
    const denied = await this.mayManage(input.environment, input.actor);
    if (denied) return denied;
    const start = parseWindowStart(input.start, { timeZone: input.timeZone });
    if (!start.ok) return refusal('WINDOW_START_INVALID', start.message);
    const duration = parseDuration(input.duration);
    if (!duration.ok) return refusal('WINDOW_DURATION_INVALID', duration.message);
    const now = this.deps.clock.now();
    const startsAt = start.at;
    const endsAt = start.at + duration.ms;
    try {
      const stored = this.store.insert(
        {
          environment: input.environment,
          title: input.title?.trim() || 'Maintenance window',
          startsAt,
          endsAt,
          source: 'slack',
          createdBy: input.actor,
          reminders: this.remindersFor(startsAt, endsAt, now),
        },
        (existing) => {
          const refused = checkNewWindow({
            existing,
            environment: input.environment,
            startsAt,
            endsAt,
            now,
            freezes: freezesFor(this.deps.config, input.environment),
          });
          if (refused) throw new RefusalError(refused);
        },
      );
      if (!stored) return refusal('WINDOW_NOT_STORED', 'The window could not be stored.');
      this.scheduleStatuspage(stored);
      return { kind: 'scheduled', window: stored, ...(start.note ? { note: start.note } : {}) };
    } catch (err) {
      if (err instanceof RefusalError) return err.refusal;
      throw err;
    }
  }

  /** Open and upcoming windows (of one environment, or all), soonest first, with their runs. */
  list(environment?: string): WindowListing[] {
    const now = this.deps.clock.now();
    const runs = new RunStore(this.deps.store, this.deps.clock);
    return this.store.listScheduled(environment, now).map((w) => ({
      window: w,
      open: w.startsAt <= now && now < w.endsAt,
      runs: runs
        .listRunsOfWindow(w.id)
        .map((r) => ({ id: r.id, state: r.state, requestedBy: r.requestedBy })),
    }));
  }

  get(id: string): MaintenanceWindow | undefined {
    return this.store.get(id);
  }

  /**
   * Cancels a window: its reminders still due are skipped, the runs waiting for it are cancelled
   * (each thread says why), and its Statuspage maintenance is deleted. The environment's approvers
   * and whoever scheduled it may cancel it.
   */
  async cancel(id: string, actor: string): Promise<WindowCancelled | Refusal> {
    const found = this.store.get(id);
    if (!found) return refusal('WINDOW_NOT_FOUND', `There is no window ${id}.`, 'See /migrate window list.');
    if (found.state === 'cancelled')
      return refusal('WINDOW_CANCELLED', `Window ${id} was already cancelled.`);
    if (found.endsAt <= this.deps.clock.now())
      return refusal('WINDOW_ENDED', `Window ${id} has already ended; there is nothing to cancel.`);
    if (found.createdBy !== actor) {
      const denied = await this.mayManage(found.environment, actor);
      if (denied) return denied;
    }
    const cancelled = this.store.cancel(id, actor, `cancelled by ${actor}`);
    if (!cancelled) return refusal('WINDOW_CANCELLED', `Window ${id} was already cancelled.`);
    const runs = this.cancelRunsOf(
      cancelled,
      actor,
      `its maintenance window ${id} was cancelled by ${actor}`,
    );
    this.cancelStatuspage(cancelled);
    return { kind: 'cancelled', window: cancelled, runs };
  }

  /**
   * The ticker's work, in order: store the recurring windows that come into view, start (or refuse
   * to start) the runs whose window has opened, send due reminders, and give a recurring window with
   * a run scheduled into it its Statuspage maintenance.
   */
  async tick(): Promise<void> {
    this.materialize();
    // Runs first: a run that cannot start says why in its own thread, and the window's start
    // reminder then reports it as it is.
    await startScheduledRuns({ deps: this.deps, windows: this.store, runs: this.opts.runs });
    await sendDueReminders({
      deps: this.deps,
      windows: this.store,
      runs: this.opts.runs,
      outbox: this.opts.outbox,
    });
    this.ensureStatuspage();
    this.opts.wake();
  }

  /**
   * Stores every occurrence of the configuration's recurring windows that starts before the
   * furthest reminder offset (plus a day), and cancels stored future ones the configuration no longer
   * produces. An occurrence that overlaps a window already stored, or falls in a freeze, is left out.
   * Returns how many windows were added.
   */
  materialize(): number {
    const now = this.deps.clock.now();
    const until = now + Math.max(0, ...reminderOffsetsMs(this.deps.config)) + MATERIALIZE_SLACK_MS;
    let added = 0;
    for (const environment of this.deps.config.environmentNames) {
      const specs = this.deps.config.environment(environment)?.windows ?? [];
      const occurrences = expandRecurring(environment, specs, now, until);
      const keys = new Set(occurrences.map((o) => o.configKey));
      for (const o of occurrences) {
        if (o.endsAt <= now) continue;
        const freeze = freezeOverlapping(freezesFor(this.deps.config, environment), o.startsAt, o.endsAt);
        const stored = this.insertOccurrence(environment, o, freeze, now);
        if (stored) added++;
      }
      // A recurring window taken out of the configuration: its future occurrences go too.
      for (const w of this.store.listConfigWindowsAfter(environment, now)) {
        if (w.configKey && !keys.has(w.configKey) && w.startsAt < until) {
          const cancelled = this.store.cancel(w.id, 'config', 'no longer in the configuration');
          if (cancelled) {
            this.cancelRunsOf(cancelled, 'system', `its maintenance window ${w.id} is no longer configured`);
            this.cancelStatuspage(cancelled);
          }
        }
      }
    }
    return added;
  }

  /**
   * Stores one occurrence of a recurring window, unless it overlaps a stored window or falls in a
   * freeze (then it is left out, re-checked at every tick, and logged).
   */
  private insertOccurrence(
    environment: string,
    o: WindowOccurrence,
    freeze: Freeze | undefined,
    now: number,
  ): WindowRecord | undefined {
    try {
      return this.store.insert(
        {
          environment,
          title: o.title,
          startsAt: o.startsAt,
          endsAt: o.endsAt,
          source: 'config',
          createdBy: 'config',
          configKey: o.configKey,
          reminders: this.remindersFor(o.startsAt, o.endsAt, now),
        },
        (existing) => {
          const clash = existing.find((w) => w.startsAt < o.endsAt && o.startsAt < w.endsAt);
          if (clash || freeze)
            throw new RefusalError(
              refusal(
                'WINDOW_SKIPPED',
                clash ? `overlaps window ${clash.id}` : `falls in the freeze "${freeze?.reason ?? ''}"`,
              ),
            );
        },
      );
    } catch (err) {
      if (!(err instanceof RefusalError)) throw err;
      this.deps.logger.debug(
        { environment, configKey: o.configKey, why: err.refusal.message },
        'a recurring window is left out',
      );
      return undefined;
    }
  }

  /**
   * A recurring window gets a Statuspage maintenance once a run is scheduled into it (a window from
   * Slack gets one when it is scheduled): an empty weekly slot is not announced to customers.
   */
  private ensureStatuspage(): void {
    const runs = new RunStore(this.deps.store, this.deps.clock);
    for (const w of this.store.listScheduled(undefined, this.deps.clock.now())) {
      if (w.source !== 'config' || this.opts.outbox.getByDedupeKey(windowStatuspageKey(w.id))) continue;
      const waiting = runs
        .listRunsOfWindow(w.id)
        .some((r) => ['awaiting_approval', 'approved'].includes(r.state));
      if (waiting) this.scheduleStatuspage(w);
    }
  }

  /**
   * Refuses when `actor` is not an approver of the environment (anyone may when it names none); a
   * person at the CLI on the bot's host may (core/runs/authorize.ts `isCliActor`).
   */
  private async mayManage(environment: string, actor: string): Promise<Refusal | undefined> {
    if (isCliActor(actor)) return undefined;
    const approvers = this.deps.config.environment(environment)?.approvals.approvers ?? [];
    const groups = await this.opts.runs.membership.groupsOf(actor, approvers);
    if (isAllowedApprover(approvers, actor, groups)) return undefined;
    return refusal(
      'NOT_AN_APPROVER',
      `Only the approvers of ${environment} may schedule or cancel its maintenance windows.`,
      'Ask one of them, or have your user group added to its approvers.',
    );
  }

  /** The reminders of a window created at `now`: only those still ahead (start and end included). */
  private remindersFor(startsAt: number, endsAt: number, now: number): { kind: string; dueAt: number }[] {
    const before = reminderOffsetsMs(this.deps.config).map((ms) => ({
      kind: `before:${ms / 3_600_000}`,
      dueAt: startsAt - ms,
    }));
    return [...before, { kind: 'start', dueAt: startsAt }, { kind: 'end', dueAt: endsAt }].filter(
      (r) => r.dueAt > now || (r.kind === 'end' && endsAt > now) || (r.kind === 'start' && startsAt >= now),
    );
  }

  private cancelRunsOf(w: WindowRecord, actor: string, why: string): string[] {
    const runs = new RunStore(this.deps.store, this.deps.clock);
    return runs
      .listRunsOfWindow(w.id)
      .filter((r) => ['planned', 'awaiting_approval', 'approved'].includes(r.state))
      .filter((r) =>
        cancelUnstarted(this.opts.runs, runs, r, actor, {
          outcome: `cancelled: ${why}`,
          title: 'Window cancelled',
          text: `This run will not start: ${why}.`,
        }),
      )
      .map((r) => r.id);
  }

  /** Queues the window's Statuspage scheduled maintenance (Statuspage's own reminders on). */
  private scheduleStatuspage(w: WindowRecord): void {
    if (!this.deps.config.environment(w.environment)?.statuspage) return;
    this.opts.outbox.enqueue({
      destination: `statuspage:window:${w.id}`,
      kind: 'statuspage.scheduleWindow',
      payload: {
        environment: w.environment,
        windowId: w.id,
        name: statuspageWindowName(w),
        body: `Scheduled database maintenance: ${w.title}. Some features may be briefly unavailable.`,
        scheduledFor: w.startsAt,
        scheduledUntil: w.endsAt,
      },
      dedupeKey: windowStatuspageKey(w.id),
    });
    this.opts.wake();
  }

  /** Deletes the window's Statuspage maintenance, if one was scheduled (after it, in its lane). */
  private cancelStatuspage(w: WindowRecord): void {
    if (!this.opts.outbox.getByDedupeKey(windowStatuspageKey(w.id))) return;
    this.opts.outbox.enqueue({
      destination: `statuspage:window:${w.id}`,
      kind: 'statuspage.cancelWindow',
      payload: { environment: w.environment, windowId: w.id },
      dedupeKey: `statuspage:window-cancel:${w.id}`,
    });
    this.opts.wake();
  }
}
