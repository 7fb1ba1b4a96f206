/**
 * Zero-downtime benchmark: a load generator runs short queries on a table while a long read
 * transaction holds it; a migration needing ACCESS EXCLUSIVE on that table is applied once as Prisma
 * would (no lock_timeout: it queues and every app query queues behind it) and once with
 * lockTimeoutMs + retries. Prints worst app-query latency, failed app queries, migration duration.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { deploy } from '../src/migrations/deploy.js';
import { LEDGER_DDL } from '../src/migrations/ledger.js';
import { databaseUrl, type ClusterInfo } from '../test/support/pg-cluster.js';

/** App-side query timeout of the load generator (a query slower than this counts as failed). */
const APP_TIMEOUT_MS = 2000;
const LONG_TX_MS = 3000;
const CLIENTS = 8;

interface Scenario {
  label: string;
  lockTimeoutMs: number;
  lockRetries: number;
}

interface Measured {
  label: string;
  queries: number;
  failed: number;
  worstMs: number;
  migrationMs: number;
  attempts: number;
  outcome: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function load(url: string, stop: { done: boolean }): Promise<{ lat: number[]; failed: number }> {
  const lat: number[] = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, k) => {
      const c = new pg.Client({ connectionString: url, application_name: `app-${k}` });
      await c.connect();
      await c.query(`SET statement_timeout = ${APP_TIMEOUT_MS}`);
      let i = k;
      while (!stop.done) {
        const t0 = performance.now();
        try {
          await c.query('SELECT v FROM hot WHERE id = $1', [(i % 1000) + 1]);
        } catch {
          failed += 1;
        }
        lat.push(performance.now() - t0);
        i += CLIENTS;
        await sleep(5);
      }
      await c.end();
    }),
  );
  return { lat, failed };
}

async function runScenario(cluster: ClusterInfo, s: Scenario, n: number): Promise<Measured> {
  const name = `bench_zero_${n}`;
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = databaseUrl(cluster, name);
  const setup = new pg.Client({ connectionString: url });
  await setup.connect();
  await setup.query(
    "CREATE TABLE hot (id int PRIMARY KEY, v text); INSERT INTO hot SELECT g, 'v' || g FROM generate_series(1, 1000) g",
  );
  await setup.query(LEDGER_DDL); // an existing Prisma-managed database
  await setup.end();
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-zero-'));
  mkdirSync(join(dir, '20240101000000_add_column'));
  writeFileSync(
    join(dir, '20240101000000_add_column', 'migration.sql'),
    'ALTER TABLE "hot" ADD COLUMN "extra" INTEGER;\n',
  );
  const stop = { done: false };
  const loadDone = load(url, stop);
  await sleep(300);
  const reader = new pg.Client({ connectionString: url, application_name: 'long-report' });
  await reader.connect();
  await reader.query('BEGIN');
  await reader.query('SELECT count(*) FROM hot');
  const readerDone = sleep(LONG_TX_MS)
    .then(() => reader.query('COMMIT'))
    .then(() => reader.end());
  await sleep(200);
  let attempts = 0;
  const t0 = performance.now();
  const r = await deploy({
    databaseUrl: url,
    migrationsDir: dir,
    lockTimeoutMs: s.lockTimeoutMs,
    lockRetries: s.lockRetries,
    retryBaseDelayMs: 200,
    retryMaxDelayMs: 800,
    onProgress: (e) => {
      if (e.kind === 'migration:finished') attempts = e.attempts;
    },
  });
  const migrationMs = performance.now() - t0;
  await readerDone;
  await sleep(300);
  stop.done = true;
  const { lat, failed } = await loadDone;
  rmSync(dir, { recursive: true, force: true });
  return {
    label: s.label,
    queries: lat.length,
    failed,
    worstMs: Math.max(...lat),
    migrationMs,
    attempts,
    outcome: r.outcome,
  };
}

/** Runs both scenarios on `cluster` and returns the printed table. */
export async function benchZeroDowntime(cluster: ClusterInfo): Promise<string> {
  const scenarios: Scenario[] = [
    { label: 'as Prisma (no lock_timeout)', lockTimeoutMs: 0, lockRetries: 0 },
    { label: 'drawbridge lockTimeoutMs=200, retries≤30', lockTimeoutMs: 200, lockRetries: 30 },
  ];
  const results: Measured[] = [];
  for (const [i, s] of scenarios.entries()) results.push(await runScenario(cluster, s, i));
  const head = [
    'scenario',
    'app queries',
    'failed',
    'worst latency ms',
    'migration ms',
    'attempts',
    'outcome',
  ];
  const rows = [
    head,
    ...results.map((m) => [
      m.label,
      String(m.queries),
      String(m.failed),
      m.worstMs.toFixed(0),
      m.migrationMs.toFixed(0),
      String(m.attempts),
      m.outcome,
    ]),
  ];
  const widths = head.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const text = rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
  const dw = results[1]!;
  const met = dw.outcome === 'succeeded' && dw.worstMs <= 200 + 100 && dw.failed === 0;
  return (
    `Zero-downtime benchmark — ${CLIENTS} app clients (app timeout ${APP_TIMEOUT_MS} ms), a ${LONG_TX_MS} ms read transaction on "hot", migration ALTER TABLE hot ADD COLUMN\n` +
    `${text}\nTarget: worst stall ≤ lockTimeoutMs + 100 ms and no failed app query → ${met ? 'met' : 'NOT met'}`
  );
}
