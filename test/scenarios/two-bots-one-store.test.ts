/**
 * Two bots on one store, as during a restart where the new process is up before the old one has
 * gone: the run is driven by one (its events queue the run message's updates) while the other's
 * outbox worker delivers them. The run message must still end showing the run as it ended, with its
 * ways back: a bot must not take an update that another process delivered for one still queued.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL, startTestBot, type StartBotOptions, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import {
  blocksText,
  buttonsOf,
  currentMessage,
  requestAndApprove,
  waitForRunState,
} from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';

const failing = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/deploy/failing');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('two bots on one store', () => {
  let db: TestDatabase;
  let driver: TestBot;
  let deliverer: TestBot;

  beforeAll(async () => {
    db = await createTestDatabase('two_bots');
    await seedLedger(db.url, failing, { applied: ['20250101000000_init'] });
    const opts: StartBotOptions = {
      mode: 'http',
      environments: {
        failing: {
          database: { urlEnv: 'TWO_BOTS_DATABASE_URL' },
          migrations: failing,
          approvals: { required: 1, approvers: [BOB] },
          // Longer than the other bot's idle poll (5 s): it delivers an update while the run waits here.
          maintenance: { on: ['sleep', '6'], off: ['true'] },
        },
      },
      vars: { TWO_BOTS_DATABASE_URL: db.url },
      emulator: {
        users: [
          { id: ALICE, name: 'alice' },
          { id: BOB, name: 'bob' },
        ],
      },
    };
    driver = await startTestBot(opts);
    deliverer = await startTestBot({ ...opts, restartOf: { dir: dirname(driver.dataDir), emu: driver.emu } });
    // Slack talks to the first bot, and only the second one delivers.
    driver.emu.setRequestUrl(`http://127.0.0.1:${driver.app.port}/slack/events`);
    await driver.app.bot.worker.stop();
  }, 60_000);

  afterAll(async () => {
    await deliverer?.stop();
    await driver?.stop();
    await db?.drop();
  });

  it("the run message ends with the run's final state and its ways back, delivered by the other bot", async () => {
    const { runId, ts } = await requestAndApprove(driver, {
      requester: ALICE,
      approver: BOB,
      environment: 'failing',
    });
    // The other bot delivers an update in the middle of the run…
    await driver.emu.waitFor(() => driver.emu.calls.some((c) => c.method === 'chat.update'), {
      what: 'an update of the run message',
      timeoutMs: 20_000,
    });
    expect(driver.app.runs.runs.getRun(runId)?.state).toBe('running');
    // …and the message must still end with the run as it ended.
    const run = await waitForRunState(driver, runId, ['failed', 'done']);
    expect(run.state).toBe('failed');
    const final = await driver.emu.waitFor(
      () => {
        const m = currentMessage(driver, CHANNEL, ts);
        return buttonsOf(m).includes('run_restore') ? m : undefined;
      },
      { what: 'the run message with Restore backup', timeoutMs: 20_000 },
    );
    expect(blocksText(final)).toContain('20250103000000_bad_backfill');
  }, 90_000);
});
