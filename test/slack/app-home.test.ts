/**
 * Golden tests of the Home tab renderer: the status line in each case, the next window, the active
 * run with its step, the last runs, the Plan / Deploy buttons per environment, and the block limit.
 */
import type { EnvironmentStatus, MaintenanceWindow, RunView } from '../../src/core/index.js';
import {
  HOME_ACTIONS,
  renderAppHome,
  statusLine,
  type HomeEnvironment,
} from '../../src/slack/renderers/app-home.js';

const NOW = Date.UTC(2026, 11, 1, 12);
const HOUR = 3_600_000;

function status(over: Partial<EnvironmentStatus['report']>): EnvironmentStatus {
  return {
    kind: 'status',
    environment: 'production',
    target: 'db:5432/app',
    migrationsDir: '/m',
    report: {
      migrations: [],
      counts: { applied: 7, pending: 0, failed: 0, rolled_back: 0, edited: 0, missing_from_folder: 0 },
      hasLedger: true,
      toApply: [],
      blocking: [],
      warnings: [],
      upToDate: true,
      ...over,
    },
  };
}

function run(id: string, state: string, steps: { name: string; state: string }[] = []): RunView {
  return {
    run: {
      id,
      environment: 'production',
      state,
      requestedBy: 'U0ALICE01',
      plan: { migrations: [{ name: 'a' }, { name: 'b' }] },
      createdAt: NOW - HOUR,
    },
    steps,
  } as unknown as RunView;
}

const WINDOW: MaintenanceWindow = {
  id: '0badc0de',
  environment: 'production',
  title: 'Weekly <maintenance>',
  startsAt: NOW + 2 * HOUR,
  endsAt: NOW + 4 * HOUR,
  source: 'config',
  createdBy: 'config',
  state: 'scheduled',
  createdAt: NOW - 48 * HOUR,
};

describe('statusLine', () => {
  it.each([
    [status({}), ':large_green_circle: Up to date (7 applied)'],
    [status({ toApply: ['x', 'y'], upToDate: false }), ':large_yellow_circle: 2 migration(s) to apply'],
    [
      status({ blocking: [{ code: 'P3009', message: 'failed', hint: 'resolve' }] as never }),
      ':no_entry: Blocked: P3009 (`/migrate status production`)',
    ],
    [
      { kind: 'unreachable' as const, message: 'connect <ECONNREFUSED>' },
      ':grey_question: Status unreachable: connect &lt;ECONNREFUSED&gt;',
    ],
  ])('%#', (s, line) => {
    expect(statusLine(s)).toBe(line);
  });
});

describe('renderAppHome', () => {
  const production: HomeEnvironment = {
    name: 'production',
    status: status({ toApply: ['x'], upToDate: false }),
    nextWindow: WINDOW,
    runs: [
      run('aaaa0003', 'running', [
        { name: 'preflight', state: 'succeeded' },
        { name: 'backup', state: 'running' },
      ]),
      run('aaaa0002', 'done'),
      run('aaaa0001', 'failed'),
    ],
  };
  const staging: HomeEnvironment = {
    name: 'staging',
    status: { kind: 'unreachable', message: 'timeout' },
    runs: [],
  };

  it('shows each environment: status, next window, active run and step, last runs, buttons', () => {
    const view = renderAppHome([production, staging], NOW);
    expect(view.type).toBe('home');
    expect(view.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'context',
      'actions',
      'divider',
      'section',
      'context',
      'actions',
      'context',
    ]);
    const prod = JSON.stringify(view.blocks[1]);
    expect(prod).toContain('*production*');
    expect(prod).toContain(':large_yellow_circle: 1 migration(s) to apply');
    expect(prod).toContain('Next window: *Weekly &lt;maintenance&gt;*, <!date^1796133600^');
    expect(prod).toContain('Run *aaaa0003* is *running* · step: Backup, requested by <@U0ALICE01>');
    const last = JSON.stringify(view.blocks[2]);
    expect(last).toContain('`aaaa0002` 2026-12-01 11:00 UTC · done · 2 migration(s)');
    expect(last).toContain('`aaaa0001`');
    expect(last).not.toContain('aaaa0003');
    expect(view.blocks[3]).toEqual({
      type: 'actions',
      block_id: 'home:production',
      elements: [
        {
          type: 'button',
          action_id: HOME_ACTIONS.plan,
          text: { type: 'plain_text', text: 'Plan', emoji: true },
          value: 'production',
        },
        {
          type: 'button',
          action_id: HOME_ACTIONS.deploy,
          text: { type: 'plain_text', text: 'Deploy', emoji: true },
          value: 'production',
          style: 'primary',
        },
      ],
    });
    const stag = JSON.stringify(view.blocks.slice(5, 7));
    expect(stag).toContain('Status unreachable: timeout');
    expect(stag).toContain('No maintenance window scheduled');
    expect(stag).toContain('No finished runs yet.');
  });

  it('says when a window is open now', () => {
    const open = { ...production, nextWindow: { ...WINDOW, startsAt: NOW - HOUR } };
    expect(JSON.stringify(renderAppHome([open], NOW).blocks[1])).toContain('open now, until <!date^');
  });

  it('stays within Slack’s block limit with many environments', () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ ...staging, name: `env${i}` }));
    expect(renderAppHome(many, NOW).blocks.length).toBeLessThanOrEqual(50);
  });
});
