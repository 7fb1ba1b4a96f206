/**
 * Deploys through the pipeline (the core API, as the Slack and CLI front ends call it) to databases
 * reached `via: bastion`: a real loopback sshd is the bastion, commands run on it over SSH and the bot
 * reaches the database through an SSH local forward. The sshd log says how many forwards a run opened.
 *
 * - `runner: prisma`: the Prisma CLI stand-in runs on the bastion and must be given the database as the
 *   bastion sees it (the configured URL), never the bot's end of the tunnel; it prints the host and
 *   port it was given and applies the migrations through them.
 * - `runner: native`: the whole run (plan re-read, preflight, backup, apply, verify) uses one tunnel.
 * - Status, plan, review and resolve on a named environment: one tunnel each, closed when they end.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { silentLogger } from '../../../src/base/logger.js';
import { buildCoreDeps, closeCoreDeps } from '../../../src/compose.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { CoreDeps } from '../../../src/core/deps.js';
import { resolveEnvironment } from '../../../src/core/engine-service.js';
import { preparePlan } from '../../../src/core/pipeline/plan-report.js';
import { reviewEnvironment } from '../../../src/core/review-service.js';
import { environmentStatus } from '../../../src/core/status-service.js';
import { startRun } from '../../../src/core/pipeline/run-pipeline.js';
import type { PipelineEvent, PlanReport } from '../../../src/core/pipeline/types.js';
import { applyRunEvent } from '../../../src/core/runs/apply-run-event.js';
import { RunStore } from '../../../src/store/run-store.js';
import type { RunRecord } from '../../../src/store/run-types.js';
import { allCommandLines } from '../../exec/process-helpers.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedLedger } from '../../support/seed-ledger.js';
import { startSshd, type TestSshd } from '../../support/sshd.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../../fixtures/deploy/migrations');
const standin = join(here, '../../fixtures/bin/fake-prisma-standin.mjs');
const PENDING = ['20250102000000_orders', '20250103000000_user_name'];

describe('a deploy via: bastion', () => {
  let sshd: TestSshd;
  let prismaDb: TestDatabase;
  let nativeDb: TestDatabase;
  let opsDb: TestDatabase;
  let deps: CoreDeps;
  let work: string;

  beforeAll(async () => {
    sshd = await startSshd();
    prismaDb = await createTestDatabase('bastion_prisma');
    nativeDb = await createTestDatabase('bastion_native');
    opsDb = await createTestDatabase('bastion_ops');
    for (const db of [prismaDb, nativeDb, opsDb]) {
      await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    }
    work = mkdtempSync(join(tmpdir(), 'drawbridge-bastion-'));
    const executor = sshd.executorConfig;
    const common = { migrations: fixture, executor, backup: { dir: join(work, 'backups') } };
    const configPath = join(work, 'drawbridge.yml');
    writeFileSync(
      configPath,
      stringify({
        slack: { channel: 'C0MIGRATE1' },
        environments: {
          prismabastion: {
            ...common,
            database: { urlEnv: 'PRISMA_DATABASE_URL', via: 'bastion' },
            runner: 'prisma',
            prisma: {
              command: [
                process.execPath,
                standin,
                'migrate',
                'deploy',
                '--migrations',
                fixture,
                '--print-target',
              ],
            },
          },
          nativebastion: { ...common, database: { urlEnv: 'NATIVE_DATABASE_URL', via: 'bastion' } },
          opsbastion: { ...common, database: { urlEnv: 'OPS_DATABASE_URL', via: 'bastion' } },
        },
      }),
    );
    const config = loadConfig({
      vars: {
        PRISMA_DATABASE_URL: prismaDb.url,
        NATIVE_DATABASE_URL: nativeDb.url,
        OPS_DATABASE_URL: opsDb.url,
        DRAWBRIDGE_CONFIG: configPath,
        DRAWBRIDGE_DATA_DIR: join(work, 'data'),
      },
      requireSlack: false,
    });
    deps = buildCoreDeps(config, silentLogger());
  }, 60_000);

  afterAll(async () => {
    await closeCoreDeps(deps);
    await prismaDb?.drop();
    await nativeDb?.drop();
    await opsDb?.drop();
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Plans, creates and approves a run the way the front ends do, then starts it; returns what it told. */
  async function deployThroughPipeline(
    environment: string,
  ): Promise<{ run: RunRecord; events: PipelineEvent[]; tunnels: number }> {
    const report = (await preparePlan(deps, environment)) as PlanReport;
    expect(report.kind).toBe('plan');
    expect(report.plan.migrations.map((m) => m.name)).toEqual(PENDING);
    const runs = new RunStore(deps.store, deps.clock);
    const created = runs.createRun({
      environment,
      requestedBy: 'U0REQUEST1',
      plan: report.plan,
      planHash: report.planHash,
    });
    for (const event of ['request_approval', 'approve'] as const) {
      expect(applyRunEvent(runs, created.id, event, { actor: 'U0APPROVE1' }).kind).toBe('transitioned');
    }
    const events: PipelineEvent[] = [];
    const from = sshd.log().length;
    const started = await startRun(deps, created.id, {
      actor: 'U0APPROVE1',
      emit: (e) => events.push(e),
      signal: new AbortController().signal,
    });
    if (started.kind !== 'finished') throw new Error(`the run did not finish: ${JSON.stringify(started)}`);
    return { run: started.run, events, tunnels: sshd.tunnelsSince(from) };
  }

  function threadDetail(events: PipelineEvent[], title: string): string {
    const found = events.find((e) => e.kind === 'detail' && e.detail.title === title);
    return found?.kind === 'detail' ? found.detail.text : '';
  }

  it('runner: prisma gives the Prisma CLI on the bastion the database as the bastion sees it, through one tunnel', async () => {
    const { run, events, tunnels } = await deployThroughPipeline('prismabastion');
    expect(run.state).toBe('done');
    const output = threadDetail(events, 'Prisma CLI output');
    const configured = new URL(prismaDb.url);
    // The stand-in ran on the bastion (over SSH) and was given the configured host and port, not the
    // bot's end of the tunnel (another port on this host).
    expect(output).toContain(
      `stand-in: DATABASE_URL host=${configured.hostname} port=${configured.port} over-ssh=yes`,
    );
    expect(output).not.toContain(configured.password);
    // ...and reached the database through them: it applied the plan and wrote Prisma's ledger rows.
    expect(output).toContain('All migrations have been successfully applied.');
    const ledger = await prismaDb.query<{ migration_name: string }>(
      'select migration_name from _prisma_migrations where finished_at is not null order by migration_name',
    );
    expect(ledger.rows.map((r) => r.migration_name)).toEqual(['20250101000000_init', ...PENDING]);
    expect(tunnels).toBe(1);
  });

  it('runner: native opens one tunnel for the whole run (plan re-read, preflight, backup, apply, verify)', async () => {
    const { run, tunnels } = await deployThroughPipeline('nativebastion');
    expect(run.state).toBe('done');
    const ledger = await nativeDb.query<{ n: string }>(
      'select count(*) as n from _prisma_migrations where finished_at is not null',
    );
    expect(Number(ledger.rows[0]?.n)).toBe(3);
    expect(tunnels).toBe(1);
  });

  it('status, plan, review and resolve on a named environment each open one tunnel and close it', async () => {
    const operations: [string, () => Promise<unknown>][] = [
      ['status', () => environmentStatus(deps, 'opsbastion')],
      ['plan', () => preparePlan(deps, 'opsbastion')],
      ['review', () => reviewEnvironment(deps, 'opsbastion')],
      ['resolve', () => resolveEnvironment(deps, 'opsbastion', 'applied', PENDING[0] as string)],
    ];
    for (const [what, operation] of operations) {
      const from = sshd.log().length;
      const { kind } = (await operation()) as { kind?: string };
      expect([what, kind]).not.toEqual([what, 'failure']);
      expect([what, kind]).not.toEqual([what, 'refusal']);
      expect([what, sshd.tunnelsSince(from)]).toEqual([what, 1]);
      const forwards = allCommandLines().filter(
        (l) => l.includes('ExitOnForwardFailure=yes') && l.includes(` ${sshd.port} `),
      );
      expect([what, forwards]).toEqual([what, []]);
    }
  });
});
