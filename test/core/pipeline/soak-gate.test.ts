/**
 * The soak gate: `decideSoak` over every case, then the gate end to end on two real databases —
 * staging (the environment to soak on) and production (gated after staging) — with a manual clock:
 * blocked naming each migration that is missing, different or too recent; ready once all of them
 * finished on staging long enough ago; blocked, failing closed, when staging cannot be reached.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { stringify } from 'yaml';
import { ManualClock } from '../../../src/base/clock.js';
import { silentLogger } from '../../../src/base/logger.js';
import { buildCoreDeps, closeCoreDeps } from '../../../src/compose.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { CoreDeps } from '../../../src/core/deps.js';
import { preparePlan } from '../../../src/core/pipeline/plan-report.js';
import { decideSoak, soakCheck } from '../../../src/core/pipeline/soak-gate.js';
import { slackDate } from '../../../src/core/windows/time-input.js';
import type { PlanReport } from '../../../src/core/pipeline/types.js';
import { checksumOf } from '../../../src/migrations/checksum.js';
import { insertStartedRow, markRowFinished, markRowRolledBack } from '../../../src/migrations/ledger.js';
import { startRun } from '../../../src/core/pipeline/run-pipeline.js';
import { applyRunEvent } from '../../../src/core/runs/apply-run-event.js';
import { RunStore } from '../../../src/store/run-store.js';
import { renderPlanMessage } from '../../../src/slack/renderers/plan-message.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedLedger } from '../../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const folder = join(here, '../../fixtures/deploy/migrations');
const INIT = '20250101000000_init';
const ORDERS = '20250102000000_orders';
const USER_NAME = '20250103000000_user_name';
const H = 3_600_000;
const sum = (name: string): string => checksumOf(readFileSync(join(folder, name, 'migration.sql')));

describe('decideSoak', () => {
  const now = 100 * H;
  const soak = 24 * H;
  const a = { name: 'a', checksum: 'a'.repeat(64) };
  const b = { name: 'b', checksum: 'b'.repeat(64) };

  it.each([
    ['soaked exactly at the limit', [a], [{ ...a, finishedAt: now - soak }], true, now, ['soaked']],
    [
      'too recent by a millisecond',
      [a],
      [{ ...a, finishedAt: now - soak + 1 }],
      false,
      now + 1,
      ['too_recent'],
    ],
    ['missing', [a], [], false, undefined, ['missing']],
    ['another name only', [a], [{ ...b, finishedAt: 0 }], false, undefined, ['missing']],
    [
      'another checksum',
      [a],
      [{ ...a, checksum: 'c'.repeat(64), finishedAt: 0 }],
      false,
      undefined,
      ['different'],
    ],
    [
      'the earliest matching row counts (re-applied later)',
      [a],
      [
        { ...a, finishedAt: now - 30 * H },
        { ...a, finishedAt: now - H },
      ],
      true,
      now - 6 * H,
      ['soaked'],
    ],
    [
      'a matching row wins over one with another checksum',
      [a],
      [
        { ...a, checksum: 'c'.repeat(64), finishedAt: now - 30 * H },
        { ...a, finishedAt: now - H },
      ],
      false,
      now + 23 * H,
      ['too_recent'],
    ],
    [
      'the plan is eligible at the latest time',
      [a, b],
      [
        { ...a, finishedAt: now - 2 * H },
        { ...b, finishedAt: now - 5 * H },
      ],
      false,
      now + 22 * H,
      ['too_recent', 'too_recent'],
    ],
    [
      'unknown eligibility while one is missing',
      [a, b],
      [{ ...a, finishedAt: now - 2 * H }],
      false,
      undefined,
      ['too_recent', 'missing'],
    ],
  ])('%s', (_title, planned, rows, ok, eligibleAt, states) => {
    const v = decideSoak(planned, rows, now, soak, 'staging');
    expect(v.ok).toBe(ok);
    expect(v.eligibleAt).toBe(eligibleAt);
    expect(v.lines.map((l) => l.state)).toEqual(states);
  });

  it('takes fractional hours and an empty plan', () => {
    const v = decideSoak([a], [{ ...a, finishedAt: now - 0.5 * H }], now, 0.25 * H, 'staging');
    expect(v).toMatchObject({ ok: true, eligibleAt: now - 0.25 * H });
    expect(decideSoak([], [], now, soak, 'staging')).toEqual({
      ok: true,
      afterEnv: 'staging',
      soakMs: soak,
      lines: [],
    });
  });

  it('reads as one line per migration that has not soaked, with short checksums and Slack dates', () => {
    const check = soakCheck(
      decideSoak(
        [a, b, { name: 'c', checksum: 'c'.repeat(64) }],
        [
          { ...a, finishedAt: now - 2 * H },
          { ...b, checksum: 'd'.repeat(64), finishedAt: now - 2 * H },
        ],
        now,
        soak,
        'staging',
      ),
    );
    expect(check.status).toBe('fail');
    expect(check.message.split('\n')).toEqual([
      '3 of 3 migration(s) have not soaked on staging for 24 h:',
      `• \`a\`: too recent: finished on staging at ${slackDate(now - 2 * H)}, eligible at ${slackDate(now + 22 * H)}.`,
      `• \`b\`: different on staging: checksum bbbbbbbbbbbb here, dddddddddddd on staging.`,
      '• `c`: missing on staging (not finished there).',
      'The plan becomes eligible only once every migration above finished on staging as it is here.',
    ]);
    expect(slackDate(Date.UTC(2026, 11, 1, 9, 5, 30))).toBe(
      `<!date^${Date.UTC(2026, 11, 1, 9, 5, 30) / 1000}^{date_short_pretty} {time}|2026-12-01 09:05 UTC>`,
    );
  });
});

describe('the soak gate on real databases', () => {
  let staging: TestDatabase;
  let production: TestDatabase;
  let deps: CoreDeps;
  let clock: ManualClock;
  let initFinished: number;

  async function onStaging(work: (c: pg.Client) => Promise<void>): Promise<void> {
    const client = new pg.Client({ connectionString: staging.url });
    await client.connect();
    try {
      await work(client);
    } finally {
      await client.end();
    }
  }

  async function finishOnStaging(name: string, checksum: string): Promise<string> {
    let id = '';
    await onStaging(async (c) => {
      id = await insertStartedRow(c, name, checksum, new Date(clock.now()));
      await markRowFinished(c, id, new Date(clock.now()));
    });
    return id;
  }

  beforeAll(async () => {
    staging = await createTestDatabase('soak_staging');
    production = await createTestDatabase('soak_production');
    // The first migration as Prisma itself leaves it (its own clock, microseconds and all).
    await seedLedger(staging.url, folder, { applied: [INIT] });
    const row = await staging.query<{ finished_at: Date }>(
      'SELECT finished_at FROM _prisma_migrations WHERE migration_name = $1',
      [INIT],
    );
    initFinished = row.rows[0]!.finished_at.getTime();
    clock = new ManualClock(initFinished + 2 * H);
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-soak-'));
    const configPath = join(dir, 'drawbridge.yml');
    writeFileSync(
      configPath,
      stringify({
        slack: { channel: 'C0MIGRATE1' },
        environments: {
          staging: { database: { urlEnv: 'STAGING_URL' }, migrations: folder },
          production: {
            database: { urlEnv: 'PRODUCTION_URL' },
            migrations: folder,
            gate: { afterEnv: 'staging', soakHours: 4 },
          },
          ghost: { database: { urlEnv: 'GHOST_URL' }, migrations: folder },
          canary: {
            database: { urlEnv: 'PRODUCTION_URL' },
            migrations: folder,
            gate: { afterEnv: 'ghost', soakHours: 1 },
          },
        },
      }),
    );
    const config = loadConfig({
      vars: {
        STAGING_URL: staging.url,
        PRODUCTION_URL: production.url,
        GHOST_URL: 'postgresql://drawbridge:GhostPw77@127.0.0.1:1/nowhere?connect_timeout=2',
        DRAWBRIDGE_CONFIG: configPath,
        DRAWBRIDGE_DATA_DIR: join(dir, 'data'),
      },
      requireSlack: false,
    });
    deps = buildCoreDeps(config, silentLogger(), clock);
  });

  afterAll(async () => {
    await closeCoreDeps(deps);
    await staging.drop();
    await production.drop();
  });

  it('blocks production naming the recent, the missing and the different migration, then lets it through', async () => {
    const wrong = await finishOnStaging(USER_NAME, 'e'.repeat(64));
    const blocked = (await preparePlan(deps, 'production')) as PlanReport;
    expect(blocked.verdict).toBe('blocked');
    expect(blocked.plan.migrations.map((m) => m.name)).toEqual([INIT, ORDERS, USER_NAME]);
    const gate = blocked.preflight.find((c) => c.id === 'gate');
    expect(gate?.status).toBe('fail');
    expect(gate?.message.split('\n')).toEqual([
      '3 of 3 migration(s) have not soaked on staging for 4 h:',
      `• \`${INIT}\`: too recent: finished on staging at ${slackDate(initFinished)}, eligible at ${slackDate(initFinished + 4 * H)}.`,
      `• \`${ORDERS}\`: missing on staging (not finished there).`,
      `• \`${USER_NAME}\`: different on staging: checksum ${sum(USER_NAME).slice(0, 12)} here, eeeeeeeeeeee on staging.`,
      'The plan becomes eligible only once every migration above finished on staging as it is here.',
    ]);
    // What /migrate plan and /migrate deploy show: every line, dates as Slack date tokens.
    const shown = JSON.stringify(renderPlanMessage(blocked));
    expect(shown).toContain('*Blocked* by the *gate* check(s)');
    for (const name of [INIT, ORDERS, USER_NAME]) expect(shown).toContain(name);
    expect(shown).toContain(`<!date^${Math.floor((initFinished + 4 * H) / 1000)}^`);

    // Three hours later (init has soaked) staging catches up: orders applied, user_name's wrong row
    // rolled back and the right one applied.
    await clock.advance(3 * H);
    await finishOnStaging(ORDERS, sum(ORDERS));
    await onStaging((c) => markRowRolledBack(c, wrong, new Date(clock.now())));
    await finishOnStaging(USER_NAME, sum(USER_NAME));
    const recent = (await preparePlan(deps, 'production')) as PlanReport;
    expect(recent.verdict).toBe('blocked');
    const soon = recent.preflight.find((c) => c.id === 'gate')?.message ?? '';
    expect(soon).toContain('2 of 3 migration(s) have not soaked on staging for 4 h:');
    expect(soon).not.toContain(INIT);
    expect(soon).toContain(`The whole plan becomes eligible at ${slackDate(clock.now() + 4 * H)}.`);

    await clock.advance(4 * H - 1);
    expect(((await preparePlan(deps, 'production')) as PlanReport).verdict).toBe('blocked');
    await clock.advance(1);
    const ready = (await preparePlan(deps, 'production')) as PlanReport;
    expect(ready.verdict).toBe('ready');
    expect(ready.preflight.find((c) => c.id === 'gate')).toMatchObject({
      status: 'ok',
      message: 'Every planned migration finished on staging at least 4 h ago.',
    });
    // Staging itself has no gate.
    const plain = (await preparePlan(deps, 'staging')) as PlanReport;
    expect(plain.preflight.find((c) => c.id === 'gate')).toBeUndefined();
  }, 60_000);

  it('stops an approved run at preflight when the gate no longer holds, before anything is applied', async () => {
    // Continues from the state above: production's plan has soaked and is approved...
    const report = (await preparePlan(deps, 'production')) as PlanReport;
    expect(report.verdict).toBe('ready');
    const runs = new RunStore(deps.store, deps.clock);
    const created = runs.createRun({
      environment: 'production',
      requestedBy: 'U0REQUEST1',
      plan: report.plan,
      planHash: report.planHash,
    });
    for (const event of ['request_approval', 'approve'] as const) {
      expect(applyRunEvent(runs, created.id, event, { actor: 'U0APPROVE1' }).kind).toBe('transitioned');
    }
    // ...then staging's orders is rolled back there before the run starts.
    await staging.query('UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = $1', [
      ORDERS,
    ]);
    const started = await startRun(deps, created.id, {
      actor: 'U0APPROVE1',
      emit: () => undefined,
      signal: new AbortController().signal,
    });
    if (started.kind !== 'finished') throw new Error(`the run did not finish: ${JSON.stringify(started)}`);
    expect(started.run.state).toBe('failed');
    const preflight = runs.listSteps(created.id).find((st) => st.name === 'preflight');
    expect(preflight?.state).toBe('refused');
    expect(preflight?.error).toContain(`gate: 1 of 3 migration(s) have not soaked on staging for 4 h:`);
    expect(preflight?.error).toContain(`\`${ORDERS}\`: missing on staging`);
    expect(runs.listSteps(created.id).find((st) => st.name === 'apply')?.state).toBe('not_run');
    const applied = await production.query("SELECT to_regclass('_prisma_migrations') IS NOT NULL AS ledger");
    expect(applied.rows[0]).toEqual({ ledger: false });
  }, 60_000);

  it('fails closed when the environment to soak on cannot be reached', async () => {
    const report = (await preparePlan(deps, 'canary')) as PlanReport;
    expect(report.verdict).toBe('blocked');
    const gate = report.preflight.find((c) => c.id === 'gate');
    expect(gate?.status).toBe('fail');
    expect(gate?.message).toMatch(/^Cannot read the migrations of ghost to check the soak gate: P1001: /);
    expect(gate?.message).not.toContain('GhostPw77');
    expect(gate?.hint).toContain('fails closed');
  }, 30_000);
});
