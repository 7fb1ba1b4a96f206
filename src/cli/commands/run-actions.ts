/**
 * The run actions the Slack buttons and commands offer, from a terminal:
 * - `drawbridge cancel --run <id>`: a run that has not started (waiting for approval, approved, or
 *   approved ahead for a window) is cancelled. A running run is driven by the bot's process, whose
 *   cancel switch only the bot holds: that is refused here, pointing at Slack or `kill -TERM` of the bot
 *   (which stops it at a safe point).
 * - `drawbridge rollback --run <id>`: Mark rolled back (the failed migration left nothing behind).
 * - `drawbridge maintenance off --env <name>`: the environment's `maintenance.off` command.
 * Each goes through the same core operation as Slack (RunService), is audited as `cli:<OS user>`,
 * and what it changes reaches the run's Slack thread through the shared outbox.
 */
import { refusal } from '../../base/errors.js';
import type { CliContext } from '../context.js';
import { requireEnv, requireOption, UsageError } from '../context.js';
import { refused, type CliOutcome } from '../output.js';

export async function cancelRunCommand(ctx: CliContext): Promise<CliOutcome> {
  const runId = requireOption(ctx, 'run', '<run id>');
  const { runs } = await ctx.services();
  const run = runs.find(runId);
  if (!run) return refused(refusal('RUN_NOT_FOUND', `There is no run ${runId}.`));
  if (run.state === 'running')
    return refused(
      refusal(
        'RUN_DRIVEN_BY_BOT',
        `Run ${runId} is running in the bot's process; only that process can stop it.`,
        'Use Cancel on its Slack message, or send the bot SIGTERM: it stops the run at a safe point and records it interrupted.',
      ),
      1,
    );
  const r = await runs.cancel(runId, ctx.actor, { beforeApplyOnly: true });
  if (r.kind === 'refusal') return refused(r, 1);
  return { exitCode: 0, text: `Run ${runId} cancelled (it had not started).`, json: r };
}

export async function rollbackCommand(ctx: CliContext): Promise<CliOutcome> {
  const runId = requireOption(ctx, 'run', '<run id>');
  const r = await (await ctx.services()).runs.markRolledBack(runId, ctx.actor);
  if (r.kind === 'refusal') return refused(r, r.code === 'RUN_NOT_FOUND' ? 2 : 1);
  return {
    exitCode: 0,
    text: `Run ${runId} marked rolled back: ${r.migrations.join(', ') || 'no migration'} resolved as rolled back.`,
    json: r,
  };
}

export async function maintenanceCommand(ctx: CliContext): Promise<CliOutcome> {
  if (ctx.positionals[0] !== 'off' || ctx.positionals.length !== 1)
    throw new UsageError('maintenance takes `off`: drawbridge maintenance off --env <name>');
  const environment = requireEnv(ctx);
  const r = await (await ctx.services()).runs.turnEnvironmentMaintenanceOff(environment, ctx.actor);
  if (r.kind === 'refusal') return refused(r, r.code === 'UNKNOWN_ENVIRONMENT' ? 2 : 1);
  return {
    exitCode: 0,
    text: [
      `Maintenance mode of ${environment} turned off (${r.command.join(' ')}).`,
      ...(r.runs.length ? [`Runs that had left it on: ${r.runs.join(', ')}.`] : []),
      ...(r.output ? [r.output] : []),
    ].join('\n'),
    json: r,
  };
}
