/**
 * Engine benchmark (not a timed test): native deploy of a corpus against (a) `psql -f` per file and
 * (b) a bare loop on one `pg` connection doing Prisma's work; then the zero-downtime benchmark.
 * Run alone: `tsx bench/engine.ts [--corpus DIR]` (default: a synthetic 500-migration corpus).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { deploy } from '../src/migrations/deploy.js';
import { readMigrationsFolder } from '../src/migrations/folder.js';
import { LEDGER_DDL } from '../src/migrations/ledger.js';
import { databaseUrl, startCluster, stopCluster, type ClusterInfo } from '../test/support/pg-cluster.js';
import { generateCorpus } from './engine-corpus.js';
import { benchZeroDowntime } from './engine-zero-downtime.js';

const ROUNDS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function createDb(cluster: ClusterInfo, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: cluster.adminUrl });
  await c.connect();
  await c.query(`CREATE DATABASE "${name}"`);
  await c.end();
  return databaseUrl(cluster, name);
}

async function timeIt(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function runNative(url: string, dir: string): Promise<void> {
  const r = await deploy({ databaseUrl: url, migrationsDir: dir });
  if (r.outcome !== 'succeeded')
    throw new Error(`native deploy ${r.outcome}: ${r.failure?.message ?? r.refusal?.message}`);
}

async function runPsql(cluster: ClusterInfo, db: string, dir: string): Promise<void> {
  const folder = await readMigrationsFolder(dir);
  for (const m of folder.migrations) {
    const res = spawnSync(
      join(cluster.binDir, 'psql'),
      [
        '-X',
        '-q',
        '-v',
        'ON_ERROR_STOP=1',
        '-h',
        cluster.host,
        '-p',
        String(cluster.port),
        '-U',
        cluster.user,
        '-d',
        db,
        '-f',
        join(m.dir, 'migration.sql'),
      ],
      { env: { ...process.env, PGPASSWORD: cluster.password }, encoding: 'utf8' },
    );
    if (res.status !== 0) throw new Error(`psql failed on ${m.name}: ${res.stderr}`);
  }
}

/** Prisma's work for every migration on one `pg` connection, in-process: the reference loop. */
export async function runBareLoop(url: string, dir: string): Promise<void> {
  const folder = await readMigrationsFolder(dir);
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('SELECT pg_advisory_lock(72707369)');
    await c.query(LEDGER_DDL);
    for (const m of folder.migrations) {
      const id = randomUUID();
      await c.query(
        'INSERT INTO "_prisma_migrations" ("id","checksum","started_at","migration_name") VALUES ($1,$2,$3,$4)',
        [id, m.checksum, new Date(), m.name],
      );
      await c.query(m.script ?? '');
      await c.query(
        'UPDATE "_prisma_migrations" SET "applied_steps_count" = ("applied_steps_count" + $1) WHERE "id" = $2',
        [1, id],
      );
      await c.query('UPDATE "_prisma_migrations" SET "finished_at" = $1 WHERE "id" = $2', [new Date(), id]);
    }
  } finally {
    await c.end();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '))
    .join('\n');
}

/** Runs both engine benchmarks on a private PostgreSQL cluster and returns the printed tables. */
export async function benchEngine(opts: { corpus?: string }): Promise<string> {
  const generated = opts.corpus ? undefined : generateCorpus(500);
  const dir = opts.corpus ?? generated!;
  const count = (await readMigrationsFolder(dir)).migrations.length;
  const cluster = await startCluster();
  try {
    // The host is shared and noisy: native and bare alternate for ROUNDS rounds; medians are compared.
    const bares: number[] = [];
    const natives: number[] = [];
    for (let r = 0; r < ROUNDS; r += 1) {
      bares.push(await timeIt(async () => runBareLoop(await createDb(cluster, `bench_bare_${r}`), dir)));
      natives.push(await timeIt(async () => runNative(await createDb(cluster, `bench_native_${r}`), dir)));
    }
    const psql = await timeIt(async () => {
      await createDb(cluster, 'bench_psql');
      await runPsql(cluster, 'bench_psql', dir);
    });
    const bare = median(bares);
    const native = median(natives);
    const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
    const line = (name: string, ms: number, runs: string): string[] => [
      name,
      ms.toFixed(0),
      runs,
      (ms / count).toFixed(2),
      (ms / bare).toFixed(2),
    ];
    const corpusLine = `Engine benchmark — ${count} migrations from ${opts.corpus ?? 'synthetic corpus (generated)'}; PostgreSQL from ${cluster.binDir} on 127.0.0.1; fresh database for every run`;
    const t1 = table([
      ['method', 'median ms', `range of ${ROUNDS}`, 'ms/file', 'ratio vs (b)'],
      line('drawbridge native deploy', native, spread(natives)),
      line('(a) psql -f per file (1 run)', psql, '-'),
      line('(b) bare pg loop (Prisma work)', bare, spread(bares)),
    ]);
    const zero = await benchZeroDowntime(cluster);
    return `${corpusLine}\n${t1}\nTarget: native ≤ 1.10× (b) → ${native / bare <= 1.1 ? 'met' : 'NOT met'} (${(native / bare).toFixed(2)}×)\n\n${zero}\n`;
  } finally {
    stopCluster(cluster);
    if (generated) rmSync(generated, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--corpus');
  const corpus = i > 0 ? process.argv[i + 1] : undefined;
  process.stdout.write(await benchEngine(corpus ? { corpus } : {}));
}
