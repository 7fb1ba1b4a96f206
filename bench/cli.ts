/**
 * CLI benchmark (not a timed test): the `drawbridge` command line as users run it — the bundle,
 * `node dist/cli/drawbridge.cjs` (the package's `bin`; built here first unless `--no-build`), whole
 * process — side by side with a reference, in alternating rounds, medians:
 * - `--help` against `node -e ""` (what starting Node costs at all);
 * - `review <dir>` over the corpus against squawk-cli (wall time and peak RSS, from `/usr/bin/time`);
 * - `deploy --env bench --yes` over the corpus against the in-process Prisma-shaped loop on one
 *   connection (bench/engine.ts `runBareLoop`), a fresh database for every run; for context, also
 *   against the same loop run as a process of its own (Node's start, pg loaded, the folder read);
 * - latency mode: both deploys through test/support/tcp-proxy.ts, which holds every chunk for half the
 *   latency in each direction (so each round trip costs `--latency` ms more). Round trips are counted
 *   at the proxy: a client request is the client's bytes after its server answered (a pipelined burst
 *   is one), over all connections (the watchdog's probe included), divided by the migrations.
 *   The elapsed-time estimate `(elapsed − loopback elapsed) / latency / n` is shown beside it.
 *
 * Run alone: `tsx bench/cli.ts [--corpus DIR] [--latency MS] [--no-build]`; with the others:
 * `npm run bench -- --only cli`.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { readMigrationsFolder } from '../src/migrations/folder.js';
import { databaseUrl, startCluster, stopCluster, type ClusterInfo } from '../test/support/pg-cluster.js';
import { TcpProxy } from '../test/support/tcp-proxy.js';
import { generateCorpus } from './engine-corpus.js';
import { runBareLoop } from './engine.js';
import { generateReviewCorpus, squawkBinary } from './review.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist/cli/drawbridge.cjs');
const TIME = '/usr/bin/time';
const COUNT = 820;
/** Migrations deployed in latency mode (each costs ~4 round trips of `--latency` ms, on both sides). */
const LATENCY_COUNT = 200;

export interface CliBenchOptions {
  corpus?: string;
  /** Added round-trip time in latency mode, ms (default 10). */
  latencyMs?: number;
  /** Skip `npm run build` (dist/ is already current). */
  noBuild?: boolean;
}

interface Proc {
  ms: number;
  /** Peak resident set, KiB, when /usr/bin/time is there. */
  maxRssKb: number | undefined;
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; wall time from spawn to exit, peak RSS from /usr/bin/time -f %M. */
async function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  const timed = existsSync(TIME);
  const [file, argv] = timed ? [TIME, ['-f', 'BENCH_MAXRSS_KB=%M', cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const child = spawn(file, argv, { cwd: tmpdir(), env: { ...process.env, ...env } });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  const ms = performance.now() - t0;
  let stderr = Buffer.concat(err).toString('utf8');
  const m = /BENCH_MAXRSS_KB=(\d+)\s*$/.exec(stderr);
  if (m) stderr = stderr.slice(0, m.index).replace(/Command exited with non-zero status \d+\s*$/, '');
  return { ms, maxRssKb: m ? Number(m[1]) : undefined, code, stdout: Buffer.concat(out).toString(), stderr };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const mib = (kb: number | undefined): string => (kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(0)} MiB`);

/** `rounds` alternating runs of a and b; returns both lists of results. */
async function alternate<T>(rounds: number, a: () => Promise<T>, b: () => Promise<T>): Promise<[T[], T[]]> {
  const as: T[] = [];
  const bs: T[] = [];
  for (let i = 0; i < rounds; i += 1) {
    as.push(await a());
    bs.push(await b());
  }
  return [as, bs];
}

async function benchHelp(): Promise<string[]> {
  const [ours, node] = await alternate(
    15,
    () => run(process.execPath, [CLI, '--help']),
    () => run(process.execPath, ['-e', '']),
  );
  if (ours.some((r) => r.code !== 0)) throw new Error(`drawbridge --help failed: ${ours[0]?.stderr}`);
  const o = median(ours.map((r) => r.ms));
  const n = median(node.map((r) => r.ms));
  return [
    '`drawbridge --help`, whole process',
    secs(o),
    `\`node -e ""\`: ${secs(n)}`,
    `${(o / n).toFixed(2)}×`,
  ];
}

async function benchReviewCli(dir: string, files: string[]): Promise<string[]> {
  const squawk = await squawkBinary();
  const [ours, theirs] = await alternate(
    15,
    () => run(process.execPath, [CLI, 'review', dir]),
    () => run(squawk, ['--reporter', 'json', '--pg-version', '15.0', ...files]),
  );
  const bad = ours.find((r) => r.code !== 0 && r.code !== 1);
  if (bad) throw new Error(`drawbridge review failed (${bad.code}): ${bad.stderr}`);
  const o = median(ours.map((r) => r.ms));
  const s = median(theirs.map((r) => r.ms));
  const peak = (rs: Proc[]): number | undefined =>
    rs.every((r) => r.maxRssKb !== undefined) ? Math.max(...rs.map((r) => r.maxRssKb as number)) : undefined;
  return [
    `\`drawbridge review <dir>\` over ${files.length} migrations, whole process`,
    `${secs(o)}, ${mib(peak(ours))} peak`,
    `squawk 2.66 over the same files: ${secs(s)}, ${mib(peak(theirs))}`,
    `${(o / s).toFixed(2)}×`,
  ];
}

/** A private cluster, a config file naming one environment `bench`, and a fresh database per run. */
class DeployBench {
  private dbs = 0;
  private constructor(
    readonly cluster: ClusterInfo,
    readonly work: string,
  ) {}

  static async start(): Promise<DeployBench> {
    return new DeployBench(await startCluster(), mkdtempSync(join(tmpdir(), 'drawbridge-cli-bench-')));
  }

  async freshDb(): Promise<string> {
    const name = `cli_bench_${(this.dbs += 1)}`;
    const c = new pg.Client({ connectionString: this.cluster.adminUrl });
    await c.connect();
    await c.query(`CREATE DATABASE "${name}"`);
    await c.end();
    return name;
  }

  /** `url` with its host and port those of `proxy`, if any. */
  url(name: string, proxy?: TcpProxy): string {
    const url = databaseUrl(this.cluster, name);
    return proxy ? proxy.url(url) : url;
  }

  /** The CLI's whole process: `deploy --env bench --yes` over `dir` into database `url`. */
  async cli(dir: string, url: string): Promise<Proc> {
    const config = join(this.work, `drawbridge-${this.dbs}.yml`);
    writeFileSync(
      config,
      `slack: { channel: C0BENCH001 }\nenvironments:\n  bench:\n    database: { urlEnv: BENCH_DATABASE_URL }\n    migrations: ${dir}\n`,
    );
    const r = await run(process.execPath, [CLI, 'deploy', '--env', 'bench', '--yes', '--config', config], {
      BENCH_DATABASE_URL: url,
      DRAWBRIDGE_DATA_DIR: join(this.work, 'data'),
    });
    if (r.code !== 0) throw new Error(`drawbridge deploy failed (${r.code}): ${r.stderr.slice(-2000)}`);
    return r;
  }

  async bare(dir: string, url: string): Promise<number> {
    const t0 = performance.now();
    await runBareLoop(url, dir);
    return performance.now() - t0;
  }

  /**
   * The same Prisma-shaped loop as a process of its own (Node's start, pg loaded, the folder read, one
   * connection, nothing else): context for the deploy row, whose reference runs in this warm process.
   */
  async bareProcess(dir: string, url: string): Promise<Proc> {
    const script = join(this.work, 'bare-loop.mjs');
    if (!existsSync(script))
      writeFileSync(
        script,
        [
          `import { randomUUID } from 'node:crypto';`,
          `import pg from ${JSON.stringify(pathToFileURL(join(ROOT, 'node_modules/pg/esm/index.mjs')).href)};`,
          `import { readMigrationsFolder } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/migrations/folder.js')).href)};`,
          `import { LEDGER_DDL } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/src/migrations/ledger.js')).href)};`,
          `const folder = await readMigrationsFolder(process.env.BENCH_DIR);`,
          `const c = new pg.Client({ connectionString: process.env.BENCH_DATABASE_URL });`,
          `await c.connect();`,
          `await c.query('SELECT pg_advisory_lock(72707369)');`,
          `await c.query(LEDGER_DDL);`,
          `for (const m of folder.migrations) {`,
          `  const id = randomUUID();`,
          `  await c.query('INSERT INTO "_prisma_migrations" ("id","checksum","started_at","migration_name") VALUES ($1,$2,$3,$4)', [id, m.checksum, new Date(), m.name]);`,
          `  await c.query(m.script ?? '');`,
          `  await c.query('UPDATE "_prisma_migrations" SET "applied_steps_count" = ("applied_steps_count" + $1) WHERE "id" = $2', [1, id]);`,
          `  await c.query('UPDATE "_prisma_migrations" SET "finished_at" = $1 WHERE "id" = $2', [new Date(), id]);`,
          `}`,
          `await c.end();`,
        ].join('\n'),
      );
    const r = await run(process.execPath, [script], { BENCH_DATABASE_URL: url, BENCH_DIR: dir });
    if (r.code !== 0) throw new Error(`the bare loop process failed (${r.code}): ${r.stderr.slice(-2000)}`);
    return r;
  }

  stop(): void {
    stopCluster(this.cluster);
    rmSync(this.work, { recursive: true, force: true });
  }
}

async function benchDeployCli(b: DeployBench, dir: string, n: number): Promise<string[][]> {
  // The store is created by the first command; a user's deploy finds it there.
  await b.cli(dir, b.url(await b.freshDb()));
  const ours: number[] = [];
  const bare: number[] = [];
  const bareProcess: number[] = [];
  for (let i = 0; i < 11; i += 1) {
    ours.push((await b.cli(dir, b.url(await b.freshDb()))).ms);
    bare.push(await b.bare(dir, b.url(await b.freshDb())));
    bareProcess.push((await b.bareProcess(dir, b.url(await b.freshDb()))).ms);
  }
  const o = median(ours);
  const p = median(bare);
  const q = median(bareProcess);
  return [
    [
      `\`drawbridge deploy --yes\`, ${n} migrations on loopback, whole process`,
      secs(o),
      `the same Prisma-shaped work in-process on one connection: ${secs(p)}`,
      `${(o / p).toFixed(2)}×`,
    ],
    [
      `(context) the same deploy against that loop as a process of its own`,
      secs(o),
      `Node's start, pg, the folder read and the same loop: ${secs(q)}`,
      `${(o / q).toFixed(2)}×`,
    ],
  ];
}

async function benchLatency(b: DeployBench, latencyMs: number): Promise<string[]> {
  const dir = generateCorpus(LATENCY_COUNT);
  const proxy = await TcpProxy.start({ host: b.cluster.host, port: b.cluster.port });
  try {
    const n = (await readMigrationsFolder(dir)).migrations.length;
    // Loopback elapsed of the same work, through the proxy without delay (for the estimate).
    const oursFast = (await b.cli(dir, b.url(await b.freshDb(), proxy))).ms;
    const bareFast = await b.bare(dir, b.url(await b.freshDb(), proxy));
    proxy.delay(latencyMs / 2);
    const measure = async (go: (url: string) => Promise<number>): Promise<{ ms: number; rt: number }> => {
      const url = b.url(await b.freshDb(), proxy);
      const before = proxy.requests;
      const ms = await go(url);
      return { ms, rt: (proxy.requests - before) / n };
    };
    const ours = await measure(async (url) => (await b.cli(dir, url)).ms);
    const bare = await measure((url) => b.bare(dir, url));
    const est = (slow: number, fast: number): string => ((slow - fast) / latencyMs / n).toFixed(2);
    return [
      `the same at ${latencyMs} ms round-trip time (proxy), ${n} migrations: round trips per migration`,
      `${ours.rt.toFixed(2)} counted (${est(ours.ms, oursFast)} from elapsed; ${secs(ours.ms)})`,
      `Prisma's shape: ${bare.rt.toFixed(2)} counted (${est(bare.ms, bareFast)} from elapsed; ${secs(bare.ms)})`,
      `${(ours.rt / bare.rt).toFixed(2)}×`,
    ];
  } finally {
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function table(rows: string[][]): string {
  return rows.map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** Builds the CLI, runs every row, and returns the printed table. */
export async function benchCli(opts: CliBenchOptions = {}): Promise<string> {
  if (!opts.noBuild) {
    const built = await run('npm', ['run', '--prefix', ROOT, 'build']);
    if (built.code !== 0) throw new Error(`npm run build failed: ${built.stdout}${built.stderr}`);
  }
  const latencyMs = opts.latencyMs ?? 10;
  const reviewDir = opts.corpus ?? generateReviewCorpus(COUNT);
  const deployDir = opts.corpus ?? generateCorpus(COUNT);
  const b = await DeployBench.start();
  try {
    const entries = (await readMigrationsFolder(reviewDir)).migrations;
    const files = entries.map((m) => join(m.dir, 'migration.sql'));
    const n = (await readMigrationsFolder(deployDir)).migrations.length;
    const rows = [
      ['what', 'Drawbridge', 'reference', 'ratio'],
      ['---', '---', '---', '---'],
      await benchHelp(),
      await benchReviewCli(reviewDir, files),
      ...(await benchDeployCli(b, deployDir, n)),
      await benchLatency(b, latencyMs),
    ];
    const source = opts.corpus ?? `synthetic corpora of ${COUNT} Prisma-style migrations (generated)`;
    return [
      `CLI benchmark — the bundled CLI (node ${process.version}), whole processes, medians of alternating rounds; ${source}`,
      table(rows),
      'Targets: --help ≤ 2×; review ≤ 1.5× squawk and ≤ 100 MiB; deploy ≤ 1.25×; round trips ≤ Prisma’s.',
      '',
    ].join('\n');
  } finally {
    b.stop();
    if (!opts.corpus) {
      rmSync(reviewDir, { recursive: true, force: true });
      rmSync(deployDir, { recursive: true, force: true });
    }
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({
    options: {
      corpus: { type: 'string' },
      latency: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  process.stdout.write(
    await benchCli({
      ...(values.corpus ? { corpus: values.corpus } : {}),
      ...(values.latency ? { latencyMs: Number(values.latency) } : {}),
      noBuild: values['no-build'],
    }),
  );
}
