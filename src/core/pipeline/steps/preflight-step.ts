/**
 * Step 1: the preflight. The plan report was computed just before the run started (and its hash
 * matched the approved one); here the environment lock is taken and every check must pass.
 */
import type { StepContext, StepOutcome } from '../run-context.js';
import { StepStopped } from '../run-context.js';

export async function preflightStep(ctx: StepContext): Promise<StepOutcome> {
  const locked = ctx.runs.acquireEnvironmentLock(ctx.run.environment, ctx.run.id);
  if (locked.kind === 'refusal') {
    throw new StepStopped('ENVIRONMENT_BUSY', locked.message, true, locked.hint ? { hint: locked.hint } : {});
  }
  const checks = ctx.report.preflight.filter((c) => c.id !== 'lock' || c.status !== 'fail');
  const lines = checks.map(
    (c) => `${c.status === 'ok' ? '✓' : c.status === 'warn' ? '!' : '✗'} ${c.id}: ${c.message}`,
  );
  ctx.detail('Preflight', lines.join('\n'));
  const failed = checks.filter((c) => c.status === 'fail');
  if (failed.length > 0) {
    const first = failed[0];
    throw new StepStopped(
      'PREFLIGHT_FAILED',
      failed.map((c) => `${c.id}: ${c.message}`).join(' '),
      true,
      first?.hint ? { hint: first.hint, detail: { checks } } : { detail: { checks } },
    );
  }
  const warnings = checks.filter((c) => c.status === 'warn');
  for (const w of warnings) ctx.scratch.warnings.push(`${w.id}: ${w.message}`);
  return {
    state: 'succeeded',
    summary: warnings.length
      ? `${checks.length} checks, ${warnings.length} warning(s): ${warnings.map((w) => w.id).join(', ')}`
      : `${checks.length} checks passed`,
    detail: { checks },
  };
}
