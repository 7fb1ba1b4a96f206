/**
 * Steps 3 and 7: the configured maintenance-mode commands (e.g. `pm2 set api:MAINTENANCE true`),
 * run on the executor's host with argument arrays, their output in the thread. Maintenance goes off
 * right after verify, so that the post-deploy commands and the health check reach the application.
 */
import type { OutputLine } from '../../../exec/executor.js';
import { runChecked, tail } from '../../backup/run-checked.js';
import type { StepContext, StepOutcome } from '../run-context.js';
import { RunCancelled, StepStopped } from '../run-context.js';

const COMMAND_TIMEOUT_MS = 120_000;

/** Runs one configured command; its output goes to the thread. Throws StepStopped on failure. */
export async function runConfiguredCommand(
  ctx: StepContext,
  command: readonly string[],
  what: string,
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<string> {
  const [exe, ...args] = command;
  if (!exe) throw new StepStopped('COMMAND_EMPTY', `${what}: the command is empty`, false);
  const lines: string[] = [];
  const onOutput = (l: OutputLine): void => {
    lines.push(l.line);
    ctx.progress(`${what}: ${l.line.slice(0, 120)}`);
  };
  try {
    await runChecked(
      ctx.executor,
      {
        command: exe,
        args,
        signal: ctx.signal,
        timeoutMs: options.timeoutMs ?? COMMAND_TIMEOUT_MS,
        ...(options.env ? { env: options.env } : {}),
        ...(options.cwd ? { cwd: options.cwd } : {}),
      },
      what,
      { failed: 'COMMAND_FAILED', cancelled: 'COMMAND_CANCELLED' },
      onOutput,
    );
  } catch (err) {
    if (lines.length) ctx.detail(`${what} (output)`, tail(lines.join('\n'), 40), true);
    if (ctx.signal.aborted) throw new RunCancelled(`${what} was cancelled`);
    throw new StepStopped('COMMAND_FAILED', err instanceof Error ? err.message : String(err), false, {
      cause: err,
    });
  }
  if (lines.length) ctx.detail(what, tail(lines.join('\n'), 40), true);
  return `\`${command.join(' ')}\` ok`;
}

export async function maintenanceOnStep(ctx: StepContext): Promise<StepOutcome> {
  const m = ctx.env.maintenance;
  if (!m) return { state: 'skipped', summary: 'no maintenance command configured' };
  // Recorded first: if the command half-worked, the failure path still tries to turn it off.
  ctx.scratch.maintenanceOn = true;
  const summary = await runConfiguredCommand(ctx, m.on, 'Maintenance on', { cwd: ctx.env.prisma.cwd });
  return { state: 'succeeded', summary };
}

export async function maintenanceOffStep(ctx: StepContext): Promise<StepOutcome> {
  const m = ctx.env.maintenance;
  if (!m || !ctx.scratch.maintenanceOn)
    return { state: 'skipped', summary: 'maintenance mode was not turned on' };
  const summary = await runConfiguredCommand(ctx, m.off, 'Maintenance off', { cwd: ctx.env.prisma.cwd });
  ctx.scratch.maintenanceOn = false;
  return { state: 'succeeded', summary };
}
