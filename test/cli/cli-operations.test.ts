/**
 * The CLI's operations beyond status/deploy/resolve/review, on a real database, after a deploy that
 * ran through the pipeline as the bot runs it (approved in Slack by an approver, backup made):
 * plan, history, backups, restore (a wrong phrase refused with the right one shown, a file that is
 * not listed refused, then the restore itself), window schedule/list/cancel and watch; every
 * `--json` parses, and the audit log records the CLI's actions as `cli:<OS user>`.
 */
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { createLogger } from '../../src/base/logger.js';
import { runCli } from '../../src/cli/main.js';
import { buildCoreDeps, closeCoreDeps } from '../../src/compose.js';
import { loadConfig } from '../../src/config/load-config.js';
import { preparePlan } from '../../src/core/pipeline/plan-report.js';
import { startRun } from '../../src/core/pipeline/run-pipeline.js';
import type { PlanReport } from '../../src/core/pipeline/types.js';
import { applyRunEvent } from '../../src/core/runs/apply-run-event.js';
import { RunStore } from '../../src/store/run-store.js';
import type { RunRecord } from '../../src/store/run-types.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/deploy/migrations');
const ME = `cli:${userInfo().username}`;

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function json<T>(args: string[]): Promise<{ code: number; body: T }> {
  const r = await cli([...args, '--json']);
  return { code: r.code, body: JSON.parse(r.out) as T };
}

describe('drawbridge CLI: every operation', () => {
  let db: TestDatabase;
  let work: string;
  let run: RunRecord;

  beforeAll(async () => {
    db = await createTestDatabase('cliops');
    await seedLedger(db.url, fixture, { applied: ['20250101000000_init'] });
    await db.query(`INSERT INTO "User" (email) VALUES ('a@example.com'), ('b@example.com')`);
    work = mkdtempSync(join(tmpdir(), 'drawbridge-cliops-'));
    const vars = {
      DRAWBRIDGE_CONFIG: join(work, 'drawbridge.yml'),
      DRAWBRIDGE_DATA_DIR: join(work, 'data'),
      CLIOPS_DATABASE_URL: db.url,
    };
    writeFileSync(
      vars.DRAWBRIDGE_CONFIG,
      stringify({
        slack: { channel: 'C0MIGRATE1' },
        environments: {
          staging: {
            database: { urlEnv: 'CLIOPS_DATABASE_URL' },
            migrations: fixture,
            backup: { dir: join(work, 'backups') },
            // Named approvers: the CLI's restore and windows are allowed to the OS user all the same.
            approvals: { required: 1, approvers: ['U0APPROVE1'] },
            monitor: { hours: 1, everyMinutes: 5 },
          },
        },
      }),
    );
    Object.assign(process.env, vars);
    const before = await json<PlanReport>(['plan', '--env', 'staging']);
    expect(before.code).toBe(1);
    expect(before.body.verdict).toBe('ready');
    run = await deployThroughThePipeline({ ...process.env, ...vars });
  }, 120_000);

  afterAll(async () => {
    await db.drop();
    rmSync(work, { recursive: true, force: true });
  });

  /** What the bot does for `/migrate deploy staging` approved by U0APPROVE1: a run with a backup. */
  async function deployThroughThePipeline(vars: NodeJS.ProcessEnv): Promise<RunRecord> {
    const deps = buildCoreDeps(
      loadConfig({ vars, requireSlack: false }),
      createLogger({ level: 'silent', destination: process.stderr }),
    );
    try {
      const report = (await preparePlan(deps, 'staging')) as PlanReport;
      const runs = new RunStore(deps.store, deps.clock);
      const created = runs.createRun({
        environment: 'staging',
        requestedBy: 'U0REQUEST1',
        plan: report.plan,
        planHash: report.planHash,
      });
      for (const event of ['request_approval', 'approve'] as const)
        expect(applyRunEvent(runs, created.id, event, { actor: 'U0APPROVE1' }).kind).toBe('transitioned');
      const started = await startRun(deps, created.id, {
        actor: 'U0APPROVE1',
        emit: () => undefined,
        signal: new AbortController().signal,
      });
      if (started.kind !== 'finished') throw new Error(`the run did not finish: ${JSON.stringify(started)}`);
      return started.run;
    } finally {
      await closeCoreDeps(deps);
    }
  }

  function auditRows(): { actor: string; action: string }[] {
    const sqlite = new Database(join(work, 'data', 'drawbridge.sqlite'), { readonly: true });
    try {
      return sqlite.prepare('SELECT actor, action FROM audit ORDER BY id').all() as {
        actor: string;
        action: string;
      }[];
    } finally {
      sqlite.close();
    }
  }

  it('plans: nothing left to apply after the deploy, the preflight names the pg_dump it chose', async () => {
    const plan = await cli(['plan', '--env', 'staging']);
    expect(plan.code).toBe(0);
    expect(plan.out).toContain('Nothing to apply.');
    expect(plan.out).toMatch(/✓ pg_dump: pg_dump \d+[.\d]* \(.+\) can dump a PostgreSQL 15 server/);
    expect((await cli(['plan', '--env', 'nope'])).code).toBe(2);
  });

  it('takes the client from DRAWBRIDGE_PG_BINDIR when it is the newest there is', async () => {
    const dir = join(work, 'pg17-standin/bin');
    mkdirSync(dir, { recursive: true });
    for (const tool of ['pg_dump', 'pg_restore']) {
      // STAND-IN: a script printing a version, not PostgreSQL's tool (the plan only asks --version).
      writeFileSync(join(dir, tool), `#!/bin/sh\necho "${tool} (PostgreSQL) 17.0"\n`);
      chmodSync(join(dir, tool), 0o755);
    }
    process.env.DRAWBRIDGE_PG_BINDIR = `${join(work, 'no-such-dir')}:${dir}`;
    try {
      const { body } = await json<PlanReport>(['plan', '--env', 'staging']);
      const check = body.preflight.find((c) => c.id === 'pg_dump');
      expect(check?.client).toMatchObject({ binDir: dir, source: 'DRAWBRIDGE_PG_BINDIR', major: 17 });
      expect(check?.message).toContain(`pg_dump 17.0 (${dir}) can dump a PostgreSQL 15 server`);
    } finally {
      delete process.env.DRAWBRIDGE_PG_BINDIR;
    }
  });

  it('lists the run in history, with its requester, watch and backup (made with the chosen client)', async () => {
    expect(['monitoring', 'done']).toContain(run.state);
    const text = await cli(['history', '--env', 'staging']);
    expect(text.code).toBe(0);
    expect(text.out).toContain(run.id);
    expect(text.out).toContain('requested by U0REQUEST1');
    expect(text.out).toContain('watch: watching');
    const { body } = await json<{
      runs: { id: string; backup: { sha256: string; snapshot?: unknown; client?: { pgRestore: string } } }[];
    }>(['history', '--env', 'staging']);
    expect(body.runs[0]?.id).toBe(run.id);
    expect(body.runs[0]?.backup.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(body.runs[0]?.backup.snapshot).toBeUndefined();
    // The preflight's choice, recorded with the backup for the restore to use.
    expect(body.runs[0]?.backup.client?.pgRestore).toMatch(/pg_restore$/);
  });

  it('lists the backup: size, sha256, age, the file on its host', async () => {
    const text = await cli(['backups', '--env', 'staging']);
    expect(text.code).toBe(0);
    const { body } = await json<{
      backups: {
        runId: string;
        fileName: string;
        path: string;
        sha256: string;
        local: string;
        sizeBytes: number;
      }[];
    }>(['backups', '--env', 'staging']);
    const b = body.backups[0];
    expect(b?.runId).toBe(run.id);
    expect(b?.local).toBe('present');
    expect(b?.sizeBytes).toBeGreaterThan(0);
    expect(text.out).toContain(b?.sha256);
    expect(text.out).toContain(`file: ${b?.path} on local`);
    expect(text.out).toContain('off-host copy: none configured');
  });

  it('shows the watch of the run', async () => {
    const w = await json<{ watching: boolean; summary: { runId: string } }>(['watch', '--run', run.id]);
    expect(w.code).toBe(0);
    expect(w.body.summary.runId).toBe(run.id);
    expect((await cli(['watch', '--run', 'ffffffff'])).code).toBe(2);
  });

  it('refuses a restore without the exact phrase, and shows the phrase to type', async () => {
    const wrong = await cli(['restore', '--env', 'staging', '--latest', '--confirm', 'restore staging']);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('"restore staging" is not the confirmation.');
    expect(wrong.err).toContain('To confirm, type exactly: --confirm "RESTORE staging"');
    const missing = await json<{ code: string }>(['restore', '--env', 'staging', '--run', run.id]);
    expect(missing.code).toBe(2);
    expect(missing.body.code).toBe('CONFIRMATION_MISMATCH');
    const stranger = await cli([
      'restore',
      '--env',
      'staging',
      '--backup',
      join(work, 'elsewhere.dump'),
      '--confirm',
      'RESTORE staging',
    ]);
    expect(stranger.code).toBe(2);
    expect(stranger.err).toContain('is not a backup Drawbridge recorded for staging');
    expect((await cli(['restore', '--env', 'staging', '--latest', '--run', run.id])).code).toBe(2);
    // Nothing was restored: the deploy's changes are still there.
    const { rows } = await db.query(`SELECT to_regclass('public."Order"') AS t`);
    expect(rows[0]?.t).not.toBeNull();
  });

  it('restores the listed backup with the phrase, audited as the OS user', async () => {
    const { body } = await json<{ backups: { fileName: string }[] }>(['backups', '--env', 'staging']);
    const restored = await cli([
      'restore',
      '--env',
      'staging',
      '--backup',
      body.backups[0]?.fileName ?? '',
      '--confirm',
      'RESTORE staging',
    ]);
    expect(restored.err).not.toContain('NOT_ALLOWED');
    expect(restored.code).toBe(0);
    expect(restored.out).toContain(`run ${run.id} is now restored`);
    expect(restored.out).toContain('Schema and the row count of every table match the snapshot');
    const { rows } = await db.query(
      `SELECT to_regclass('public."Order"') AS t, count(*)::int AS n FROM "User"`,
    );
    expect(rows[0]).toEqual({ t: null, n: 2 });
    const history = await json<{ runs: { id: string; state: string }[] }>(['history', '--env', 'staging']);
    expect(history.body.runs[0]).toMatchObject({ id: run.id, state: 'restored' });
    const mine = auditRows().filter((r) => r.actor === ME);
    expect(mine.map((r) => r.action)).toEqual(expect.arrayContaining([expect.stringMatching(/restore/)]));
    // The deploy's own rows keep their Slack actors.
    expect(auditRows().some((r) => r.actor === 'U0APPROVE1')).toBe(true);
  });

  it('audits the direct resolve (no run record) as the OS user', async () => {
    const res = await cli(['resolve', '--env', 'staging', '--rolled-back', 'no_such_migration']);
    expect(res.code).toBe(1);
    expect(auditRows()).toContainEqual({ actor: ME, action: 'cli.resolve' });
  });

  it('schedules, lists and cancels a window, audited as the OS user', async () => {
    const start = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 16) + 'Z';
    const scheduled = await json<{ kind: string; window: { id: string; createdBy: string } }>([
      'window',
      'schedule',
      '--env',
      'staging',
      '--start',
      start,
      '--duration',
      '2h',
      '--title',
      'CLI window',
    ]);
    expect(scheduled.code).toBe(0);
    expect(scheduled.body.window.createdBy).toBe(ME);
    const id = scheduled.body.window.id;
    const text = await cli(['window', 'list', '--env', 'staging']);
    expect(text.code).toBe(0);
    expect(text.out).toContain(id);
    expect(text.out).toContain(`scheduled by ${ME}`);
    const listed = await json<{ windows: { window: { id: string } }[] }>(['window', 'list']);
    expect(listed.body.windows.map((w) => w.window.id)).toContain(id);
    const overlapping = await cli([
      'window',
      'schedule',
      '--env',
      'staging',
      '--start',
      start,
      '--duration',
      '1h',
    ]);
    expect(overlapping.code).toBe(1);
    const cancelled = await cli(['window', 'cancel', '--id', id]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.out).toContain(`Cancelled window ${id}`);
    expect((await cli(['window', 'cancel', '--id', 'ffffffff'])).code).toBe(2);
    expect((await cli(['window', 'nonsense'])).code).toBe(2);
    const windowAudit = auditRows().filter((r) => r.actor === ME && r.action.includes('window'));
    expect(windowAudit.length).toBeGreaterThanOrEqual(2);
  });

  it('cancels a run that has not started, and queues its Slack update for the bot to deliver', async () => {
    const deps = buildCoreDeps(
      loadConfig({ vars: process.env, requireSlack: false }),
      createLogger({ level: 'silent', destination: process.stderr }),
    );
    let waiting: RunRecord;
    try {
      const runs = new RunStore(deps.store, deps.clock);
      waiting = runs.createRun({
        environment: 'staging',
        requestedBy: 'U0REQUEST1',
        plan: run.plan,
        planHash: run.planHash,
      });
      expect(applyRunEvent(runs, waiting.id, 'request_approval', { actor: 'U0REQUEST1' }).kind).toBe(
        'transitioned',
      );
    } finally {
      await closeCoreDeps(deps);
    }
    const cancelled = await cli(['cancel', '--run', waiting.id]);
    expect(cancelled.code).toBe(0);
    expect(cancelled.out).toContain(`Run ${waiting.id} cancelled`);
    expect(
      (await json<{ runs: { id: string; state: string }[] }>(['history', '--env', 'staging'])).body.runs,
    ).toEqual(expect.arrayContaining([expect.objectContaining({ id: waiting.id, state: 'cancelled' })]));
    expect(auditRows()).toEqual(expect.arrayContaining([{ actor: ME, action: 'run:cancelled' }]));
    // The run's Slack message is updated by the bot's outbox worker: the CLI queued it.
    const sqlite = new Database(join(work, 'data', 'drawbridge.sqlite'), { readonly: true });
    try {
      const queued = sqlite
        .prepare('SELECT kind FROM outbox WHERE destination = ? AND sent_at IS NULL')
        .all(`slack:run:${waiting.id}`) as { kind: string }[];
      expect(queued.map((q) => q.kind)).toContain('slack.update');
    } finally {
      sqlite.close();
    }
    expect((await cli(['cancel', '--run', waiting.id])).code).toBe(1);
    expect((await cli(['cancel', '--run', 'ffffffff'])).code).toBe(2);
    expect((await cli(['cancel'])).code).toBe(2);
  });

  it('refuses Mark rolled back of a run that did not fail, and maintenance off where none is configured', async () => {
    const rollback = await cli(['rollback', '--run', run.id]);
    expect(rollback.code).toBe(1);
    expect(`${rollback.out}${rollback.err}`).toMatch(/restored/);
    const off = await cli(['maintenance', 'off', '--env', 'staging']);
    expect(off.code).toBe(1);
    expect(`${off.out}${off.err}`).toMatch(/maintenance/i);
    expect((await cli(['maintenance', 'on', '--env', 'staging'])).code).toBe(2);
  });
});
