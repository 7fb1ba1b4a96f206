/**
 * The drift check against a real PostgreSQL, each shadow a second database the test creates: the
 * ledger's applied migrations are replayed into the shadow and the schemas compared. A column and an
 * index added by hand are reported; a clean environment reports none; the same over `via: bastion`
 * (a real loopback sshd, the bot reaching both databases through SSH forwards); and the plan report
 * carries the drift when the environment has a shadow database.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { Refusal } from '../../../src/base/errors.js';
import { silentLogger } from '../../../src/base/logger.js';
import { buildCoreDeps, closeCoreDeps } from '../../../src/compose.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { CoreDeps } from '../../../src/core/deps.js';
import { preparePlan } from '../../../src/core/pipeline/plan-report.js';
import type { PlanReport } from '../../../src/core/pipeline/types.js';
import { checkEnvironmentDrift, type DriftCheck } from '../../../src/core/shadow/drift.js';
import { renderPlanMessage } from '../../../src/slack/renderers/plan-message.js';
import { renderRunMessage } from '../../../src/slack/renderers/run-message.js';
import { RunStore } from '../../../src/store/run-store.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedLedger } from '../../support/seed-ledger.js';
import { startSshd, type TestSshd } from '../../support/sshd.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../../fixtures/drift/migrations');
const ALL = ['20250101000000_init', '20250102000000_view_fn', '20250103000000_concurrent_index'];
const BY_HAND =
  'ALTER TABLE "User" ADD COLUMN "nickname" TEXT; CREATE INDEX "User_role_idx" ON "User"("role")';

describe('the drift check', () => {
  const dbs: Record<string, TestDatabase> = {};
  let sshd: TestSshd;
  let deps: CoreDeps;
  let work: string;

  beforeAll(async () => {
    sshd = await startSshd();
    for (const name of ['clean', 'production', 'bastioned', 'noshadow'])
      dbs[name] = await createTestDatabase(`drift_${name}`);
    for (const name of ['clean', 'production', 'bastioned'])
      dbs[`${name}_shadow`] = await createTestDatabase(`drift_${name}_shadow`);
    // The third migration is applied everywhere but on `clean`, where it is still pending.
    for (const name of ['clean', 'production', 'bastioned', 'noshadow'])
      await seedLedger((dbs[name] as TestDatabase).url, fixture, {
        applied: name === 'clean' ? ALL.slice(0, 2) : ALL,
      });
    work = mkdtempSync(join(tmpdir(), 'drawbridge-drift-'));
    const env = (name: string, via: 'direct' | 'bastion' = 'direct') => ({
      database: { urlEnv: `${name.toUpperCase()}_URL`, via },
      shadowDatabase: { urlEnv: `${name.toUpperCase()}_SHADOW_URL` },
      migrations: fixture,
      ...(via === 'bastion' ? { executor: sshd.executorConfig } : {}),
    });
    const configPath = join(work, 'drawbridge.yml');
    writeFileSync(
      configPath,
      stringify({
        slack: { channel: 'C0MIGRATE1' },
        environments: {
          clean: env('clean'),
          production: env('production'),
          bastioned: env('bastioned', 'bastion'),
          noshadow: { database: { urlEnv: 'NOSHADOW_URL' }, migrations: fixture },
        },
      }),
    );
    const vars: Record<string, string> = {
      DRAWBRIDGE_CONFIG: configPath,
      DRAWBRIDGE_DATA_DIR: join(work, 'data'),
    };
    for (const [name, db] of Object.entries(dbs)) vars[`${name.toUpperCase()}_URL`] = db.url;
    deps = buildCoreDeps(loadConfig({ vars, requireSlack: false }), silentLogger());
  }, 60_000);

  afterAll(async () => {
    await closeCoreDeps(deps);
    for (const db of Object.values(dbs)) await db.drop();
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  function asCheck(value: DriftCheck | Refusal): DriftCheck {
    if ('kind' in value) throw new Error(`refused: ${value.code} ${value.message}`);
    return value;
  }

  it('reports nothing for a clean environment (the pending migration is no drift)', async () => {
    const check = asCheck(await checkEnvironmentDrift(deps, 'clean'));
    expect(check.replayed).toEqual(ALL.slice(0, 2));
    expect(check.items).toEqual([]);
  });

  it('reports a column and an index added by hand, and leaves the target as it was', async () => {
    const production = dbs.production as TestDatabase;
    await production.query(BY_HAND);
    const check = asCheck(await checkEnvironmentDrift(deps, 'production'));
    expect(check.replayed).toEqual(ALL);
    expect(check.items.map((i) => i.message)).toEqual([
      'column `User.nickname` exists in production but in no migration',
      'index `User_role_idx` exists in production but in no migration',
    ]);
    const cols = await production.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'User' AND column_name = 'nickname'`,
    );
    expect(cols.rowCount).toBe(1);
    // The shadow holds the replayed schema, marked as production's.
    const shadow = dbs.production_shadow as TestDatabase;
    const present = await shadow.query(`SELECT to_regclass('"Post_title_idx"') IS NOT NULL AS present`);
    expect(present.rows[0]).toEqual({ present: true });
  });

  it('shows the drift in the plan report of an environment with a shadow, and none without', async () => {
    const report = (await preparePlan(deps, 'production')) as PlanReport;
    expect(report.kind).toBe('plan');
    expect(report.drift).toEqual({
      items: expect.arrayContaining([expect.objectContaining({ name: 'User.nickname' })]) as unknown,
    });
    const shown = 'Schema drift: 2 difference(s)';
    expect(JSON.stringify(renderPlanMessage(report))).toContain(shown);
    // The approval message (the run's) shows it too.
    const run = new RunStore(deps.store, deps.clock).createRun({
      environment: 'production',
      requestedBy: 'U0REQUEST1',
      plan: report.plan,
      planHash: report.planHash,
    });
    const approval = renderRunMessage({
      run: { ...run, state: 'awaiting_approval' },
      steps: [],
      approvals: { required: 1, approvedBy: [], rejectedBy: [], approvers: [], allowSelfApproval: false },
      report,
      actions: { vote: true, cancel: true, markRolledBack: false, restore: false, retry: false },
    });
    expect(JSON.stringify(approval)).toContain(shown);
    expect(JSON.stringify(approval)).toContain(
      'column `User.nickname` exists in production but in no migration',
    );
    const none = (await preparePlan(deps, 'noshadow')) as PlanReport;
    expect(none.drift).toBeUndefined();
  });

  it('works via: bastion, through SSH forwards for the target and the shadow', async () => {
    const bastioned = dbs.bastioned as TestDatabase;
    await bastioned.query(BY_HAND);
    const from = sshd.log().length;
    const check = asCheck(await checkEnvironmentDrift(deps, 'bastioned'));
    expect(check.items.map((i) => i.name)).toEqual(['User.nickname', 'User_role_idx']);
    expect(check.items[0]?.message).toBe('column `User.nickname` exists in bastioned but in no migration');
    expect(sshd.tunnelsSince(from)).toBeGreaterThanOrEqual(2);
  });
});
