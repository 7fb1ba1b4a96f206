/**
 * What a reminder re-checks before a window: the pending migrations, the SQL review summary and the
 * preflight, as a small snapshot stored with the window; `describeChanges` says in sentences what
 * differs from the previous snapshot (or from the plan a run was approved for). Pure.
 */
import type { PlanReport } from '../pipeline/types.js';
import { comparePlans, shortHash, type Plan } from '../runs/plan.js';

/** One reminder's view of the environment's plan. */
export interface PlanCheck {
  /** When it was taken (ms). */
  readonly at: number;
  readonly verdict: PlanReport['verdict'];
  readonly planHash: string;
  readonly plan: Plan;
  /** Review findings per severity (active ones). */
  readonly review: { readonly error: number; readonly warning: number; readonly info: number };
  /** The ids of the rules that found something, e.g. `add-column-volatile-default`. */
  readonly rules: readonly string[];
  readonly preflight: readonly { readonly id: string; readonly status: string; readonly message: string }[];
}

/** The snapshot of a plan report. */
export function planCheckOf(report: PlanReport, at: number): PlanCheck {
  const summary = report.review?.summary ?? { error: 0, warning: 0, info: 0 };
  const rules = [
    ...new Set((report.review?.results ?? []).flatMap((r) => r.findings.map((f) => f.ruleId))),
  ].sort();
  return {
    at,
    verdict: report.verdict,
    planHash: report.planHash,
    plan: report.plan,
    review: { error: summary.error, warning: summary.warning, info: summary.info },
    rules,
    preflight: report.preflight.map((c) => ({ id: c.id, status: c.status, message: c.message })),
  };
}

/** Sentences saying how `now` differs from `before`; empty when nothing a person cares about changed. */
export function describeChanges(before: PlanCheck, now: PlanCheck): string[] {
  const out: string[] = [];
  if (before.planHash !== now.planHash) {
    out.push(...comparePlans(before.plan, now.plan).map((d) => d.message));
    if (out.length === 0)
      out.push(`The plan hash changed (${shortHash(before.planHash)} → ${shortHash(now.planHash)}).`);
  }
  const r0 = before.review;
  const r1 = now.review;
  if (r0.error !== r1.error || r0.warning !== r1.warning)
    out.push(
      `SQL review: ${r0.error} error(s) and ${r0.warning} warning(s) before, ${r1.error} and ${r1.warning} now.`,
    );
  const newRules = now.rules.filter((r) => !before.rules.includes(r));
  if (newRules.length) out.push(`New review findings: ${newRules.join(', ')}.`);
  for (const c of now.preflight) {
    const old = before.preflight.find((p) => p.id === c.id);
    if (old && old.status !== c.status)
      out.push(`Preflight ${c.id}: ${old.status} → ${c.status} (${c.message})`);
    if (!old && c.status !== 'ok') out.push(`Preflight ${c.id}: ${c.status} (${c.message})`);
  }
  if (before.verdict !== now.verdict) out.push(`Verdict: ${before.verdict} → ${now.verdict}.`);
  return out;
}

/** How a snapshot reads in one line: "2 pending; review 0 errors, 1 warning; preflight ok". */
export function summarizeCheck(check: PlanCheck): string {
  const pending = check.plan.migrations.length;
  const failing = check.preflight.filter((c) => c.status === 'fail').map((c) => c.id);
  const warning = check.preflight.filter((c) => c.status === 'warn').map((c) => c.id);
  const preflight = failing.length
    ? `preflight FAILS (${failing.join(', ')})`
    : warning.length
      ? `preflight passes with warnings (${warning.join(', ')})`
      : 'preflight passes';
  return `${pending} pending migration(s); review ${check.review.error} error(s), ${check.review.warning} warning(s); ${preflight}`;
}
