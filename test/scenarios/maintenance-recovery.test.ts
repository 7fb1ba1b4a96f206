/**
 * Issue 10, item 4: maintenance mode is recorded on the run (its steps), so a restart after a crash
 * mid-deploy says "maintenance mode is still ON" and offers Turn maintenance off, which runs the
 * environment's maintenance.off command and records it. Real bot process, real PostgreSQL.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL } from '../support/bot.js';
import { killHard, pollUntil } from '../support/bot-process.js';
import { startProcessScenario, type ProcessScenario } from '../support/process-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, buttonsOf, requestAndApprove, waitForActiveQuery } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/slow');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('maintenance mode left on by a crash', () => {
  let db: TestDatabase;
  let s: ProcessScenario;
  let dir: string;
  let flag: string;

  beforeAll(async () => {
    db = await createTestDatabase('maint_recovery');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-maint-'));
    flag = join(dir, 'maintenance-on');
    s = await startProcessScenario({
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: fixture,
          approvals: { required: 1, approvers: [BOB] },
          maintenance: { on: ['touch', flag], off: ['rm', '-f', flag] },
        },
      },
      vars: { STAGING_DATABASE_URL: db.url },
    });
  }, 60_000);

  afterAll(async () => {
    await s?.close();
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('after the restart the thread says it is still ON, and Turn maintenance off turns it off', async () => {
    const bot = await s.start();
    const { runId, ts } = await requestAndApprove(s, { requester: ALICE, approver: BOB });
    await waitForActiveQuery(db, '%pg_sleep%');
    expect(existsSync(flag)).toBe(true);
    await killHard(bot);
    await s.start();
    const updated = await s.emu.waitFor(
      () => {
        const m = s.emu.transcript(CHANNEL).find((x) => x.ts === ts);
        return m && buttonsOf(m).includes('run_maintenance_off') ? m : undefined;
      },
      { what: 'Turn maintenance off offered', timeoutMs: 30_000 },
    );
    const reply = (updated.replies ?? [])
      .map((r) => blocksText(r))
      .find((t) => t.includes('Drawbridge restarted'));
    expect(reply).toContain('Maintenance mode is still ON');
    // The requester turns it off.
    await s.emu.clickButton({
      user: ALICE,
      channel: CHANNEL,
      messageTs: ts,
      actionId: 'run_maintenance_off',
      value: runId,
    });
    await pollUntil(() => !existsSync(flag), { what: 'the maintenance flag removed', timeoutMs: 20_000 });
    await s.emu.waitFor(
      () => {
        const m = s.emu.transcript(CHANNEL).find((x) => x.ts === ts);
        return m && !buttonsOf(m).includes('run_maintenance_off') ? m : undefined;
      },
      { what: 'the button gone', timeoutMs: 20_000 },
    );
    expect(s.auditActions(runId)).toEqual(expect.arrayContaining(['step:started', 'step:succeeded']));
  }, 120_000);
});
