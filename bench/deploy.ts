/**
 * Deploy overhead benchmark (not a timed test): the real bot in HTTP mode on 127.0.0.1, a real
 * PostgreSQL 15 cluster, one environment (and one fresh database) per round. Alice asks
 * `/migrate deploy <env>`, bob (the one approver) clicks Approve; total = click → run seen `done` in
 * the bot's store; overhead = total − backup step − apply step (the SQL). The other steps and the
 * gaps around them are shown so the reader sees where the overhead goes.
 *
 * Run alone: `tsx bench/deploy.ts [--rounds N]`; with the others: `npm run bench`.
 */
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { RunRecord, StepRecord } from '../src/store/run-types.js';
import { CHANNEL, startTestBot, type TestBot } from '../test/support/bot.js';
import { startHttpTarget, type HttpTarget } from '../test/support/http-target.js';
import { databaseUrl, startCluster, stopCluster, type ClusterInfo } from '../test/support/pg-cluster.js';
import { blocksText, buttonsOf, runIdOf, runMessages } from '../test/support/run-scenario.js';
import { seedLedger } from '../test/support/seed-ledger.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), '../test/fixtures/deploy/migrations');
const ALICE = 'U0ALICE01';
const BOB = 'U0BOB0001';
const USER_ROWS = 10_000;
const POLL_MS = 5;
/** Steps that are not backup or SQL, in pipeline order (their time is overhead). */
const OTHER_STEPS = [
  'preflight',
  'announce',
  'maintenance_on',
  'verify',
  'post_deploy',
  'health_check',
  'maintenance_off',
  'close',
] as const;

interface Round {
  env: string;
  runId: string;
  /** performance.now() difference: click sent → run seen `done`. */
  totalMs: number;
  /** Store clock (ms since epoch): just before the click, and when `done` was seen. */
  clickAt: number;
  seenAt: number;
  voteAt: number;
  run: RunRecord;
  steps: StepRecord[];
}

const envName = (i: number): string => `bench${i + 1}`;
const urlVar = (i: number): string => `BENCH${i + 1}_DATABASE_URL`;

/** One database per round: the init migration applied the Prisma way, USER_ROWS users, 2 pending. */
async function createDatabases(cluster: ClusterInfo, rounds: number): Promise<string[]> {
  const urls: string[] = [];
  for (let i = 0; i < rounds; i += 1) {
    const admin = new pg.Client({ connectionString: cluster.adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE "bench_deploy_${i + 1}"`);
    await admin.end();
    const url = databaseUrl(cluster, `bench_deploy_${i + 1}`);
    await seedLedger(url, FIXTURE, { applied: ['20250101000000_init'] });
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(
      `INSERT INTO "User" (email) SELECT 'u' || g || '@example.com' FROM generate_series(1, ${USER_ROWS}) g`,
    );
    await c.query('ANALYZE');
    await c.end();
    urls.push(url);
  }
  return urls;
}

function environments(rounds: number, target: HttpTarget): Record<string, unknown> {
  const env = (i: number) => ({
    database: { urlEnv: urlVar(i) },
    migrations: FIXTURE,
    approvals: { required: 1, approvers: [BOB] },
    criticalTables: ['User', 'Order'],
    healthcheck: { url: target.healthUrl, retries: 2, timeoutMs: 2000 },
    maintenance: { on: ['true'], off: ['true'] },
    postDeploy: [['true']],
  });
  return Object.fromEntries(Array.from({ length: rounds }, (_, i) => [envName(i), env(i)]));
}

/** Waits (bounded) until the bot has no after-ack work left (the request's posts and DMs). */
async function settle(bot: TestBot, boundMs = 10_000): Promise<void> {
  const until = performance.now() + boundMs;
  while (bot.app.inflight.size > 0 && performance.now() < until) await sleep(POLL_MS);
}

/** Polls the store every POLL_MS until the run ends; throws if it ends in anything but `done`. */
async function waitDone(bot: TestBot, runId: string, boundMs = 120_000): Promise<RunRecord> {
  const until = performance.now() + boundMs;
  while (performance.now() < until) {
    const run = bot.app.runs.runs.getRun(runId);
    if (run?.state === 'done') return run;
    if (run && run.finishedAt !== null) throw new Error(`run ${runId} ended ${run.state}: ${run.outcome}`);
    await sleep(POLL_MS);
  }
  throw new Error(`run ${runId} did not finish within ${boundMs} ms`);
}

async function oneRound(bot: TestBot, env: string): Promise<Round> {
  await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text: `deploy ${env} bench` });
  const msg = await bot.emu.waitFor(
    () =>
      runMessages(bot, CHANNEL).find(
        (m) => blocksText(m).includes(`Deploy to ${env} ·`) && buttonsOf(m).includes('run_approve'),
      ),
    { what: `run message for ${env}`, timeoutMs: 30_000 },
  );
  const runId = runIdOf(msg);
  await settle(bot);
  const clickAt = bot.deps.clock.now();
  const t0 = performance.now();
  await bot.emu.clickButton({
    user: BOB,
    channel: CHANNEL,
    messageTs: msg.ts,
    actionId: 'run_approve',
    value: runId,
  });
  const run = await waitDone(bot, runId);
  const totalMs = performance.now() - t0;
  const seenAt = bot.deps.clock.now();
  const vote = bot.deps.store.auditLog({ runId }).find((a) => a.action === 'vote:approve');
  if (!vote) throw new Error(`run ${runId}: no vote:approve audit line`);
  await bot.app.messenger.flush(runId);
  await settle(bot);
  const steps = bot.app.runs.runs.listSteps(runId);
  return { env, runId, totalMs, clickAt, seenAt, voteAt: vote.at, run, steps };
}

const stepMs = (r: Round, name: string): number => {
  const s = r.steps.find((x) => x.name === name);
  return s?.startedAt != null && s.finishedAt != null ? s.finishedAt - s.startedAt : Number.NaN;
};

interface Figures {
  total: number;
  backup: number;
  sql: number;
  overhead: number;
  /** Overhead pieces, in order; they add up to the overhead (store clock, 1 ms resolution). */
  parts: Record<string, number>;
}

function figures(r: Round): Figures {
  const backup = stepMs(r, 'backup');
  const sql = stepMs(r, 'apply');
  const startedAt = r.run.startedAt ?? Number.NaN;
  const finishedAt = r.run.finishedAt ?? Number.NaN;
  const stepSum = r.steps.reduce((a, s) => a + (s.finishedAt ?? 0) - (s.startedAt ?? 0), 0);
  const parts: Record<string, number> = {
    'click→vote': r.voteAt - r.clickAt,
    'vote→start': startedAt - r.voteAt,
    ...Object.fromEntries(OTHER_STEPS.map((s) => [s, stepMs(r, s)])),
    'between steps': finishedAt - startedAt - stepSum,
    'done→seen': r.seenAt - finishedAt,
  };
  return { total: r.totalMs, backup, sql, overhead: r.totalMs - backup - sql, parts };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const ms = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(0));

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

const HEADER = [
  'Deploy overhead benchmark — real bot (HTTP mode, Slack emulator on 127.0.0.1), PostgreSQL 15 (fsync off), ' +
    'one environment and fresh database per round (init applied, ' +
    `${USER_ROWS} rows in "User", 2 pending migrations); approvals 1 of [bob], criticalTables User+Order, ` +
    'health check on a loopback target, post-deploy `true`, maintenance on/off `true`, no status page or webhooks.',
  `total = just before bob clicks Approve → run seen \`done\` in the store (polled every ${POLL_MS} ms); ` +
    'backup = backup step (row counts, schema snapshot, pg_dump, pg_restore --list, sha256); SQL = apply step; ' +
    'overhead = total − backup − SQL.',
];

const LEGEND =
  'click→vote = vote:approve audit line − click: ack, then the vote path (approver check, plan re-read: ' +
  'ledger, checksums, SQL review, database facts, preflight checks) until the vote is stored; ' +
  'vote→start = run startedAt − vote: the "approved, starting" ephemeral (response_url) and the plan ' +
  're-check before start (the same re-read again); preflight..close: the steps themselves (announce/close ' +
  'tell the team; live-message Slack calls are queued, not awaited); between steps: store writes, ' +
  'opening the target, advisory lock; done→seen = seen − run finishedAt: poll lag.';

const med = (figs: Figures[], f: (x: Figures) => number): number => median(figs.map(f));

function mainTable(rounds: Round[], figs: Figures[]): string {
  const cols: ((f: Figures) => number)[] = [(f) => f.total, (f) => f.backup, (f) => f.sql, (f) => f.overhead];
  return table([
    ['round', 'run', 'total ms', 'backup ms', 'SQL ms', 'overhead ms'],
    ...figs.map((f, i) => [`${i + 1} (${rounds[i]!.env})`, rounds[i]!.runId, ...cols.map((c) => ms(c(f)))]),
    ['median', '', ...cols.map((c) => ms(med(figs, c)))],
  ]);
}

function partsTable(figs: Figures[]): string {
  return table([
    ['overhead part (ms)', ...figs.map((_, i) => `r${i + 1}`), 'median'],
    ...Object.keys(figs[0]!.parts).map((p) => [
      p,
      ...figs.map((f) => ms(f.parts[p]!)),
      ms(med(figs, (f) => f.parts[p]!)),
    ]),
  ]);
}

function report(rounds: Round[], logs: string[]): string {
  const figs = rounds.map(figures);
  const overhead = med(figs, (f) => f.overhead);
  const noisy = logs.filter((l) => /"level":(4|5|6)0/.test(l)).length;
  return [
    ...HEADER,
    mainTable(rounds, figs),
    '',
    'Where the overhead goes (store clock, ms from the click; the parts add up to the overhead within a few ms):',
    partsTable(figs),
    '',
    `${LEGEND} Rounds: ${rounds.length}, all counted (round 1 is the cold one); warn/error log lines: ${noisy}.`,
    `Target: overhead ≤ 2 s → ${overhead <= 2000 ? 'met' : 'not met'} (median ${ms(overhead)} ms)`,
    '',
  ].join('\n');
}

/** Runs the deploy-overhead benchmark on a private PostgreSQL cluster and returns the printed tables. */
export async function benchDeploy(opts: { rounds?: number } = {}): Promise<string> {
  const rounds = opts.rounds ?? 5;
  if (!Number.isInteger(rounds) || rounds < 1)
    throw new Error(`rounds must be a whole number ≥ 1, not ${rounds}`);
  const cluster = await startCluster();
  let target: HttpTarget | undefined;
  let bot: TestBot | undefined;
  try {
    const urls = await createDatabases(cluster, rounds);
    target = await startHttpTarget();
    bot = await startTestBot({
      mode: 'http',
      environments: environments(rounds, target),
      vars: Object.fromEntries(urls.map((u, i) => [urlVar(i), u])),
      logLevel: 'warn',
    });
    const measured: Round[] = [];
    for (let i = 0; i < rounds; i += 1) measured.push(await oneRound(bot, envName(i)));
    return report(measured, bot.logs);
  } finally {
    await bot?.stop().catch(() => undefined);
    // The bot's temp dir holds its store and the rounds' pg_dump backups.
    if (bot) rmSync(dirname(bot.configPath), { recursive: true, force: true });
    await target?.close().catch(() => undefined);
    stopCluster(cluster);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { rounds: { type: 'string' } } });
  process.stdout.write(await benchDeploy(values.rounds ? { rounds: Number(values.rounds) } : {}));
}
