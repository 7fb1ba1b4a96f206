/** The window reminder message (pure renderer): heading per kind, late mark, changes, voided approvals. */
import type { WindowReminderData } from '../../src/core/index.js';
import { renderWindowReminder } from '../../src/slack/renderers/window-reminder.js';

const START = Date.UTC(2026, 11, 8, 2);
const base: WindowReminderData = {
  windowId: 'ab12cd34',
  environment: 'production',
  title: 'Weekly <window>',
  startsAt: START,
  endsAt: START + 2 * 3_600_000,
  kind: 'before:24',
  changes: [],
  compared: false,
  runs: [],
  check: {
    summary: '2 pending migration(s); review 0 error(s), 0 warning(s); preflight passes',
    pending: ['a_b'],
    failing: [],
  },
};

function text(d: WindowReminderData): string {
  return JSON.stringify(renderWindowReminder(d).blocks);
}

describe('renderWindowReminder', () => {
  it.each([
    ['before:48', 'Maintenance window in 48 hours'],
    ['before:1', 'Maintenance window in 1 hour'],
    ['before:0.5', 'Maintenance window in 30 minutes'],
    ['start', 'Maintenance window open now'],
    ['end', 'Maintenance window ended'],
  ] as const)('%s reads "%s"', (kind, heading) => {
    expect(text({ ...base, kind })).toContain(heading);
  });

  it('escapes the title and shows times with Slack date formatting and a UTC fallback', () => {
    const t = text(base);
    expect(t).toContain('Weekly &lt;window&gt;');
    expect(t).toContain(`<!date^${START / 1000}^`);
    expect(t).toContain('2026-12-08 02:00 UTC');
  });

  it('marks a late reminder and says what changed, and that an approval is void', () => {
    const r = renderWindowReminder({
      ...base,
      lateSince: START - 3_600_000,
      compared: true,
      changes: ['Migration a_b was edited since the plan was shown.'],
      runs: [
        { id: '0badcafe', state: 'awaiting_approval', requestedBy: 'U0ALICE01', approvalVoid: ['edited'] },
      ],
    });
    const t = JSON.stringify(r.blocks);
    expect(t).toContain('Sent late');
    expect(t).toContain('Changed since the last reminder');
    expect(t).toContain('run 0badcafe');
    expect(t).toContain('its approval is void');
    expect(r.text).toContain('approval is void');
  });

  it('says when nothing changed, and warns when the check failed or a freeze covers it', () => {
    expect(text({ ...base, compared: true })).toContain('Nothing changed since the last reminder');
    const t = text({
      ...base,
      check: undefined,
      checkError: 'P1001: unreachable',
      freeze: { reason: 'Holidays', to: START + 86_400_000 },
    });
    expect(t).toContain('could not be checked: P1001: unreachable');
    expect(t).toContain('A freeze covers this window: Holidays');
  });
});
