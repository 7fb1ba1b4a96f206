import { parseMigrateCommand, USAGE } from '../../src/slack/parse-migrate-command.js';

describe('parseMigrateCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['  status   staging ', { kind: 'status', environment: 'staging' }],
    ['STATUS prod-eu_1', { kind: 'status', environment: 'prod-eu_1' }],
    ['plan staging', { kind: 'plan', environment: 'staging' }],
    ['history production', { kind: 'history', environment: 'production' }],
    ['backups staging', { kind: 'backups', environment: 'staging' }],
    ['BACKUPS production', { kind: 'backups', environment: 'production' }],
    ['deploy production', { kind: 'deploy', environment: 'production', reason: '' }],
    [
      'deploy production add  orders index <!channel>',
      { kind: 'deploy', environment: 'production', reason: 'add orders index <!channel>' },
    ],
    ['cancel 1A2B3C4D', { kind: 'cancel', runId: '1a2b3c4d' }],
    ['rollback 0badc0de', { kind: 'rollback', runId: '0badc0de' }],
    ['watch 0BADC0DE', { kind: 'watch', runId: '0badc0de' }],
    ['maintenance off staging', { kind: 'maintenance_off', environment: 'staging' }],
    ['Maintenance OFF  prod-eu_1 ', { kind: 'maintenance_off', environment: 'prod-eu_1' }],
  ])('parses %j', (text, command) => {
    expect(parseMigrateCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['status', /exactly one environment/],
    ['status a b', /exactly one environment/],
    ['status Staging', /not an environment name/],
    ['status staging;rm -rf /', /exactly one environment|not an environment name/],
    ['status $(reboot)', /not an environment name/],
    ['status `id`', /not an environment name/],
    ['status staging\u0000', /control characters/],
    ['status \u001b[31mred', /control characters/],
    ['x'.repeat(10_000), /longer than 500/],
    ['launch rockets', /Unknown command `launch`/],
    ['deploy', /needs an environment/],
    ['deploy Prod', /not an environment name/],
    [`deploy staging ${'x'.repeat(301)}`, /reason is longer than 300/],
    ['plan', /exactly one environment/],
    ['backups', /exactly one environment/],
    ['backups staging production', /exactly one environment/],
    ['backups ../staging', /not an environment name/],
    ['cancel', /exactly one run id/],
    ['cancel 123', /not a run id/],
    ['rollback ../../etc', /not a run id/],
    ['watch', /`watch` takes exactly one run id/],
    ['watch staging', /not a run id/],
    ['help me', /\/migrate status/],
    ['maintenance', /takes `off` and one environment/],
    ['maintenance off', /takes `off` and one environment/],
    ['maintenance on staging', /takes `off` and one environment/],
    ['maintenance off staging production', /takes `off` and one environment/],
    ['maintenance off Staging', /not an environment name/],
    ['maintenance off $(reboot)', /not an environment name/],
  ])('answers %j with a usage reply', (text, problem) => {
    const res = parseMigrateCommand(text);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.reply).toMatch(problem);
      expect(res.reply).toContain('/migrate status <env>');
      expect(res.reply.length).toBeLessThan(1500);
    }
  });
});

describe('parseMigrateCommand: window', () => {
  it.each([
    ['window', { kind: 'window_modal' }],
    ['  WINDOW  ', { kind: 'window_modal' }],
    [
      'window schedule production 2026-12-03T02:00Z 2h',
      {
        kind: 'window_schedule',
        environment: 'production',
        start: '2026-12-03T02:00Z',
        duration: '2h',
        title: '',
      },
    ],
    [
      'window schedule production 2026-12-03t02:00:00+01:00 1H30M nightly  index build',
      {
        kind: 'window_schedule',
        environment: 'production',
        start: '2026-12-03T02:00:00+01:00',
        duration: '1h30m',
        title: 'nightly index build',
      },
    ],
    [
      'Window Schedule staging 2026-12-03 2:00 30m orders <!channel>',
      {
        kind: 'window_schedule',
        environment: 'staging',
        start: '2026-12-03 02:00',
        duration: '30m',
        title: 'orders <!channel>',
      },
    ],
    [
      `window schedule staging 2026-12-03 02:00 24h ${'t'.repeat(100)}`,
      {
        kind: 'window_schedule',
        environment: 'staging',
        start: '2026-12-03 02:00',
        duration: '24h',
        title: 't'.repeat(100),
      },
    ],
    ['window list', { kind: 'window_list' }],
    ['window LIST production', { kind: 'window_list', environment: 'production' }],
    ['window cancel 0BADC0DE', { kind: 'window_cancel', windowId: '0badc0de' }],
  ])('parses %j', (text, command) => {
    expect(parseMigrateCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['window open', /Unknown window command `open`/],
    ['window schedule', /needs an environment, a start and a duration/],
    ['window schedule production 2026-12-03T02:00Z', /needs an environment, a start and a duration/],
    ['window schedule Production 2026-12-03T02:00Z 2h', /not an environment name/],
    ['window schedule production tomorrow 2h', /`tomorrow` is not a start time/],
    ['window schedule production 2026-12-03 2h', /`2026-12-03` is not a start time/],
    ['window schedule production 2026-12-03T02:00 2h', /is not a start time/],
    ['window schedule production 2026-12-03 02:00', /needs a duration after the start/],
    ['window schedule production 2026-12-03 02:00 two-hours', /`two-hours` is not a duration/],
    ['window schedule production 2026-12-03T02:00Z h', /`h` is not a duration/],
    [`window schedule production 2026-12-03T02:00Z 2h ${'t'.repeat(101)}`, /title is longer than 100/],
    ['window list staging production', /at most one environment/],
    ['window list ../etc', /not an environment name/],
    ['window cancel', /exactly one window id/],
    ['window cancel 1a2b', /not a window id/],
    ['window cancel 1a2b3c4d 5e6f7a8b', /exactly one window id/],
  ])('answers %j with a usage reply', (text, problem) => {
    const res = parseMigrateCommand(text);
    expect(res.ok).toBe(false);
    if (!res.ok) {
      expect(res.reply).toMatch(problem);
      expect(res.reply).toContain('/migrate window schedule <env>');
    }
  });

  it('lists the window commands in the help', () => {
    for (const line of [
      '/migrate window`',
      'window schedule <env>',
      'window list [env]',
      'window cancel <id>',
    ])
      expect(USAGE).toContain(line);
  });
});
