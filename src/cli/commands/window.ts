/**
 * `drawbridge window schedule --env <name> --start <t> --duration <d> [--title …]`,
 * `drawbridge window list [--env <name>]`, `drawbridge window cancel --id <id>`: maintenance windows
 * as `/migrate window …` manages them (core WindowService). What a window sends out later — its
 * reminders and its Statuspage scheduled maintenance — is queued in the store and delivered by the
 * running bot (its ticker and outbox worker), not by the CLI.
 */
import type { MaintenanceWindow, WindowListing } from '../../core/index.js';
import type { CliContext } from '../context.js';
import { option, requireEnv, requireOption, UsageError } from '../context.js';
import { formatInstant, refused, type CliOutcome } from '../output.js';

function span(w: MaintenanceWindow): string {
  return `${formatInstant(w.startsAt)} – ${formatInstant(w.endsAt)}`;
}

function describe(l: WindowListing): string {
  const w = l.window;
  const runs = l.runs.map((r) => `${r.id} (${r.state.replace('_', ' ')}, by ${r.requestedBy})`);
  return [
    `${w.id}  ${w.environment}  ${span(w)}${l.open ? '  OPEN NOW' : ''}  "${w.title}"`,
    `  ${w.source === 'config' ? 'recurring, from the configuration' : `scheduled by ${w.createdBy}`}${runs.length ? ` · runs: ${runs.join(', ')}` : ''}`,
  ].join('\n');
}

/** The time zone a local start (`2026-12-03 02:00`) is read in: this host's. */
function hostTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

async function schedule(ctx: CliContext): Promise<CliOutcome> {
  const environment = requireEnv(ctx);
  const start = requireOption(ctx, 'start', '<2026-12-03T02:00Z | "2026-12-03 02:00">');
  const duration = requireOption(ctx, 'duration', '<30m | 2h | 1h30m>');
  const title = option(ctx, 'title');
  const timeZone = hostTimeZone();
  const r = await (
    await ctx.services()
  ).windows.schedule({
    environment,
    start,
    duration,
    ...(title ? { title } : {}),
    actor: ctx.actor,
    timeZone,
  });
  if (r.kind === 'refusal') return refused(r, 1);
  const statuspage = ctx.deps().config.environment(environment)?.statuspage !== undefined;
  const lines = [
    `Scheduled window ${r.window.id} for ${environment}: ${span(r.window)} "${r.window.title}".`,
    ...(r.note ? [r.note] : []),
    'Its reminders are sent by the running bot (the team channel), from the shared store.',
    ...(statuspage
      ? [
          'Its Statuspage scheduled maintenance is queued in the shared outbox; the running bot delivers it (drawbridge does not call Statuspage from the CLI).',
        ]
      : []),
  ];
  return { exitCode: 0, text: lines.join('\n'), json: { ...r, timeZone, statuspageQueued: statuspage } };
}

async function list(ctx: CliContext): Promise<CliOutcome> {
  const environment = option(ctx, 'env');
  if (environment && !ctx.deps().config.environment(environment))
    return refused({
      kind: 'refusal',
      code: 'UNKNOWN_ENVIRONMENT',
      message: `Unknown environment ${environment}. Environments: ${ctx.deps().config.environmentNames.join(', ')}.`,
    });
  const windows = (await ctx.services()).windows;
  // The recurring windows of the configuration, as the bot's ticker would have stored them.
  windows.materialize();
  const listed = windows.list(environment);
  const text = listed.length
    ? `${listed.length} open or upcoming window(s)${environment ? ` of ${environment}` : ''}, soonest first:\n${listed.map(describe).join('\n')}`
    : `No open or upcoming maintenance window${environment ? ` for ${environment}` : ''}.`;
  return { exitCode: 0, text, json: { windows: listed } };
}

async function cancel(ctx: CliContext): Promise<CliOutcome> {
  const id = requireOption(ctx, 'id', '<window id>');
  const r = await (await ctx.services()).windows.cancel(id, ctx.actor);
  if (r.kind === 'refusal') return refused(r, r.code === 'WINDOW_NOT_FOUND' ? 2 : 1);
  const lines = [
    `Cancelled window ${r.window.id} of ${r.window.environment} (${span(r.window)}).`,
    ...(r.runs.length ? [`Cancelled the runs waiting for it: ${r.runs.join(', ')}.`] : []),
    ...(ctx.deps().config.environment(r.window.environment)?.statuspage
      ? ['Deleting its Statuspage maintenance is queued in the shared outbox; the running bot delivers it.']
      : []),
  ];
  return { exitCode: 0, text: lines.join('\n'), json: r };
}

const SUBCOMMANDS: Record<string, (ctx: CliContext) => CliOutcome | Promise<CliOutcome>> = {
  schedule,
  list,
  cancel,
};

export async function windowCommand(ctx: CliContext): Promise<CliOutcome> {
  const [sub, ...extra] = ctx.positionals;
  const run = sub ? SUBCOMMANDS[sub] : undefined;
  if (!run || extra.length > 0) throw new UsageError('window takes schedule, list or cancel');
  return run(ctx);
}
