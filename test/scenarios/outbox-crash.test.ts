/**
 * Issue 10: the bot killed with SIGKILL while deliveries are pending (Slack failing every post and
 * update), then started again once Slack answers: every pending message is delivered, none twice.
 * The real bot process, real PostgreSQL, the Slack emulator in this process.
 */
import { mkdtempSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHANNEL } from '../support/bot.js';
import { killHard, pollUntil } from '../support/bot-process.js';
import { startProcessScenario, type ProcessScenario } from '../support/process-scenario.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText, buttonsOf } from '../support/run-scenario.js';
import { seedLedger } from '../support/seed-ledger.js';
import type { Message } from '../support/slack-emulator/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';

describe('SIGKILL with deliveries pending', () => {
  let db: TestDatabase;
  let s: ProcessScenario;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase('outbox_crash');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-outbox-crash-'));
    cpSync(fixture, join(dir, 'migrations'), { recursive: true });
    s = await startProcessScenario({
      environments: {
        staging: {
          database: { urlEnv: 'STAGING_DATABASE_URL' },
          migrations: join(dir, 'migrations'),
          approvals: { required: 1, approvers: [BOB] },
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

  const threadTexts = (ts: string): string[] =>
    (s.emu.transcript(CHANNEL).find((m) => m.ts === ts)?.replies ?? []).map((r: Message) => blocksText(r));

  it('delivers every pending message after the restart, none twice', async () => {
    const bot = await s.start();
    await s.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: 'deploy staging' });
    const msg = await s.emu.waitFor(
      () => s.emu.transcript(CHANNEL).find((m) => buttonsOf(m).includes('run_approve')),
      { what: 'the run message', timeoutMs: 20_000 },
    );
    const runId = /run ([0-9a-f]{8})/.exec(blocksText(msg))?.[1] ?? '';
    await pollUntil(() => threadTexts(msg.ts).some((t) => t.includes('Approval requested')), {
      what: 'the approval request in the thread',
      timeoutMs: 20_000,
    });
    // From now on Slack fails every post and update: everything the run says waits in the outbox.
    s.emu.injectFault('chat.postMessage', { kind: 'error', error: 'internal_error' }, 10_000);
    s.emu.injectFault('chat.update', { kind: 'http', status: 500 }, 10_000);
    await s.emu.clickButton({
      user: BOB,
      channel: CHANNEL,
      messageTs: msg.ts,
      actionId: 'run_approve',
      value: runId,
    });
    await pollUntil(() => s.run(runId)?.state === 'done', { what: 'the run to be done', timeoutMs: 60_000 });
    const before = threadTexts(msg.ts).length;
    expect(s.pendingDeliveries()).toBeGreaterThan(0);
    await killHard(bot);
    s.emu.clearFaults();

    await s.start();
    await pollUntil(() => s.pendingDeliveries() === 0, { what: 'the outbox to empty', timeoutMs: 60_000 });
    const texts = threadTexts(msg.ts);
    expect(texts.length).toBeGreaterThan(before);
    expect(texts.some((t) => t.includes('applied and verified'))).toBe(true);
    expect(texts.some((t) => t.startsWith('Verify'))).toBe(true);
    // None twice.
    expect(new Set(texts).size).toBe(texts.length);
    const final = s.emu.transcript(CHANNEL).find((m) => m.ts === msg.ts);
    expect(blocksText(final)).toContain('done');
  }, 150_000);
});
