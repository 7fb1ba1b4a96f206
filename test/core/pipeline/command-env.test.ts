/**
 * `environments.<env>.commandEnv`: a command that takes its credential from the environment (a
 * stand-in for `railway`, needing RAILWAY_TOKEN) runs as the maintenance on/off and post-deploy
 * commands of a real deploy through the pipeline, on this host and on a real loopback sshd (the
 * bastion). With `commandEnv: [RAILWAY_TOKEN]` it gets the token; without, it does not (the token is
 * in the bot's environment all the same) and the run fails at maintenance on. The token is on no
 * command line (the stand-in looks at every process while it runs), in no command spec, and its
 * value, echoed by the stand-in on purpose, is redacted in the thread, the logs and the store.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createLogger } from '../../../src/base/logger.js';
import { buildCoreDeps, closeCoreDeps } from '../../../src/compose.js';
import { loadConfig } from '../../../src/config/load-config.js';
import type { CoreDeps } from '../../../src/core/deps.js';
import { preparePlan } from '../../../src/core/pipeline/plan-report.js';
import { startRun } from '../../../src/core/pipeline/run-pipeline.js';
import type { PipelineEvent, PlanReport } from '../../../src/core/pipeline/types.js';
import { applyRunEvent } from '../../../src/core/runs/apply-run-event.js';
import { RunStore } from '../../../src/store/run-store.js';
import type { RunRecord } from '../../../src/store/run-types.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedLedger } from '../../support/seed-ledger.js';
import { startSshd, type TestSshd } from '../../support/sshd.js';
import { RecordingExecutor, visibleText } from '../backup/recording-executor.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../../fixtures/deploy/migrations');
const standin = join(here, '../../fixtures/bin/railway-standin.mjs');
const TOKEN = 'rw-standin-token-5c81e0d94b';
const ENVIRONMENTS = ['localtoken', 'localnotoken', 'sshtoken', 'sshnotoken'] as const;
type Name = (typeof ENVIRONMENTS)[number];

describe('commandEnv: credentials for commands', () => {
  let sshd: TestSshd;
  const dbs = new Map<Name, TestDatabase>();
  let deps: CoreDeps;
  let recorded: CoreDeps;
  const recorders = new Map<string, RecordingExecutor>();
  const logLines: string[] = [];
  let work: string;

  beforeAll(async () => {
    sshd = await startSshd();
    work = mkdtempSync(join(tmpdir(), 'drawbridge-commandenv-'));
    const environments: Record<string, unknown> = {};
    const vars: Record<string, string> = {
      RAILWAY_TOKEN: TOKEN,
      DRAWBRIDGE_CONFIG: join(work, 'drawbridge.yml'),
      DRAWBRIDGE_DATA_DIR: join(work, 'data'),
      PATH: process.env.PATH ?? '/usr/bin:/bin',
    };
    for (const name of ENVIRONMENTS) {
      const db = await createTestDatabase(`cmdenv_${name}`);
      await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
      dbs.set(name, db);
      const urlEnv = `${name.toUpperCase()}_DATABASE_URL`;
      vars[urlEnv] = db.url;
      environments[name] = {
        database: { urlEnv },
        migrations: fixture,
        executor: name.startsWith('ssh') ? sshd.executorConfig : { type: 'local' },
        backup: { dir: join(work, 'backups', name) },
        ...(name.endsWith('notoken') ? {} : { commandEnv: ['RAILWAY_TOKEN'] }),
        maintenance: {
          on: [process.execPath, standin, 'maintenance', 'on'],
          off: [process.execPath, standin, 'maintenance', 'off'],
        },
        postDeploy: [[process.execPath, standin, 'redeploy', '--leak-token']],
      };
    }
    writeFileSync(vars.DRAWBRIDGE_CONFIG!, stringify({ slack: { channel: 'C0MIGRATE1' }, environments }));
    const config = loadConfig({ vars, requireSlack: false });
    const logger = createLogger({ level: 'debug', destination: { write: (l: string) => logLines.push(l) } });
    deps = buildCoreDeps(config, logger);
    recorded = {
      ...deps,
      executors: (environment) => {
        let ex = recorders.get(environment);
        if (!ex) {
          ex = new RecordingExecutor(deps.executors(environment));
          recorders.set(environment, ex);
        }
        return ex;
      },
    };
  }, 60_000);

  afterAll(async () => {
    await closeCoreDeps(deps);
    for (const db of dbs.values()) await db.drop();
    await sshd?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Plans, creates and approves a run the way the front ends do, then starts it. */
  async function deploy(environment: Name): Promise<{ run: RunRecord; events: PipelineEvent[] }> {
    const report = (await preparePlan(recorded, environment)) as PlanReport;
    expect(report.kind).toBe('plan');
    const runs = new RunStore(recorded.store, recorded.clock);
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
    const started = await startRun(recorded, created.id, {
      actor: 'U0APPROVE1',
      emit: (e) => events.push(e),
      signal: new AbortController().signal,
    });
    if (started.kind !== 'finished') throw new Error(`the run did not finish: ${JSON.stringify(started)}`);
    return { run: started.run, events };
  }

  function detail(events: PipelineEvent[], title: string): string {
    const found = events.find((e) => e.kind === 'detail' && e.detail.title === title);
    return found?.kind === 'detail' ? found.detail.text : '';
  }

  function stepsOf(runId: string): Record<string, string> {
    const steps = new RunStore(recorded.store, recorded.clock).listSteps(runId);
    return Object.fromEntries(steps.map((s) => [s.name, s.state]));
  }

  /** Everything the bot wrote to its SQLite files (runs, steps, audit, outbox), as text. */
  function storeBytes(): string {
    const dir = join(work, 'data');
    return readdirSync(dir)
      .filter((f) => f.startsWith('drawbridge.sqlite'))
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('\n');
  }

  it.each([
    ['localtoken', 'no'],
    ['sshtoken', 'yes'],
  ] as const)(
    '%s: with commandEnv [RAILWAY_TOKEN] the commands get the token, on no command line',
    async (environment, overSsh) => {
      const { run, events } = await deploy(environment);
      expect(run.state).toBe('done');
      const steps = stepsOf(run.id);
      expect([steps.maintenance_on, steps.maintenance_off, steps.post_deploy]).toEqual([
        'succeeded',
        'succeeded',
        'succeeded',
      ]);
      for (const [title, words] of [
        ['Maintenance on', 'maintenance on'],
        ['Maintenance off', 'maintenance off'],
      ]) {
        expect(detail(events, title as string)).toBe(
          `railway stand-in: RAILWAY_TOKEN present, ${words} ok (over-ssh=${overSsh}, token-on-a-command-line=no)`,
        );
      }
      // The stand-in echoed the token on purpose: the thread shows it masked.
      const all = JSON.stringify(events);
      expect(all).toContain('debug: using token ***');
      expect(all).not.toContain(TOKEN);
      const ex = recorders.get(environment)!;
      expect(ex.specs.length).toBeGreaterThan(3);
      expect(visibleText(ex)).not.toContain(TOKEN);
      expect(ex.specs.filter((s) => JSON.stringify(s.env ?? {}).includes(TOKEN))).toEqual([]);
    },
    60_000,
  );

  it.each([
    ['localnotoken', 'no'],
    ['sshnotoken', 'yes'],
  ] as const)(
    '%s: without commandEnv the token stays out, and the run fails at maintenance on',
    async (environment, overSsh) => {
      const { run, events } = await deploy(environment);
      expect(run.state).toBe('failed');
      expect(stepsOf(run.id).maintenance_on).toBe('failed');
      expect(detail(events, 'Maintenance on (output)')).toContain(
        `railway stand-in: RAILWAY_TOKEN missing, cannot maintenance on (over-ssh=${overSsh})`,
      );
      const migrated = await dbs
        .get(environment)!
        .query<{ n: string }>('select count(*) as n from _prisma_migrations where finished_at is not null');
      expect(Number(migrated.rows[0]?.n)).toBe(1);
    },
    60_000,
  );

  it('the token is in no log line and nowhere in the store', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toContain(TOKEN);
    expect(storeBytes()).not.toContain(TOKEN);
  });
});
