/**
 * A screen in front of the Socket Mode client. `@slack/socket-mode` 3.1 (under Bolt 5.1) handles each WebSocket message
 * in an async listener nobody awaits and reads `message.type` and `message.payload.event.type` without
 * checking them: a message `null`, or an `events_api` envelope without an event, throws there and the
 * process dies of an unhandled rejection. Only Slack can send on this connection, but the bot must not
 * die of any input. The screen parses each text message first and drops a malformed one with a warning
 * (unacked: the client offers no public way to ack, and Slack treats it as unanswered, which it is); a
 * sound one goes to the client's own handler, whose rejections are logged instead of ending the process.
 */
import type { SocketModeReceiver } from '@slack/bolt';
import { describeError } from '../../base/errors.js';
import type { Logger } from '../../base/logger.js';
import { socketMessageProblem } from './slack-body.js';

type SocketModeClient = SocketModeReceiver['client'];
type MessageListener = (data: string | ArrayBuffer | Buffer, isBinary: boolean) => unknown;

/** The event the Socket Mode client's WebSocket wrapper emits for every message it receives. */
const MESSAGE_EVENT = 'ws_message';

function textOf(data: string | ArrayBuffer | Buffer): string {
  return typeof data === 'string' ? data : new TextDecoder().decode(data);
}

function envelopeIdOf(message: unknown): string | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const id = (message as { envelope_id?: unknown }).envelope_id;
  return typeof id === 'string' ? id : undefined;
}

/**
 * Replaces the client's message listener by a screened one (call before `app.start`). Throws when the
 * client does not have exactly one such listener: a newer client wired differently must not run
 * unguarded without anyone noticing.
 */
export function guardSocketModeClient(client: SocketModeClient, logger: Logger): void {
  const listeners = client.listeners(MESSAGE_EVENT) as MessageListener[];
  const handle = listeners[0];
  if (listeners.length !== 1 || handle === undefined) {
    throw new Error(
      `Socket Mode client has ${listeners.length} '${MESSAGE_EVENT}' listeners, expected 1: cannot guard it`,
    );
  }
  client.removeListener(MESSAGE_EVENT, handle);
  client.on(MESSAGE_EVENT, (data: string | ArrayBuffer | Buffer, isBinary: boolean) => {
    if (!isBinary) {
      const text = textOf(data);
      let message: unknown;
      let problem: string | undefined;
      try {
        message = JSON.parse(text) as unknown;
        problem = socketMessageProblem(message);
      } catch {
        problem = 'the message is not JSON';
      }
      if (problem !== undefined) {
        logger.warn(
          { reason: problem, envelopeId: envelopeIdOf(message) },
          'dropped a malformed Socket Mode message',
        );
        return;
      }
    }
    Promise.resolve(handle.call(client, data, isBinary)).catch((err: unknown) => {
      logger.error({ err: describeError(err) }, 'handling a Socket Mode message failed');
    });
  });
}
