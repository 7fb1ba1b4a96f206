/**
 * The rehearsal's own overhead (issue 14's closing figure), measured by hand, not in tests: on a
 * throwaway cluster, a database of about 1 GB (`pgbench -i -s 70`) is dumped once; then (a) the bare
 * `pg_restore` of that dump into an empty database, (b) the plan applied there with psql, and (c) a
 * real rehearsal (`core/rehearsal/rehearse`) that restores the same dump (recorded as a run's verified
 * backup) into the shadow and applies the same plan with the native engine. The cluster is removed.
 * Run alone: `tsx bench/rehearsal-overhead.ts [--scale 70]`.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  createReadStream,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import { createLogger } from '../src/base/logger.js';
import { buildCoreDeps, closeCoreDeps } from '../src/compose.js';
import { loadConfig } from '../src/config/load-config.js';
import { rehearse } from '../src/core/rehearsal/rehearse.js';
import { checksumOf } from '../src/migrations/checksum.js';
import { resolveApplied } from '../src/migrations/resolve.js';
import { RunStore } from '../src/store/run-store.js';
import { databaseUrl, startCluster, stopCluster, type ClusterInfo } from '../test/support/pg-cluster.js';

const scale = Number(process.argv[process.argv.indexOf('--scale') + 1] || 70) || 70;
const PLAN = {
  '20260102000000_accounts_abalance_index':
    'CREATE INDEX "accounts_abalance_idx" ON pgbench_accounts (abalance);\n',
  '20260102000001_history_note':
    'ALTER TABLE pgbench_history ADD COLUMN note text;\nUPDATE pgbench_branches SET filler = NULL;\n',
};

function run(cluster: ClusterInfo, tool: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(
    join(cluster.binDir, tool),
    ['-h', cluster.host, '-p', String(cluster.port), '-U', cluster.user, ...args],
    {
      env: { ...process.env, PGPASSWORD: cluster.password },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (r.status !== 0) throw new Error(`${tool} failed: ${r.stderr}`);
  return performance.now() - t0;
}

async function sql(url: string, text: string): Promise<pg.QueryResult> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'drawbridge-rehearsal-bench-'));
  const cluster = await startCluster();
  try {
    for (const db of ['prod', 'shadow', 'bare']) await sql(cluster.adminUrl, `CREATE DATABASE ${db}`);
    const prodUrl = databaseUrl(cluster, 'prod');
    console.log(`pgbench -i -s ${scale}…`);
    const initMs = run(cluster, 'pgbench', ['-i', '-q', '-s', String(scale), 'prod']);
    const size = (await sql(prodUrl, "SELECT pg_database_size('prod')::bigint AS n")).rows[0].n as string;
    console.log(`prod: ${(Number(size) / 1e9).toFixed(2)} GB (pgbench -i took ${s(initMs)})`);

    // The migrations folder: a baseline (resolved as applied) and the plan.
    const dir = join(work, 'migrations');
    mkdirSync(join(dir, '20260101000000_init'), { recursive: true });
    writeFileSync(join(dir, '20260101000000_init', 'migration.sql'), '-- the pgbench tables\n');
    for (const [name, text] of Object.entries(PLAN)) {
      mkdirSync(join(dir, name));
      writeFileSync(join(dir, name, 'migration.sql'), text);
    }
    await resolveApplied({ databaseUrl: prodUrl, migrationsDir: dir, name: '20260101000000_init' });

    const dump = join(work, 'prod.dump');
    const dumpMs = run(cluster, 'pg_dump', ['--format=custom', '--file', dump, 'prod']);
    const dumpBytes = statSync(dump).size;
    console.log(`pg_dump -Fc: ${s(dumpMs)}, ${(dumpBytes / 1e6).toFixed(0)} MB`);

    const bareMs = run(cluster, 'pg_restore', ['--no-owner', '--dbname', 'bare', dump]);
    let barePlanMs = 0;
    for (const text of Object.values(PLAN))
      barePlanMs += run(cluster, 'psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', 'bare', '-c', text]);
    console.log(`bare pg_restore: ${s(bareMs)}; the plan with psql: ${s(barePlanMs)}`);

    // The rehearsal: the same dump, recorded as a verified backup of a run of `prod`.
    const configPath = join(work, 'drawbridge.yml');
    writeFileSync(
      configPath,
      stringify({
        slack: { channel: 'C0BENCH001' },
        environments: {
          prod: {
            database: { urlEnv: 'PROD_URL' },
            shadowDatabase: { urlEnv: 'SHADOW_URL' },
            migrations: dir,
            backup: { dir: join(work, 'backups') },
            lockTimeoutMs: 0,
          },
        },
      }),
    );
    const config = loadConfig({
      vars: {
        PROD_URL: prodUrl,
        SHADOW_URL: databaseUrl(cluster, 'shadow'),
        DRAWBRIDGE_CONFIG: configPath,
        DRAWBRIDGE_DATA_DIR: join(work, 'data'),
        PATH: `${cluster.binDir}:${process.env.PATH ?? ''}`,
      },
    });
    const deps = buildCoreDeps(config, createLogger({ level: 'warn' }));
    try {
      const runs = new RunStore(deps.store, deps.clock);
      const migrations = Object.keys(PLAN).map((name) => ({
        name,
        checksum: checksumOf(readFileSync(join(dir, name, 'migration.sql'))),
      }));
      const r = runs.createRun({
        environment: 'prod',
        requestedBy: 'UBENCH0001',
        plan: { environment: 'prod', target: { identity: 'bench' }, migrations, createdAt: deps.clock.now() },
        planHash: 'bench',
      });
      runs.setBackup(r.id, {
        path: dump,
        fileName: 'prod.dump',
        sha256: await sha256(dump),
        sizeBytes: dumpBytes,
        startedAt: new Date().toISOString(),
      });
      const t0 = performance.now();
      const phases: string[] = [];
      const out = await rehearse({
        deps,
        runs,
        environment: 'prod',
        rehearsalId: 'bench',
        migrations,
        signal: new AbortController().signal,
        phase: (text) => {
          if (!text.startsWith('Restore: ') && !text.startsWith('pg_dump: '))
            phases.push(`${s(performance.now() - t0)} ${text}`);
        },
        onMigration: () => undefined,
      });
      const totalMs = performance.now() - t0;
      console.log(phases.join('\n'));
      if (out.state !== 'succeeded')
        throw new Error(
          `rehearsal ${out.state}: ${out.result.error ?? JSON.stringify(out.result.migrations)}`,
        );
      const restoreMs = out.result.source?.restoreMs ?? 0;
      const applyMs = out.result.applyMs ?? 0;
      console.log(
        [
          `source: ${out.result.source?.kind} (${out.result.source?.fileName})`,
          ...out.result.migrations.map(
            (m) =>
              `  ${m.name}: ${s(m.durationMs ?? 0)} ${m.locks.map((l) => `${l.mode} on ${l.table} (${l.source})`).join(', ')} ${m.rows.map((x) => `${x.command} ${x.rows}`).join(', ')}`,
          ),
          `rehearsal: restore into the shadow ${s(restoreMs)} + apply ${s(applyMs)} = ${s(totalMs)} wall`,
          `bare pg_restore ${s(bareMs)} (+ the plan with psql ${s(barePlanMs)} = ${s(bareMs + barePlanMs)})`,
          `overhead of the rehearsal over the bare pg_restore: ${s(totalMs - bareMs)} (${((totalMs / bareMs - 1) * 100).toFixed(0)} %); over bare restore + psql apply: ${s(totalMs - bareMs - barePlanMs)} (${((totalMs / (bareMs + barePlanMs) - 1) * 100).toFixed(0)} %)`,
        ].join('\n'),
      );
    } finally {
      await closeCoreDeps(deps);
    }
  } finally {
    stopCluster(cluster);
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
