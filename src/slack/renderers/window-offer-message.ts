/**
 * A deploy asked outside a window of an environment with `requireWindow`: the reason, and when a
 * window is scheduled, a button that requests the same deploy approved ahead, to start by itself at
 * the window's start. The button's value carries what the click needs, validated again on the click.
 * Pure.
 */
import * as z from 'zod';
import { formatUtc, type MaintenanceWindow } from '../../core/index.js';
import { DEPLOY_IN_WINDOW_ACTION } from './action-ids.js';
import { context, esc, finishMessage, section, truncate, type SlackMessage } from './blocks.js';
import { describeWindow } from './window-message.js';

/** Slack's limit on a button's value. */
export const MAX_BUTTON_VALUE = 2000;

/** The value of the "Run in the window" button. */
export const deployInWindowValue = z.object({
  environment: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/),
  windowId: z.string().regex(/^[0-9a-f]{8}$/),
  reason: z.string().max(300),
});
export type DeployInWindowValue = z.infer<typeof deployInWindowValue>;

/** The button's value as JSON; a reason too long to fit is shortened. */
export function encodeDeployInWindow(v: DeployInWindowValue): string {
  return JSON.stringify({ ...v, reason: truncate(v.reason, 300) });
}

/** Reads a clicked button's value; undefined when it is not one this renderer made. */
export function decodeDeployInWindow(value: unknown): DeployInWindowValue | undefined {
  if (typeof value !== 'string' || value.length > MAX_BUTTON_VALUE) return undefined;
  try {
    const parsed = deployInWindowValue.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function clock(ms: number, timeZone: string, withDay: boolean): string {
  const opts: Intl.DateTimeFormatOptions = {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...(withDay ? { weekday: 'short', day: 'numeric', month: 'short' } : {}),
  };
  return new Intl.DateTimeFormat('en-GB', opts).format(new Date(ms)).replace(',', '');
}

/**
 * `Thu 3 Dec 02:00–04:00 UTC`: a window in plain text (a button label cannot carry Slack dates), in
 * `timeZone` when it is a known zone, else in UTC.
 */
export function plainSpan(startMs: number, endMs: number, timeZone: string): string {
  let zone = timeZone;
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    zone = 'UTC';
  }
  const sameDay = clock(startMs, zone, true).slice(0, -5) === clock(endMs, zone, true).slice(0, -5);
  const label = zone === 'UTC' || zone === 'Etc/UTC' ? 'UTC' : zone;
  return `${clock(startMs, zone, true)}–${clock(endMs, zone, !sameDay)} ${label}`;
}

export interface WindowOffer {
  readonly environment: string;
  /** Core's explanation of why the deploy may not run now. */
  readonly message: string;
  readonly next?: MaintenanceWindow;
  readonly reason: string;
  /** The requester's time zone, for the button label. */
  readonly timeZone: string;
}

/** The ephemeral answer to a deploy outside a window: the reason, and the offer of the next window. */
export function renderWindowOffer(o: WindowOffer): SlackMessage {
  const head = section(`:clock3: ${esc(o.message)}`);
  if (!o.next) {
    return finishMessage(o.message, [
      head,
      context(
        `No window of *${esc(o.environment)}* is scheduled. \`/migrate window\` schedules one; then deploy again.`,
      ),
    ]);
  }
  const w = o.next;
  const label = truncate(`Run in the window of ${plainSpan(w.startsAt, w.endsAt, o.timeZone)}`, 75);
  return finishMessage(`${o.message} Next window: ${formatUtc(w.startsAt)} (${w.id})`, [
    head,
    section(`Next window: ${describeWindow(w)} · \`${w.id}\``),
    {
      type: 'actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: label, emoji: true },
          action_id: DEPLOY_IN_WINDOW_ACTION,
          style: 'primary',
          value: encodeDeployInWindow({ environment: o.environment, windowId: w.id, reason: o.reason }),
        },
      ],
    },
    context(
      'The run is planned and approved now and starts by itself at the window’s start, if the plan is unchanged, the approvals still hold and the preflight passes.',
    ),
  ]);
}
