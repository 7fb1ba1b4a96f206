/**
 * Maintenance windows as Slack shows them: scheduled, cancelled, and the list of open and upcoming
 * windows. Times use Slack's date formatting, so each reader sees their own local time (UTC in
 * clients that cannot render it). Pure.
 */
import {
  formatHours,
  formatSpan,
  formatUtc,
  type MaintenanceWindow,
  type WindowCancelled,
  type WindowListing,
  type WindowScheduled,
} from '../../core/index.js';
import {
  context,
  esc,
  finishMessage,
  header,
  section,
  sectionsFromLines,
  type SlackMessage,
} from './blocks.js';

/** How the requester's typed start was read: their Slack time zone, or UTC when it could not be read. */
export interface ReadIn {
  readonly timeZone: string;
  /** True when users.info did not give a time zone and UTC was used instead. */
  readonly fallback: boolean;
}

/** `*production* · <span> (2h) · “title”` — the one-line description of a window. */
export function describeWindow(w: MaintenanceWindow): string {
  const title = w.title ? ` · “${esc(w.title)}”` : '';
  return `*${esc(w.environment)}* · ${formatSpan(w.startsAt, w.endsAt)} (${formatHours(w.endsAt - w.startsAt)})${title}`;
}

function plainWindow(w: MaintenanceWindow): string {
  const title = w.title ? ` "${w.title}"` : '';
  return `${w.environment} ${formatUtc(w.startsAt)} for ${formatHours(w.endsAt - w.startsAt)}${title}`;
}

function origin(w: MaintenanceWindow): string {
  return w.source === 'config' ? 'recurring, from the configuration' : `scheduled by <@${w.createdBy}>`;
}

function readInLine(r: ReadIn): string {
  return r.fallback
    ? ':warning: Your time zone could not be read from Slack, so a start without an offset was read as UTC.'
    : `A start without an offset was read in your time zone, ${esc(r.timeZone)}.`;
}

/**
 * A window was scheduled. `readIn` (for the requester's own copy) says how the start was read; the
 * channel's copy leaves it out.
 */
export function renderWindowScheduled(s: WindowScheduled, readIn?: ReadIn): SlackMessage {
  const w = s.window;
  const notes = [
    ...(s.note ? [`:information_source: ${esc(s.note)}`] : []),
    ...(readIn ? [readInLine(readIn)] : []),
    `Window \`${w.id}\`, ${origin(w)}. \`/migrate window cancel ${w.id}\` cancels it.`,
  ];
  return finishMessage(`Maintenance window scheduled: ${plainWindow(w)} (${w.id})`, [
    section(`:calendar: Maintenance window scheduled: ${describeWindow(w)}`),
    context(...notes),
  ]);
}

/** A window was cancelled, with the scheduled runs cancelled along with it. */
export function renderWindowCancelled(c: WindowCancelled, actor: string): SlackMessage {
  const w = c.window;
  const runs = c.runs.length
    ? ` The run(s) waiting for it were cancelled too: ${c.runs.map((r) => `\`${r}\``).join(', ')}.`
    : '';
  return finishMessage(`Maintenance window ${w.id} cancelled: ${plainWindow(w)}`, [
    section(
      `:wastebasket: <@${actor}> cancelled maintenance window \`${w.id}\`: ${describeWindow(w)}.${runs}`,
    ),
  ]);
}

function listingLines(l: WindowListing): string {
  const w = l.window;
  const mark = l.open ? ':large_green_circle: *open now*' : ':calendar:';
  const runs = l.runs.length
    ? l.runs.map(
        (r) => `    ↳ run \`${r.id}\` (${esc(r.state.replace(/_/g, ' '))}, requested by <@${r.requestedBy}>)`,
      )
    : ['    ↳ no runs scheduled'];
  return [`${mark} \`${w.id}\` · ${describeWindow(w)} · ${origin(w)}`, ...runs].join('\n');
}

/** `/migrate window list [env]`: open and upcoming windows, soonest first, each with its runs. */
export function renderWindowList(listings: readonly WindowListing[], environment?: string): SlackMessage {
  const title = environment ? `Maintenance windows · ${environment}` : 'Maintenance windows';
  const where = environment ? ` for ${environment}` : '';
  if (listings.length === 0) {
    return finishMessage(`No open or upcoming maintenance windows${where}`, [
      header(title),
      context(
        `No open or upcoming windows${esc(where)}. \`/migrate window\` or \`/migrate window schedule <env> <start> <duration>\` adds one.`,
      ),
    ]);
  }
  return finishMessage(`${listings.length} open or upcoming maintenance window(s)${where}`, [
    header(title),
    ...sectionsFromLines(listings.map(listingLines)),
    context('Soonest first, in your own time zone. `/migrate window cancel <id>` cancels one.'),
  ]);
}
