/**
 * A small real Bolt app used to check the emulator: `/migrate` posts an approval message with a
 * button, the button updates the message, `/migrate schedule` opens a modal whose submission is
 * validated with `response_action: errors`.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import bolt from '@slack/bolt';
import type { App as BoltApp } from '@slack/bolt';

const { App, LogLevel } = bolt;

export const SIGNING_SECRET = 'emu-signing-secret-0123456789abcdef';
export const BOT_TOKEN = 'xoxb-1111-2222-emulator';
export const APP_TOKEN = 'xapp-1-A0MIGBOT1-3333-emulator';

export interface FixtureApp {
  app: BoltApp;
  /** HTTP mode: `http://127.0.0.1:PORT/slack/events`. */
  requestUrl?: string;
  /** What the listeners saw, in order. */
  seen: string[];
  stop(): Promise<void>;
}

function register(app: BoltApp, seen: string[]): void {
  app.command('/migrate', async ({ command, ack, client }) => {
    seen.push(`command:${command.text}`);
    if (command.text === 'schedule') {
      await ack();
      await client.views.open({
        trigger_id: command.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'schedule',
          private_metadata: 'mig_42',
          title: { type: 'plain_text', text: 'Schedule migration' },
          submit: { type: 'plain_text', text: 'Schedule' },
          blocks: [
            {
              type: 'input',
              block_id: 'notes',
              label: { type: 'plain_text', text: 'Notes' },
              element: { type: 'plain_text_input', action_id: 'notes_input' },
            },
          ],
        },
      });
      return;
    }
    await ack(`Planning ${command.text}...`);
    await client.chat.postMessage({
      channel: command.channel_id,
      text: `Migration plan for ${command.text} needs approval`,
      blocks: [
        {
          type: 'section',
          block_id: 'summary',
          text: { type: 'mrkdwn', text: `Plan for *${command.text}*` },
        },
        {
          type: 'actions',
          block_id: 'decision:mig_42',
          elements: [
            {
              type: 'button',
              action_id: 'migration_approve',
              style: 'primary',
              value: 'mig_42',
              text: { type: 'plain_text', text: 'Approve' },
            },
          ],
        },
      ],
    });
  });

  app.action('migration_approve', async ({ body, ack, client, action }) => {
    await ack();
    const value = action.type === 'button' ? action.value : undefined;
    seen.push(`action:${String(value)}:${body.user.id}`);
    if (body.type !== 'block_actions' || body.channel === undefined || body.message === undefined) return;
    await client.chat.update({
      channel: body.channel.id,
      ts: body.message.ts,
      text: `Approved by <@${body.user.id}>`,
      blocks: [
        {
          type: 'context',
          block_id: 'decided:mig_42',
          elements: [{ type: 'mrkdwn', text: `Approved by <@${body.user.id}>` }],
        },
      ],
    });
  });

  app.event('app_mention', async ({ event, say }) => {
    seen.push(`mention:${event.text}`);
    await say({ text: `Hello <@${String(event.user)}>`, thread_ts: event.ts });
  });

  app.view('schedule', async ({ ack, view }) => {
    const notes = view.state.values.notes?.notes_input?.value;
    seen.push(`view:${view.private_metadata}:${String(notes)}`);
    if (!notes) {
      await ack({ response_action: 'errors', errors: { notes: 'Please write why' } });
      return;
    }
    await ack();
  });
}

function clientOptions(apiUrl: string) {
  return { slackApiUrl: apiUrl, retryConfig: { retries: 0 }, timeout: 5000 };
}

/** Starts the app with its HTTPReceiver on a free loopback port. */
export async function startHttpApp(apiUrl: string): Promise<FixtureApp & { requestUrl: string }> {
  const seen: string[] = [];
  const app = new App({
    token: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    logLevel: LogLevel.ERROR,
    clientOptions: clientOptions(apiUrl),
  });
  register(app, seen);
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  const { port } = server.address() as AddressInfo;
  return {
    app,
    seen,
    requestUrl: `http://127.0.0.1:${port}/slack/events`,
    stop: () => app.stop() as Promise<void>,
  };
}

/** Starts the app in Socket Mode; resolves once the emulator said hello. */
export async function startSocketApp(apiUrl: string): Promise<FixtureApp> {
  const seen: string[] = [];
  const app = new App({
    token: BOT_TOKEN,
    appToken: APP_TOKEN,
    socketMode: true,
    logLevel: LogLevel.ERROR,
    clientOptions: clientOptions(apiUrl),
  });
  register(app, seen);
  await app.start();
  return { app, seen, stop: () => app.stop() as Promise<void> };
}
