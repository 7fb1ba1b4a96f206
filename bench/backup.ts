/**
 * Backup benchmark (not a timed test): one pgbench database on a PostgreSQL cluster this benchmark
 * starts (as the test set-up does) and removes afterwards. Side by side, medians of alternating
 * rounds:
 *   - the backup step of a deploy (backupStep: snapshot, pg_dump -Fc, sha256 and pg_restore --list
 *     in one read) against the bare verified sequence a person would type: `pg_dump -Fc`, then
 *     `pg_restore --list`, then `sha256sum`;
 *   - the same step with `backup.format: directory, jobs: 2` (pg_dump -Fd -j 2, the manifest
 *     hashed), and the bare `-Fd -j 2` sequence against the bare `-Fc` one.
 * Default: a small database (pgbench scale 5) so that `npm run bench` stays quick; `--big` makes
 * it at least 1 GB (scale 75, needs about 2 GB of disk).
 *
 * Run alone: `tsx bench/backup.ts [--big] [--rounds N]`; with the others: `npm run bench [-- --big]`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { systemClock } from '../src/base/clock.js';
import { formatBytes } from '../src/migrations/review/impact-estimate.js';
import type { StepContext } from '../src/core/pipeline/run-context.js';
import { backupStep } from '../src/core/pipeline/steps/backup-step.js';
import { LocalExecutor } from '../src/exec/local-executor.js';
import { choosePgClient, type PgClient } from '../src/core/backup/pg-client.js';
import { databaseUrl, startCluster, stopCluster, type ClusterInfo } from '../test/support/pg-cluster.js';

const run = promisify(execFile);
const DB = 'bench_backup';

export interface BackupBenchOptions {
  big?: boolean;
  rounds?: number;
}

type Variant = 'step-custom' | 'bare-custom' | 'step-directory' | 'bare-directory';
const VARIANTS: readonly Variant[] = ['step-custom', 'bare-custom', 'step-directory', 'bare-directory'];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

async function createDatabase(cluster: ClusterInfo, scale: number): Promise<{ url: string; bytes: number }> {
  const admin = new pg.Client({ connectionString: cluster.adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DB}`);
  await admin.end();
  const env = { ...process.env, PGPASSWORD: cluster.password };
  await run(
    join(cluster.binDir, 'pgbench'),
    [
      '-i',
      '-q',
      '-I',
      'dtGvp',
      '-s',
      String(scale),
      '-h',
      cluster.host,
      '-p',
      String(cluster.port),
      '-U',
      cluster.user,
      DB,
    ],
    { env, maxBuffer: 16 * 1024 * 1024 },
  );
  const url = databaseUrl(cluster, DB);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const size = await c.query<{ n: string }>('select pg_database_size(current_database())::text as n');
  await c.end();
  return { url, bytes: Number(size.rows[0]?.n ?? 0) };
}

/**
 * The client tools a deploy's preflight chooses for this server (pg-client.ts, as
 * preflight-checks.ts asks): the backup step runs those, not whatever `pg_dump` PATH names first
 * (on Debian a Perl wrapper that picks a version on each call).
 */
async function preflightClient(url: string): Promise<PgClient> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const v = await c.query<{ n: string }>("select current_setting('server_version_num') as n");
  await c.end();
  const executor = new LocalExecutor({ baseEnv: { PATH: process.env.PATH ?? '' } });
  const choice = await choosePgClient(executor, Number(v.rows[0]?.n));
  if (choice.kind !== 'chosen') throw new Error(choice.message);
  return choice.client;
}

/** The real backup step, given what it reads of a run's context (no Slack, no store). */
function stepContext(
  url: string,
  dir: string,
  runId: string,
  format: 'custom' | 'directory',
  client: PgClient,
): StepContext {
  const executor = new LocalExecutor({ baseEnv: { PATH: process.env.PATH ?? '' } });
  const env = {
    criticalTables: ['pgbench_branches', 'pgbench_tellers'],
    backup: { dir, keep: 0, copyOffRequired: false, format, jobs: format === 'directory' ? 2 : 1 },
  };
  const ignore = (): void => undefined;
  return {
    deps: { config: { dataDir: dir }, clock: systemClock },
    runs: { setBackup: ignore },
    run: { id: runId, environment: 'bench' },
    target: { url, executorUrl: url, executor },
    env,
    report: { preflight: [{ id: 'pg_dump', status: 'ok', message: '', client }] },
    scratch: { warnings: [], maintenanceOn: false },
    signal: new AbortController().signal,
    progress: ignore,
    detail: ignore,
    emit: ignore,
    alive: ignore,
  } as unknown as StepContext;
}

/** `pg_dump`, `pg_restore --list`, `sha256sum` as a person types them, one after the other. */
async function bareSequence(
  cluster: ClusterInfo,
  path: string,
  format: 'custom' | 'directory',
): Promise<void> {
  const env = { ...process.env, PGPASSWORD: cluster.password };
  const conn = ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user];
  const fmt = format === 'directory' ? ['-Fd', '-j', '2'] : ['-Fc'];
  const big = { env, maxBuffer: 64 * 1024 * 1024 };
  await run(join(cluster.binDir, 'pg_dump'), [...fmt, '-f', path, ...conn, DB], big);
  await run(join(cluster.binDir, 'pg_restore'), ['--list', path], big);
  if (format === 'directory') await run('find', [path, '-type', 'f', '-exec', 'sha256sum', '{}', '+'], big);
  else await run('sha256sum', [path], big);
}

async function oneRun(
  cluster: ClusterInfo,
  url: string,
  client: PgClient,
  work: string,
  v: Variant,
  i: number,
): Promise<number> {
  const dir = join(work, `${v}-${i}`);
  mkdirSync(dir, { recursive: true });
  const t0 = performance.now();
  if (v === 'step-custom' || v === 'step-directory') {
    await backupStep(stepContext(url, dir, `b${i}`, v === 'step-custom' ? 'custom' : 'directory', client));
  } else {
    await bareSequence(cluster, join(dir, 'bare.dump'), v === 'bare-custom' ? 'custom' : 'directory');
  }
  const ms = performance.now() - t0;
  rmSync(dir, { recursive: true, force: true });
  return ms;
}

export async function benchBackup(opts: BackupBenchOptions = {}): Promise<string> {
  const scale = opts.big ? 75 : 5;
  const rounds = opts.rounds ?? 5;
  const cluster = await startCluster();
  const work = mkdtempSync(join(tmpdir(), 'drawbridge-bench-backup-'));
  try {
    const { url, bytes } = await createDatabase(cluster, scale);
    const times: Record<Variant, number[]> = {
      'step-custom': [],
      'bare-custom': [],
      'step-directory': [],
      'bare-directory': [],
    };
    const client = await preflightClient(url);
    await oneRun(cluster, url, client, work, 'step-custom', -1); // warm the cache once, not counted
    for (let i = 0; i < rounds; i += 1) {
      // Alternating order: each variant runs first as often as last.
      const order = i % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
      for (const v of order) times[v].push(await oneRun(cluster, url, client, work, v, i));
    }
    const m = (v: Variant): number => median(times[v]);
    const spread = (v: Variant): string => `${secs(Math.min(...times[v]))}–${secs(Math.max(...times[v]))}`;
    const db = `pgbench scale ${scale}, ${formatBytes(bytes)}`;
    // The ratio is the median of each round's own ratio: the two runs of a round are neighbours in
    // time, so a machine shared with other work loads both alike.
    const row = (what: string, a: Variant, ref: string, b: Variant): string => {
      const ratio = median(times[a].map((x, i) => x / (times[b][i] ?? x)));
      return `| ${what} | ${secs(m(a))} | ${ref}: ${secs(m(b))} | ${ratio.toFixed(2)}× |`;
    };
    return [
      `Database: ${db}; medians of ${rounds} alternating rounds (2 cores); ratio: the median of the per-round ratios.`,
      '',
      '| what | Drawbridge | reference | ratio |',
      '|---|---|---|---|',
      row(
        'backup step of a deploy (-Fc)',
        'step-custom',
        'bare `pg_dump -Fc` + `pg_restore --list` + sha256',
        'bare-custom',
      ),
      row('backup step, `format: directory, jobs: 2`', 'step-directory', 'backup step (-Fc)', 'step-custom'),
      row(
        'bare `pg_dump -Fd -j 2` + list + sha256 of files',
        'bare-directory',
        'bare -Fc sequence',
        'bare-custom',
      ),
      '',
      `Spread (min–max): ${VARIANTS.map((v) => `${v} ${spread(v)}`).join('; ')}.`,
    ].join('\n');
  } finally {
    rmSync(work, { recursive: true, force: true });
    stopCluster(cluster);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: { big: { type: 'boolean' }, rounds: { type: 'string' } },
    allowPositionals: false,
  });
  console.log(
    await benchBackup({
      big: values.big === true,
      ...(values.rounds ? { rounds: Number(values.rounds) } : {}),
    }),
  );
}
