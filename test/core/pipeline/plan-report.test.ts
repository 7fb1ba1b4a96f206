/**
 * The plan report against a real database: pending migrations with checksums, review, size, and the
 * preflight checks — here the one that finds a long transaction holding a lock on a table the plan
 * changes (shown with its pid and age), and the ledger check that blocks on a failed migration.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { silentLogger } from '../../../src/base/logger.js';
import { buildCoreDeps, closeCoreDeps } from '../../../src/compose.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { CoreDeps } from '../../../src/core/deps.js';
import { LONG_TRANSACTION_SECONDS } from '../../../src/core/pipeline/database-facts.js';
import { preparePlan } from '../../../src/core/pipeline/plan-report.js';
import type { PlanReport } from '../../../src/core/pipeline/types.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedLedger } from '../../support/seed-ledger.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { stringify } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const good = join(here, '../../fixtures/deploy/migrations');
const failing = join(here, '../../fixtures/deploy/failing');

describe('preparePlan', () => {
  let db: TestDatabase;
  let dbFailed: TestDatabase;
  let deps: CoreDeps;

  beforeAll(async () => {
    db = await createTestDatabase('plan_report');
    dbFailed = await createTestDatabase('plan_blocked');
    await seedLedger(db.url, good, { applied: ['20250101000000_init'] });
    await seedLedger(dbFailed.url, failing, {
      applied: ['20250101000000_init', '20250102000000_orders'],
      failed: '20250103000000_bad_backfill',
    });
    const dir = mkdtempSync(join(tmpdir(), 'drawbridge-plan-'));
    const configPath = join(dir, 'drawbridge.yml');
    writeFileSync(
      configPath,
      stringify({
        slack: { channel: 'C0MIGRATE1' },
        environments: {
          staging: { database: { urlEnv: 'A_URL' }, migrations: good },
          broken: { database: { urlEnv: 'B_URL' }, migrations: failing },
        },
      }),
    );
    const config = loadConfig({
      vars: {
        A_URL: db.url,
        B_URL: dbFailed.url,
        DRAWBRIDGE_CONFIG: configPath,
        DRAWBRIDGE_DATA_DIR: join(dir, 'data'),
      },
      requireSlack: false,
    });
    deps = buildCoreDeps(config, silentLogger());
  });

  afterAll(async () => {
    await closeCoreDeps(deps);
    await db.drop();
    await dbFailed.drop();
  });

  it('names a long transaction on a table the plan changes, with its pid and age', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT count(*) FROM "User"');
      const pid = (await holder.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
      await new Promise((r) => setTimeout(r, (LONG_TRANSACTION_SECONDS + 1) * 1000));
      const report = (await preparePlan(deps, 'staging')) as PlanReport;
      expect(report.verdict).toBe('ready');
      expect(report.plan.migrations.map((m) => m.name)).toEqual([
        '20250102000000_orders',
        '20250103000000_user_name',
      ]);
      expect(report.plan.migrations.every((m) => /^[0-9a-f]{64}$/.test(m.checksum))).toBe(true);
      expect(report.databaseBytes).toBeGreaterThan(0);
      const tx = report.preflight.find((c) => c.id === 'transactions');
      expect(tx?.status).toBe('fail');
      expect(tx?.message).toContain(`pid ${String(pid)}`);
      expect(tx?.message).toMatch(/open \d+ s, AccessShareLock on public\.User\)/);
      expect(report.preflight.find((c) => c.id === 'disk')?.status).toBe('ok');
      expect(report.preflight.find((c) => c.id === 'pg_dump')?.status).toBe('ok');
    } finally {
      await holder.query('ROLLBACK').catch(() => undefined);
      await holder.end();
    }
    const calm = (await preparePlan(deps, 'staging')) as PlanReport;
    expect(calm.preflight.find((c) => c.id === 'transactions')?.status).toBe('ok');
  }, 30_000);

  it('is blocked by a failed migration, with the P3009 reason', async () => {
    const report = (await preparePlan(deps, 'broken')) as PlanReport;
    expect(report.verdict).toBe('blocked');
    const ledger = report.preflight.find((c) => c.id === 'ledger');
    expect(ledger?.status).toBe('fail');
    expect(ledger?.message).toContain('P3009');
    expect(ledger?.message).toContain('20250103000000_bad_backfill');
  });

  it('refuses an unknown environment', async () => {
    expect(await preparePlan(deps, 'nope')).toMatchObject({ kind: 'refusal', code: 'UNKNOWN_ENVIRONMENT' });
  });
});
