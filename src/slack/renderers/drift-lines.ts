/**
 * The drift check on the plan and approval messages: "Schema drift: N difference(s)" with the first
 * few, "No drift", or why it was not checked — so that whoever approves a deploy onto a drifted
 * schema has seen it. Pure.
 */
import type { PlanReport } from '../../core/index.js';
import { esc } from './blocks.js';

/** How many differences a message lists before pointing at `drawbridge drift`. */
export const DRIFT_SHOWN = 5;

/** The lines for a plan report's drift (none when the environment has no shadow database). */
export function driftLines(report: Pick<PlanReport, 'drift' | 'environment'>): string[] {
  const drift = report.drift;
  if (drift === undefined) return [];
  if ('error' in drift) return [`:grey_question: *Schema drift:* not checked: ${esc(drift.error)}`];
  const n = drift.items.length;
  if (n === 0)
    return [
      ':white_check_mark: *Schema drift:* No drift: the live schema is what its applied migrations make.',
    ];
  const lines = [
    `:warning: *Schema drift: ${n} difference(s)* between ${esc(report.environment)} and its applied migrations (replayed on the shadow database):`,
    ...drift.items.slice(0, DRIFT_SHOWN).map((i) => `• ${esc(i.message)}`),
  ];
  if (n > DRIFT_SHOWN)
    lines.push(`_…and ${n - DRIFT_SHOWN} more: \`drawbridge drift --env ${esc(report.environment)}\`_`);
  return lines;
}
