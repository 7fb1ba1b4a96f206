/**
 * Golden tests of the maintenance-window renderers: scheduled, cancelled, the list, the deploy offer
 * and the modal. Times go out as Slack dates (each reader's local time) with a UTC fallback.
 */
import type { MaintenanceWindow, WindowListing } from '../../src/core/index.js';
import {
  DEPLOY_IN_WINDOW_ACTION,
  WINDOW_DURATIONS,
  WINDOW_VIEW,
} from '../../src/slack/renderers/action-ids.js';
import {
  renderWindowCancelled,
  renderWindowList,
  renderWindowScheduled,
} from '../../src/slack/renderers/window-message.js';
import { windowModal } from '../../src/slack/renderers/window-modal.js';
import {
  decodeDeployInWindow,
  encodeDeployInWindow,
  plainSpan,
  renderWindowOffer,
} from '../../src/slack/renderers/window-offer-message.js';

const START = Date.UTC(2026, 11, 3, 2);
const HOUR = 3_600_000;

const WINDOW: MaintenanceWindow = {
  id: '0badc0de',
  environment: 'production',
  title: 'orders <index> & co',
  startsAt: START,
  endsAt: START + 2 * HOUR,
  source: 'slack',
  createdBy: 'U0ALICE',
  state: 'scheduled',
  createdAt: START - 48 * HOUR,
};

const SPAN =
  '<!date^1796263200^{date_short_pretty} {time}|2026-12-03 02:00 UTC>–<!date^1796270400^{time}|04:00 UTC>';
const DESCRIBED = `*production* · ${SPAN} (2h) · “orders &lt;index&gt; &amp; co”`;

describe('renderWindowScheduled', () => {
  it('renders the channel copy', () => {
    expect(renderWindowScheduled({ kind: 'scheduled', window: WINDOW })).toEqual({
      text: 'Maintenance window scheduled: production 2026-12-03 02:00 UTC for 2h "orders <index> & co" (0badc0de)',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: `:calendar: Maintenance window scheduled: ${DESCRIBED}` },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'Window `0badc0de`, scheduled by <@U0ALICE>. `/migrate window cancel 0badc0de` cancels it.',
            },
          ],
        },
      ],
    });
  });

  it("tells the requester how the start was read, the service's note and the UTC fallback", () => {
    const local = renderWindowScheduled(
      { kind: 'scheduled', window: WINDOW, note: '02:00 happens twice' },
      { timeZone: 'Europe/Oslo', fallback: false },
    );
    const notes = (local.blocks[1] as unknown as { elements: { text: string }[] }).elements.map(
      (e) => e.text,
    );
    expect(notes).toEqual([
      ':information_source: 02:00 happens twice',
      'A start without an offset was read in your time zone, Europe/Oslo.',
      'Window `0badc0de`, scheduled by <@U0ALICE>. `/migrate window cancel 0badc0de` cancels it.',
    ]);
    const utc = renderWindowScheduled(
      { kind: 'scheduled', window: WINDOW },
      { timeZone: 'UTC', fallback: true },
    );
    expect(JSON.stringify(utc.blocks)).toContain('Your time zone could not be read from Slack');
  });

  it('shows the date of an end on another day, and a window from the configuration', () => {
    const late: MaintenanceWindow = {
      ...WINDOW,
      title: '',
      startsAt: Date.UTC(2026, 11, 3, 23),
      endsAt: Date.UTC(2026, 11, 4, 1),
      source: 'config',
      createdBy: 'config',
    };
    const msg = renderWindowScheduled({ kind: 'scheduled', window: late });
    expect(JSON.stringify(msg.blocks)).toContain(
      '*production* · <!date^1796338800^{date_short_pretty} {time}|2026-12-03 23:00 UTC>–<!date^1796346000^{date_short_pretty} {time}|2026-12-04 01:00 UTC> (2h)',
    );
    expect(JSON.stringify(msg.blocks)).toContain('recurring, from the configuration');
  });
});

describe('renderWindowCancelled', () => {
  it('names the window and the runs cancelled with it', () => {
    const msg = renderWindowCancelled({ kind: 'cancelled', window: WINDOW, runs: ['1a2b3c4d'] }, 'U0BOB');
    expect(msg.blocks).toEqual([
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `:wastebasket: <@U0BOB> cancelled maintenance window \`0badc0de\`: ${DESCRIBED}. The run(s) waiting for it were cancelled too: \`1a2b3c4d\`.`,
        },
      },
    ]);
    expect(msg.text).toBe(
      'Maintenance window 0badc0de cancelled: production 2026-12-03 02:00 UTC for 2h "orders <index> & co"',
    );
  });
});

describe('renderWindowList', () => {
  it('lists open and upcoming windows with their runs', () => {
    const listings: WindowListing[] = [
      {
        window: WINDOW,
        open: true,
        runs: [{ id: '1a2b3c4d', state: 'awaiting_window', requestedBy: 'U0CAROL' }],
      },
      {
        window: {
          ...WINDOW,
          id: 'feedf00d',
          title: '',
          startsAt: START + 24 * HOUR,
          endsAt: START + 25 * HOUR,
        },
        open: false,
        runs: [],
      },
    ];
    const msg = renderWindowList(listings, 'production');
    expect(msg.text).toBe('2 open or upcoming maintenance window(s) for production');
    expect(msg.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'Maintenance windows · production', emoji: true },
    });
    expect(msg.blocks[1]).toEqual({
      type: 'section',
      text: {
        type: 'mrkdwn',
        text: [
          `:large_green_circle: *open now* \`0badc0de\` · ${DESCRIBED} · scheduled by <@U0ALICE>`,
          '    ↳ run `1a2b3c4d` (awaiting window, requested by <@U0CAROL>)',
          ':calendar: `feedf00d` · *production* · <!date^1796349600^{date_short_pretty} {time}|2026-12-04 02:00 UTC>–<!date^1796353200^{time}|03:00 UTC> (1h) · scheduled by <@U0ALICE>',
          '    ↳ no runs scheduled',
        ].join('\n'),
      },
    });
  });

  it('says so when there is none', () => {
    const msg = renderWindowList([]);
    expect(msg.text).toBe('No open or upcoming maintenance windows');
    expect(JSON.stringify(msg.blocks)).toContain('`/migrate window` or');
  });
});

describe('renderWindowOffer', () => {
  it('offers the next window with a button whose value names it', () => {
    const msg = renderWindowOffer({
      environment: 'production',
      message: 'production deploys only inside a maintenance window.',
      next: WINDOW,
      reason: 'add orders index',
      timeZone: 'Europe/Oslo',
    });
    const actions = msg.blocks.find((b) => b.type === 'actions') as unknown as {
      elements: { text: { text: string }; action_id: string; value: string }[];
    };
    const button = actions.elements[0];
    expect(button?.action_id).toBe(DEPLOY_IN_WINDOW_ACTION);
    expect(button?.text.text).toBe('Run in the window of Thu 3 Dec 03:00–05:00 Europe/Oslo');
    expect(decodeDeployInWindow(button?.value)).toEqual({
      environment: 'production',
      windowId: '0badc0de',
      reason: 'add orders index',
    });
    expect(msg.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: `Next window: ${DESCRIBED} · \`0badc0de\`` },
    });
  });

  it('without a next window, says how to schedule one', () => {
    const msg = renderWindowOffer({
      environment: 'production',
      message: 'Outside a window.',
      reason: '',
      timeZone: 'UTC',
    });
    expect(msg.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(JSON.stringify(msg.blocks)).toContain('No window of *production* is scheduled');
  });
});

describe('plainSpan', () => {
  it.each([
    ['UTC', START, START + 2 * HOUR, 'Thu 3 Dec 02:00–04:00 UTC'],
    ['Etc/UTC', START, START + 2 * HOUR, 'Thu 3 Dec 02:00–04:00 UTC'],
    ['America/New_York', START, START + 2 * HOUR, 'Wed 2 Dec 21:00–23:00 America/New_York'],
    [
      'Asia/Tokyo',
      Date.UTC(2026, 11, 3, 14),
      Date.UTC(2026, 11, 3, 16),
      'Thu 3 Dec 23:00–Fri 4 Dec 01:00 Asia/Tokyo',
    ],
    ['Not/AZone', START, START + 2 * HOUR, 'Thu 3 Dec 02:00–04:00 UTC'],
  ])('in %s', (zone, start, end, expected) => {
    expect(plainSpan(start, end, zone)).toBe(expected);
  });
});

describe('the button value', () => {
  it.each([
    ['not json', undefined],
    [JSON.stringify({ environment: 'production', windowId: 'nothex!!', reason: '' }), undefined],
    [JSON.stringify({ environment: '../etc', windowId: '0badc0de', reason: '' }), undefined],
    [JSON.stringify({ environment: 'production', windowId: '0badc0de' }), undefined],
    ['x'.repeat(2001), undefined],
    [42, undefined],
  ])('refuses %j', (value, expected) => {
    expect(decodeDeployInWindow(value)).toBe(expected);
  });

  it('stays under Slack’s 2000 characters with the longest reason', () => {
    const value = encodeDeployInWindow({
      environment: 'production',
      windowId: '0badc0de',
      reason: 'é'.repeat(300),
    });
    expect(value.length).toBeLessThan(2000);
    expect(decodeDeployInWindow(value)?.reason).toHaveLength(300);
  });
});

describe('windowModal', () => {
  it('has the five inputs, the durations and the channel in private_metadata', () => {
    const view = windowModal({
      environments: ['staging', 'production'],
      channel: 'C0DEPLOY',
      timeZone: 'Europe/Oslo',
    });
    expect(view.callback_id).toBe(WINDOW_VIEW.callbackId);
    expect(view.private_metadata).toBe('C0DEPLOY');
    const inputs = view.blocks as unknown as {
      block_id: string;
      optional?: boolean;
      label: { text: string };
      element: { type: string; action_id: string; options?: { value: string }[] };
    }[];
    expect(inputs.map((b) => [b.block_id, b.element.type, b.element.action_id, b.optional ?? false])).toEqual(
      [
        ['environment', 'static_select', 'environment', false],
        ['date', 'datepicker', 'date', false],
        ['time', 'timepicker', 'time', false],
        ['duration', 'static_select', 'duration', false],
        ['title', 'plain_text_input', 'title', true],
      ],
    );
    expect(inputs[0]?.element.options?.map((o) => o.value)).toEqual(['staging', 'production']);
    expect(inputs[2]?.label.text).toBe('Start time (Europe/Oslo)');
    expect(inputs[3]?.element.options?.map((o) => o.value)).toEqual([...WINDOW_DURATIONS]);
  });
});
