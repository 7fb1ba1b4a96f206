/**
 * Shape checks for what Slack delivers, applied before Bolt sees it. Bolt 5.1 reads `body.ssl_check`,
 * `body.type` and `body.event.*` of every parsed request, and the Socket Mode client reads
 * `message.type` and `message.payload.event.type` of every message, outside any try/catch: a body or
 * envelope that is `null` (or an event that is not an object) throws there and, being inside an async
 * callback nobody awaits, ends the process. Pure functions: a reason, or undefined when it is fine.
 */

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * Why a parsed request body (slash command form, interaction payload, Events API JSON) cannot be
 * dispatched, or undefined when it can: it must be an object with a string `type` or `command` (or be
 * Slack's `ssl_check`); an `event`, when present, must be an object; and the parts Bolt routes the
 * interactions we listen to by must be there (`actions` of a block action, `view` of a view
 * submission). Deeper faults reach Bolt, which answers them with 500 or 404 without dying.
 */
export function slackBodyProblem(body: unknown): string | undefined {
  if (!isObject(body)) return `the body is ${kindOf(body)}, not an object`;
  if (body.ssl_check === '1') return undefined;
  if (typeof body.type !== 'string' && typeof body.command !== 'string')
    return 'the body has neither a type nor a command';
  if ('event' in body && !isObject(body.event)) return `its event is ${kindOf(body.event)}, not an object`;
  if (body.type === 'block_actions' && !Array.isArray(body.actions))
    return `its actions are ${kindOf(body.actions)}, not an array`;
  if ((body.type === 'view_submission' || body.type === 'view_closed') && !isObject(body.view))
    return `its view is ${kindOf(body.view)}, not an object`;
  return undefined;
}

/** Message types the Socket Mode client handles without an envelope (no ack, no payload). */
const CONTROL_TYPES = new Set(['hello', 'disconnect']);

/**
 * Why a parsed Socket Mode message cannot be handed to the Socket Mode client, or undefined when it
 * can: an object with a string `type`; unless it is `hello` or `disconnect`, a string `envelope_id`
 * and a payload that passes {@link slackBodyProblem} (with an `event` object for `events_api`).
 */
export function socketMessageProblem(message: unknown): string | undefined {
  if (!isObject(message)) return `the message is ${kindOf(message)}, not an object`;
  if (typeof message.type !== 'string') return 'the message has no type';
  if (CONTROL_TYPES.has(message.type)) return undefined;
  if (typeof message.envelope_id !== 'string') return 'the message has no envelope id';
  const problem = slackBodyProblem(message.payload);
  if (problem) return `payload: ${problem}`;
  if (message.type === 'events_api' && !isObject((message.payload as JsonObject).event))
    return 'payload: an events_api payload without an event';
  return undefined;
}
