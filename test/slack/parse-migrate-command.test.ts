import { parseMigrateCommand } from '../../src/slack/parse-migrate-command.js';

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
