/**
 * Public types of the loopback Slack emulator (see /work/shared/slack-wire.md for the wire formats).
 */
import type { Clock } from '../../../src/base/clock.js';

/** A workspace member known to the emulator. */
export interface EmulatedUser {
  id: string;
  name: string;
  real_name?: string;
  /** IANA time zone users.info reports (default `Etc/UTC`). */
  tz?: string;
}

/** A channel known to the emulator. */
export interface EmulatedChannel {
  id: string;
  name: string;
  is_private?: boolean;
}

/** Options of {@link startSlackEmulator}. Ids default to the example ids of slack-wire.md. */
export interface EmulatorOptions {
  /** Signing secret the app verifies requests with. */
  signingSecret: string;
  /** The only valid bot token (`xoxb-...`). */
  botToken: string;
  /** The only valid app-level token (`xapp-...`) for apps.connections.open. */
  appToken?: string;
  teamId?: string;
  teamDomain?: string;
  botUserId?: string;
  botId?: string;
  appId?: string;
  /** Workspace members; default alice (U0ALICE01) and bob (U0BOB0001). */
  users?: EmulatedUser[];
  /** `S...` usergroup id -> member user ids. */
  usergroups?: Record<string, string[]>;
  /** Channels; default one channel C0MIGRATE1 `platform-migrations`. */
  channels?: EmulatedChannel[];
  /** Bot scopes; when given, methods needing another scope answer `missing_scope`. */
  scopes?: string[];
  /** How long Slack waits for the app's ack (HTTP response or Socket Mode ack). Default 3000. */
  ackTimeoutMs?: number;
  /** Clock for message ts, trigger_id expiry (3 s) and response_url expiry (30 min). Default wall clock. */
  clock?: Clock;
}

/** One Web API call (or response_url POST, method `response_url`) as the emulator received it. */
export interface ApiCall {
  method: string;
  /** Parsed arguments; JSON strings in form/multipart fields (blocks, view, files...) are decoded. */
  args: Record<string, unknown>;
  token: string | undefined;
  /** Clock time (ms) when it arrived. */
  at: number;
  /** The JSON answered (`{ok:false,...}` for errors and injected faults). */
  response: Record<string, unknown>;
  /** HTTP status answered (200 unless a fault said otherwise). */
  status: number;
  /** The injected fault that shaped this answer, if any. */
  fault?: Fault['kind'];
}

/** A stored Slack message. */
export interface Message {
  type: 'message';
  channel: string;
  ts: string;
  text: string;
  blocks?: Record<string, unknown>[];
  /** Author: the bot user id for bot messages, the member for echoed slash commands. */
  user: string;
  bot_id?: string;
  app_id?: string;
  subtype?: string;
  thread_ts?: string;
  /** Thread replies (transcript only). */
  replies?: Message[];
  edited?: { user: string; ts: string };
  /** Earlier versions, oldest first, when chat.update or replace_original changed it. */
  history?: { text: string; blocks?: Record<string, unknown>[] }[];
  files?: Record<string, unknown>[];
  /** Message metadata (`{ event_type, event_payload }`) given to chat.postMessage / chat.update. */
  metadata?: MessageMetadata;
  /** Ephemerals: the only user who sees it. */
  ephemeral_to?: string;
  /** How it got here: `chat.postMessage`, `chat.postEphemeral`, `response_url`, `ack`, `command_echo`, `files`. */
  source: string;
  deleted?: boolean;
}

/** A modal opened with views.open / views.push, or a Home tab published with views.publish (`view.type` 'home'). */
export interface View {
  id: string;
  /** The view as Slack returns it (callback_id, private_metadata, blocks, state, hash...). */
  view: Record<string, unknown>;
  /** User the modal was opened for (owner of the trigger_id). */
  user: string;
  open: boolean;
  /** `errors` map of the last `response_action: errors` ack, if any. */
  errors?: Record<string, string>;
  /** Set when the last ack was one Slack would reject (e.g. errors keyed by a non-input block_id). */
  invalidAck?: string;
}

/** What Slack saw when it delivered a user action to the app. */
export interface Delivery {
  /** HTTP status (HTTP mode); 200 for an ack in Socket Mode; 0 when no answer came in time. */
  status: number;
  ackMs: number;
  /** Response body; in Socket Mode the ack payload's text, or its JSON. */
  body: string;
  /** Parsed JSON ack (when the ack was an object). */
  json?: unknown;
  timedOut: boolean;
}

/** Slack message metadata as stored and returned with `include_all_metadata`. */
export interface MessageMetadata {
  event_type: string;
  event_payload: Record<string, unknown>;
}

/**
 * A fault to answer instead of running a Web API method, or, for `delay`, on top of running it:
 * - `ratelimit`: HTTP 429 with `Retry-After` and `{ok:false,error:'ratelimited'}`;
 * - `http`: that HTTP status (e.g. 500) with a JSON error body;
 * - `error`: HTTP 200 `{ok:false,error}` (e.g. `ratelimited`, `internal_error`), with a Retry-After
 *   header when `retryAfterSec` is given;
 * - `delay`: the method runs (a posted message exists at once) but the answer is sent only after `ms`
 *   of real time — longer than a client's timeout, the client never sees it.
 */
export type Fault =
  | { kind: 'ratelimit'; retryAfterSec: number }
  | { kind: 'http'; status: number }
  | { kind: 'error'; error: string; retryAfterSec?: number }
  | { kind: 'delay'; ms: number };

/**
 * Which calls of a method a fault hits. A number `n`: the next `n` calls (the original behaviour).
 * `{ every: n }`: every n-th call counted from the injection (the n-th, 2n-th, ...).
 * `{ fraction: f }`: each call with probability f (`random` makes it reproducible).
 * `count` bounds how many calls the fault hits in total (default: no bound).
 */
export type FaultSchedule =
  number | { every: number; count?: number } | { fraction: number; random?: () => number; count?: number };

/** A file uploaded through getUploadURLExternal + upload URL + completeUploadExternal. */
export interface UploadedFile {
  id: string;
  filename: string;
  length: number;
  title?: string;
  content?: Buffer;
  completed: boolean;
  channel?: string;
}

/** Running emulator. */
export interface SlackEmulator {
  /** `http://127.0.0.1:PORT/api/`: give it to Bolt as `clientOptions.slackApiUrl`. */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  /** HTTP mode: the app's request URL (its `/slack/events`). */
  setRequestUrl(url: string): void;
  /** Forces the delivery mode; otherwise HTTP if a request URL is set, else Socket Mode if connected. */
  setMode(mode: 'http' | 'socket'): void;
  readonly mode: 'http' | 'socket';
  /** Number of open Socket Mode connections. */
  readonly socketConnections: number;
  /** Resolves once `count` Socket Mode connections are open (after hello). */
  waitForSocket(count?: number, timeoutMs?: number): Promise<void>;
  /** Sends `{type:'disconnect', reason}` to every Socket Mode connection. */
  disconnectSockets(reason?: 'refresh_requested' | 'warning' | 'link_disabled'): void;
  slashCommand(a: { user: string; channel: string; text: string; command?: string }): Promise<Delivery>;
  clickButton(a: {
    user: string;
    channel: string;
    messageTs: string;
    actionId: string;
    value?: string;
    blockId?: string;
  }): Promise<Delivery>;
  submitView(a: {
    user: string;
    viewId: string;
    values: Record<string, Record<string, unknown>>;
  }): Promise<Delivery>;
  /** Clicks a button of a view (the Home tab published with views.publish, or a modal). */
  clickViewButton(a: {
    user: string;
    viewId: string;
    actionId: string;
    value?: string;
    blockId?: string;
  }): Promise<Delivery>;
  /** Delivers an Events API `event` (JSON POST in HTTP mode, `events_api` envelope in Socket Mode). */
  sendEvent(event: Record<string, unknown>): Promise<Delivery>;
  /** POSTs a raw body to the request URL with exactly these headers (HTTP mode). */
  postRaw(body: string, headers: Record<string, string>): Promise<{ status: number; body: string }>;
  /** Socket Mode: sends `text` verbatim on the newest connection (malformed envelopes included). */
  sendRawSocketMessage(text: string): void;
  readonly calls: ApiCall[];
  transcript(channel: string): Message[];
  ephemerals(filter?: { user?: string; channel?: string }): Message[];
  readonly views: Map<string, View>;
  readonly files: Map<string, UploadedFile>;
  waitFor<T>(
    fn: () => T | undefined | false | null,
    opts?: { timeoutMs?: number; what?: string },
  ): Promise<T>;
  /**
   * Answers calls of `method` with `fault` (see {@link Fault}); `schedule` says which calls (see
   * {@link FaultSchedule}; default the next one). Several faults on one method apply in the order they
   * were injected: the first one that hits a call shapes its answer.
   */
  injectFault(method: string, fault: Fault, schedule?: FaultSchedule): void;
  /** Removes the faults of `method`, or of every method. */
  clearFaults(method?: string): void;
  close(): Promise<void>;
}
