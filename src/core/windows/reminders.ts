/**
 * Window reminders, driven by the ticker. Each due reminder re-runs the plan checks of its window's
 * environment (pending migrations, SQL review, preflight), says what changed since the previous
 * reminder, and voids the approval of a run waiting for the window when its plan no longer holds.
 * The reminder is marked sent in the same transaction that queues its message, so a restart neither
 * repeats nor loses one. One due while the bot was down is sent late and marked late; it is skipped
 * when its window has already ended (the end reminder: when it ended over an hour ago), and when a
 * later reminder of the same window is due too.
 */
import { describeError } from '../../base/errors.js';
import type { OutboxStore } from '../../store/outbox-store.js';
import { RunStore } from '../../store/run-store.js';
import type { ReminderRecord, WindowRecord, WindowStore } from '../../store/window-store.js';
import type { CoreDeps } from '../deps.js';
import type { RunService } from '../pipeline/run-service.js';
import { replanRun } from '../runs/replan-run.js';
import { freezeOverlapping } from './freezes.js';
import { describeChanges, planCheckOf, summarizeCheck, type PlanCheck } from './plan-check.js';
import type { ReminderKind, ReminderRun, WindowReminderData } from './types.js';
import { freezesFor } from './window-config.js';

/** A reminder sent more than this after its due time says it is late. */
export const LATE_AFTER_MS = 5 * 60_000;
/** An end reminder later than this after the window's end is skipped. */
const END_GRACE_MS = 3_600_000;
/** Runs a reminder may re-plan (their approval is voided when the plan changed). */
const WAITING = ['awaiting_approval', 'approved'];

export interface ReminderContext {
  readonly deps: CoreDeps;
  readonly windows: WindowStore;
  readonly runs: RunService;
  readonly outbox: OutboxStore;
}

/** The outbox lane of a window's reminder thread. */
export function windowLane(windowId: string): string {
  return `slack:window:${windowId}`;
}

/** Sends every reminder due now; returns how many were sent. */
export async function sendDueReminders(ctx: ReminderContext): Promise<number> {
  const now = ctx.deps.clock.now();
  const due = ctx.windows.dueReminders(now);
  let sent = 0;
  for (const r of due) {
    const w = ctx.windows.get(r.windowId);
    if (!w) continue;
    const skip = whySkip(r, w, due, now);
    if (skip) {
      ctx.windows.atomically(() => {
        if (ctx.windows.finishReminder(w.id, r.kind, { state: 'skipped', late: true, note: skip }))
          ctx.windows.audit('system', 'window:reminder-skipped', w.environment, {
            windowId: w.id,
            kind: r.kind,
            why: skip,
          });
      });
      continue;
    }
    try {
      if (await sendOne(ctx, r, w, now)) sent++;
    } catch (err) {
      // Left due: the next tick tries again.
      ctx.deps.logger.warn({ err: describeError(err), windowId: w.id, kind: r.kind }, 'a reminder failed');
    }
  }
  return sent;
}

function whySkip(
  r: ReminderRecord,
  w: WindowRecord,
  due: readonly ReminderRecord[],
  now: number,
): string | undefined {
  if (w.state === 'cancelled') return 'the window was cancelled';
  if (r.kind !== 'end' && now >= w.endsAt) return 'the window had already ended when it could be sent';
  if (r.kind === 'end' && now - w.endsAt > END_GRACE_MS)
    return 'the window ended over an hour before it could be sent';
  const later = due.find((o) => o.windowId === r.windowId && o.dueAt > r.dueAt && o.kind !== 'end');
  if (later && r.kind !== 'end') return `a later reminder (${later.kind}) was due too`;
  return undefined;
}

async function sendOne(
  ctx: ReminderContext,
  r: ReminderRecord,
  w: WindowRecord,
  now: number,
): Promise<boolean> {
  const runStore = new RunStore(ctx.deps.store, ctx.deps.clock);
  const late = now - r.dueAt > LATE_AFTER_MS;
  let check: PlanCheck | undefined;
  let checkError: string | undefined;
  const voided = new Map<string, string[]>();
  if (r.kind !== 'end') {
    try {
      const report = await ctx.runs.plan(w.environment);
      if (report.kind === 'refusal') checkError = report.message;
      else {
        check = planCheckOf(report, now);
        for (const run of runStore.listRunsOfWindow(w.id)) {
          if (!WAITING.includes(run.state) || run.planHash === report.planHash) continue;
          const replanned = replanRun(runStore, run.id, report.plan, 'system');
          if (replanned.kind !== 'voided') continue;
          runStore.setReport(run.id, report);
          const reasons = replanned.reasons.map((d) => d.message);
          voided.set(run.id, reasons);
          ctx.runs.emit({
            kind: 'detail',
            runId: run.id,
            detail: { title: 'Plan changed: approvals are void', text: reasons.join('\n') },
          });
          ctx.runs.emit({ kind: 'run:changed', runId: run.id });
        }
      }
    } catch (err) {
      checkError = describeError(err);
    }
  }
  const previous = w.lastCheck as PlanCheck | null;
  const runs: ReminderRun[] = runStore.listRunsOfWindow(w.id).map((run) => {
    const v = voided.get(run.id);
    return { id: run.id, state: run.state, requestedBy: run.requestedBy, ...(v ? { approvalVoid: v } : {}) };
  });
  const freeze = freezeOverlapping(freezesFor(ctx.deps.config, w.environment), w.startsAt, w.endsAt);
  const data: WindowReminderData = {
    windowId: w.id,
    environment: w.environment,
    title: w.title,
    startsAt: w.startsAt,
    endsAt: w.endsAt,
    kind: r.kind as ReminderKind,
    ...(late ? { lateSince: r.dueAt } : {}),
    ...(check
      ? {
          check: {
            summary: summarizeCheck(check),
            pending: check.plan.migrations.map((m) => m.name),
            failing: check.preflight.filter((c) => c.status === 'fail').map((c) => `${c.id}: ${c.message}`),
          },
        }
      : {}),
    ...(checkError ? { checkError } : {}),
    changes: previous && check ? describeChanges(previous, check) : [],
    compared: Boolean(previous && check),
    runs,
    ...(freeze ? { freeze: { reason: freeze.reason, to: freeze.to } } : {}),
  };
  return ctx.windows.atomically(() => {
    if (!ctx.windows.finishReminder(w.id, r.kind, { state: 'sent', late })) return false;
    ctx.outbox.enqueue({
      destination: windowLane(w.id),
      kind: 'slack.window',
      payload: data,
      dedupeKey: `slack:window:${w.id}:${r.kind}`,
    });
    if (check) ctx.windows.setLastCheck(w.id, check);
    ctx.windows.audit('system', 'window:reminder', w.environment, {
      windowId: w.id,
      kind: r.kind,
      late,
      ...(check ? { planHash: check.planHash, pending: check.plan.migrations.length } : {}),
      ...(voided.size ? { approvalsVoided: [...voided.keys()] } : {}),
    });
    return true;
  });
}
