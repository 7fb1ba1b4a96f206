import { slackBodyProblem, socketMessageProblem } from '../../src/slack/receivers/slack-body.js';

describe('slackBodyProblem', () => {
  it.each([
    [{ command: '/migrate', text: 'help' }],
    [{ type: 'block_actions', actions: [] }],
    [{ type: 'view_submission', view: {} }],
    [{ type: 'view_closed', view: {} }],
    [{ type: 'event_callback', event: { type: 'app_mention' } }],
    [{ type: 'url_verification', challenge: 'x' }],
    [{ ssl_check: '1' }],
  ])('lets %j through', (body) => {
    expect(slackBodyProblem(body)).toBeUndefined();
  });

  it.each([
    [null, 'the body is null, not an object'],
    [undefined, 'the body is missing, not an object'],
    [123, 'the body is a number, not an object'],
    ['str', 'the body is a string, not an object'],
    [[], 'the body is an array, not an object'],
    [{}, 'the body has neither a type nor a command'],
    [{ type: null }, 'the body has neither a type nor a command'],
    [{ command: 7 }, 'the body has neither a type nor a command'],
    [{ type: 'event_callback', event: null }, 'its event is null, not an object'],
    [{ type: 'event_callback', event: 'x' }, 'its event is a string, not an object'],
    [{ type: 'block_actions' }, 'its actions are missing, not an array'],
    [{ type: 'block_actions', actions: {} }, 'its actions are an object, not an array'],
    [{ type: 'view_submission', view: null }, 'its view is null, not an object'],
  ])('refuses %j: %s', (body, reason) => {
    expect(slackBodyProblem(body)).toBe(reason);
  });
});

describe('socketMessageProblem', () => {
  const env = (type: string, payload: unknown): unknown => ({ envelope_id: 'e1', type, payload });

  it.each([
    [{ type: 'hello' }],
    [{ type: 'disconnect', reason: 'refresh_requested' }],
    [env('slash_commands', { command: '/migrate' })],
    [env('interactive', { type: 'block_actions', actions: [] })],
    [env('events_api', { type: 'event_callback', event: { type: 'app_mention' } })],
  ])('lets %j through', (message) => {
    expect(socketMessageProblem(message)).toBeUndefined();
  });

  it.each([
    [null, 'the message is null, not an object'],
    [[], 'the message is an array, not an object'],
    [{}, 'the message has no type'],
    [{ type: 'interactive', payload: { type: 'shortcut' } }, 'the message has no envelope id'],
    [env('interactive', null), 'payload: the body is null, not an object'],
    [env('slash_commands', {}), 'payload: the body has neither a type nor a command'],
    [env('events_api', { type: 'event_callback' }), 'payload: an events_api payload without an event'],
    [env('events_api', { type: 'event_callback', event: null }), 'payload: its event is null, not an object'],
  ])('refuses %j: %s', (message, reason) => {
    expect(socketMessageProblem(message)).toBe(reason);
  });
});
