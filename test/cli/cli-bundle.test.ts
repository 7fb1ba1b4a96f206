/**
 * The bundled CLI (scripts/bundle-cli.ts → dist/cli/cli.cjs, started by dist/cli/drawbridge.cjs, the
 * package's `bin`, with V8's code cache) is the same program as src/cli/main.ts: built here into a
 * directory of its own, it is run as a real process against the same fixtures and a real database,
 * and must answer byte for byte what the sources answer (help, a review, usage and configuration
 * errors), apply migrations, and keep main.ts's lazy loading: what each command loads (packages left
 * outside the bundle, Node's own modules) is recorded by test/support/module-trace.mjs. A code cache
 * is used only for the exact bytes it was made from.
 */
import { spawn, spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../../scripts/bundle-cli.js';
import {
  BUNDLE_FILE,
  CACHED_COMMANDS,
  cacheFile,
  cacheFor,
  type CacheName,
} from '../../scripts/cli-launcher.js';
import { twoMigrationEnvironment } from '../support/cli-environment.js';
import type { TestDatabase } from '../support/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = join(root, 'test/fixtures/deploy/migrations');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Packages under node_modules the process loaded. */
  packages: Set<string>;
  /** Node's own modules the process loaded (`internal/deps/undici/undici`, …). */
  nodeInternals: Set<string>;
}

let work: string;
let outdir: string;
let entry: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'drawbridge-bundle-'));
  // Inside the project, so that the packages left outside the bundle resolve from node_modules.
  outdir = join(root, 'node_modules/.cache', `drawbridge-bundle-test-${process.pid}`);
  entry = await bundleCli(outdir);
}, 60_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(outdir, { recursive: true, force: true });
});

const baseEnv = (): Record<string, string> => ({
  PATH: process.env.PATH ?? '',
  // No configuration file is found, and none is named, unless a test says so.
  DRAWBRIDGE_CONFIG: join(work, 'absent.yml'),
});

/** The bundle as a user runs it, every module it loads recorded. */
function bundled(args: string[], env: Record<string, string> = {}): Ran {
  const trace = join(work, `trace-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(trace, '');
  const r = spawnSync(process.execPath, ['--import', './test/support/module-trace.mjs', entry, ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...baseEnv(), DRAWBRIDGE_MODULE_TRACE: trace, ...env },
  });
  const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const packages = new Set<string>();
  const nodeInternals = new Set<string>();
  for (const url of urls) {
    if (url.startsWith('node-internal:')) nodeInternals.add(url.slice('node-internal:'.length));
    if (!url.startsWith('file:')) continue;
    const path = fileURLToPath(url);
    const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
    if (nm && !path.startsWith(`${outdir}/`)) packages.add(nm[1] as string);
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, packages, nodeInternals };
}

/** Whether a plain `node` process would load the script in `dir` with the named code cache. */
function cacheUsed(dir: string, name: CacheName): boolean {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `process.stdout.write(String(require(${JSON.stringify(join(dir, 'drawbridge.cjs'))}).loadCli(${JSON.stringify(dir)}, '${name}').cacheUsed))`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout === 'true';
}

/** The sources, through tsx, for comparison. */
function fromSources(
  args: string[],
  env: Record<string, string> = {},
): Omit<Ran, 'packages' | 'nodeInternals'> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...baseEnv(), ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled drawbridge CLI', () => {
  it('is a bin with a shebang, the script, the parser WebAssembly and a code cache per kind of command', () => {
    expect(readFileSync(entry, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    for (const name of CACHED_COMMANDS) expect(cacheUsed(outdir, name)).toBe(true);
    expect(readFileSync(join(outdir, 'libpg-query.wasm')).subarray(0, 4)).toEqual(
      Buffer.from([0, 0x61, 0x73, 0x6d]),
    );
  });

  it('uses a code cache only for the bytes it was made from; without it, runs the same', () => {
    // A copy inside the project (the packages left outside the bundle resolve from node_modules).
    const copy = `${outdir}-copy`;
    cpSync(outdir, copy, { recursive: true });
    try {
      const script = join(copy, BUNDLE_FILE);
      const text = readFileSync(script, 'utf8');
      // Same length, other bytes: V8 alone would take the cache (it checks the length) and run the
      // code of the old bytes, which prints "deploy".
      expect(text.split('drawbridge deploy --env <name>').length).toBe(2);
      writeFileSync(script, text.replace('drawbridge deploy --env <name>', 'drawbridge deplox --env <name>'));
      expect(cacheUsed(copy, 'help')).toBe(false);
      const changed = spawnSync(process.execPath, [join(copy, 'drawbridge.cjs'), '--help'], {
        encoding: 'utf8',
      });
      expect(changed.stdout).toContain('drawbridge deplox --env <name>');

      writeFileSync(script, text);
      const review = join(copy, cacheFile('review'));
      expect(cacheUsed(copy, 'review')).toBe(true);
      const reviewed = (): string =>
        spawnSync(process.execPath, [join(copy, 'drawbridge.cjs'), 'review', fixture], { encoding: 'utf8' })
          .stdout;
      const expected = fromSources(['review', fixture]).stdout;
      // A damaged cache with the right hash in front (cut short, or bytes changed): V8 refuses it.
      const data = readFileSync(review);
      writeFileSync(review, data.subarray(0, data.length - 1000));
      expect(cacheUsed(copy, 'review')).toBe(false);
      expect(reviewed()).toBe(expected);
      const scrambled = Buffer.from(data);
      for (let i = 40; i < scrambled.length; i += 97) scrambled[i] = (scrambled[i] as number) ^ 0x5a;
      writeFileSync(review, scrambled);
      expect(cacheUsed(copy, 'review')).toBe(false);
      expect(reviewed()).toBe(expected);
      // No cache at all.
      rmSync(review);
      expect(cacheUsed(copy, 'review')).toBe(false);
      expect(reviewed()).toBe(expected);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('chooses the cache by the command', () => {
    expect(cacheFor([])).toBe('help');
    expect(cacheFor(['--help'])).toBe('help');
    expect(cacheFor(['review', '--json', 'x'])).toBe('review');
    expect(cacheFor(['--json', 'deploy', '--env', 'x', '--yes'])).toBe('deploy');
    expect(cacheFor(['history', '--env', 'x'])).toBe('help');
  });

  it('shows --help as the sources do, loading no package, no network and no child process code', () => {
    const b = bundled(['--help']);
    const s = fromSources(['--help']);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(s.stdout);
    expect(b.stdout).toContain('drawbridge deploy --env <name>');
    expect([...b.packages]).toEqual([]);
    for (const m of ['tls', 'dns', 'child_process', 'zlib', 'fs/promises'])
      expect(b.nodeInternals.has(m)).toBe(false);
  });

  it.each([[['nope']], [['status', '--bogus']], [['deploy', '--yes']], [['status', '--env', 'staging']]])(
    'answers %j as the sources do (exit code and text)',
    (args) => {
      const b = bundled(args);
      const s = fromSources(args);
      expect(b.code).toBe(s.code);
      expect(b.code).toBe(2);
      expect(b.stderr).toBe(s.stderr);
      expect(b.stdout).toBe(s.stdout);
    },
  );

  it('reviews a folder exactly as the sources do, with the parser but no database code', () => {
    const b = bundled(['review', fixture]);
    const s = fromSources(['review', fixture]);
    expect(b.code).toBe(s.code);
    expect(b.stdout).toBe(s.stdout);
    expect(b.stdout).toMatch(/error\(s\), \d+ warning\(s\)/);
    // The parser is inside the script; no package, no database driver's network code.
    expect([...b.packages]).toEqual([]);
    for (const m of ['tls', 'dns', 'child_process']) expect(b.nodeInternals.has(m)).toBe(false);
  });

  it('writes the whole of a long output to a slow reader before it exits', async () => {
    // Some 330 KB of findings, written at the end: far more than a pipe holds, so the write is still
    // under way when the review is done, and the process must wait for it before it ends itself.
    const dir = join(work, 'long-review');
    for (let i = 0; i < 300; i++) {
      const name = `2025010100${String(i).padStart(4, '0')}_m${i}`;
      mkdirSync(join(dir, name), { recursive: true });
      writeFileSync(
        join(dir, name, 'migration.sql'),
        `ALTER TABLE "Big${i}" ADD COLUMN "c" TEXT NOT NULL;\nCREATE INDEX "Big${i}_c_idx" ON "Big${i}"("c");\nALTER TABLE "Big${i}" ALTER COLUMN "d" TYPE BIGINT;\n`,
      );
    }
    const expected = spawnSync(process.execPath, [entry, 'review', dir], {
      encoding: 'utf8',
      maxBuffer: 1e8,
    });
    expect(expected.status).toBe(1);
    expect(expected.stdout.length).toBeGreaterThan(256 * 1024);
    // Whole: the last migration and the summary line that ends the report.
    expect(expected.stdout).toContain('20250101000299_m299: 3 finding(s)');
    expect(expected.stdout.endsWith('\n600 error(s), 300 warning(s), 0 info, 0 suppressed\n\n')).toBe(true);

    const child = spawn(process.execPath, [entry, 'review', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    // A pause of 5 ms after every chunk: the review is done long before the reader has it all.
    child.stdout.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 5);
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(Buffer.concat(chunks).toString('utf8')).toBe(expected.stdout);
  }, 60_000);

  it('ends itself after a command only when nothing but its output is left, keeping the exit code', () => {
    // `beforeExit` is emitted only when the event loop empties by itself, not on process.exit().
    const run = (body: string): { status: number | null; stdout: string } =>
      spawnSync(
        process.execPath,
        [
          '-e',
          `const { exitWhenDone } = require(${JSON.stringify(entry)});
           process.on('beforeExit', () => process.stdout.write('[loop emptied]'));
           process.on('exit', (code) => process.stdout.write('[exit ' + code + ']'));
           ${body}`,
        ],
        { encoding: 'utf8' },
      );
    const idle = run(`process.stdout.write('done'); process.exitCode = 4; void exitWhenDone();`);
    expect(idle).toEqual(expect.objectContaining({ status: 4, stdout: 'done[exit 4]' }));

    const marker = join(work, 'timer-fired');
    const pending = run(
      `setTimeout(() => require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'yes'), 300);
       process.exitCode = 3; void exitWhenDone();`,
    );
    expect(pending.status).toBe(3);
    expect(pending.stdout).toBe('[loop emptied][exit 3]');
    expect(existsSync(marker)).toBe(true);
  });

  it('reports a configuration error as the sources do', () => {
    const bad = join(work, 'bad.yml');
    writeFileSync(bad, 'environments:\n  staging:\n    database: 42\n');
    const b = bundled(['status', '--env', 'staging', '--config', bad]);
    const s = fromSources(['status', '--env', 'staging', '--config', bad]);
    expect(b.code).toBe(2);
    expect(b.code).toBe(s.code);
    expect(b.stderr).toBe(s.stderr);
  });

  describe('on a real database', () => {
    let db: TestDatabase;
    let env: Record<string, string>;

    beforeAll(async () => {
      ({ db, env } = await twoMigrationEnvironment(work, 'bundle'));
    });

    afterAll(async () => {
      await db.drop();
    });

    it('applies the migrations with deploy --yes, without Bolt, the chart, Node fetch or child processes', async () => {
      const pending = bundled(['status', '--env', 'staging'], env);
      expect(pending.code).toBe(1);
      expect(pending.stdout).toContain('20250102000000_more');

      const d = bundled(['deploy', '--env', 'staging', '--yes'], env);
      expect(d.stderr).toContain('[2/2] applying 20250102000000_more');
      expect(d.stdout).toContain('All migrations have been successfully applied.');
      expect(d.code).toBe(0);
      expect(d.packages.has('better-sqlite3')).toBe(true);
      for (const p of ['@slack/bolt', 'echarts']) expect(d.packages.has(p)).toBe(false);
      // pg takes its Node path without asking the global Response, which loads Node's fetch
      // (scripts/bundle-cli.ts pgStreamOnNode).
      expect(d.nodeInternals.has('net')).toBe(true);
      expect([...d.nodeInternals].filter((m) => m.includes('undici'))).toEqual([]);
      // No child process code (execa, the backup tools): deploy --yes runs the engine alone.
      expect(d.nodeInternals.has('child_process')).toBe(false);
      const { rows } = await db.query<{ migration_name: string; finished: boolean }>(
        'SELECT migration_name, finished_at IS NOT NULL AS finished FROM "_prisma_migrations" ORDER BY started_at',
      );
      expect(rows).toEqual([
        { migration_name: '20250101000000_init', finished: true },
        { migration_name: '20250102000000_more', finished: true },
      ]);

      // The audit line the deploy writes before the process ends itself (scripts/cli-launcher.ts).
      const store = new Database(join(env.DRAWBRIDGE_DATA_DIR as string, 'drawbridge.sqlite'), {
        readonly: true,
      });
      try {
        const audit = store
          .prepare("SELECT actor, action, environment, detail FROM audit WHERE action = 'cli.deploy'")
          .all() as { actor: string; action: string; environment: string; detail: string }[];
        expect(audit).toHaveLength(1);
        expect(audit[0]?.actor).toMatch(/^cli:/);
        expect(audit[0]?.environment).toBe('staging');
        expect(JSON.parse(audit[0]?.detail ?? '{}')).toMatchObject({ exitCode: 0 });
      } finally {
        store.close();
      }

      const after = bundled(['status', '--env', 'staging', '--json'], env);
      expect(after.code).toBe(0);
      expect(JSON.parse(after.stdout)).toMatchObject({ environment: 'staging', toApply: [] });
    });

    it('runs the commands that use the run services (history, window list)', () => {
      const h = bundled(['history', '--env', 'staging', '--json'], env);
      expect(h.code).toBe(0);
      expect(JSON.parse(h.stdout)).toEqual({ environment: 'staging', runs: [] });

      const w = bundled(['window', 'list', '--env', 'staging'], env);
      expect(w.code).toBe(0);
      expect(w.stdout).toContain('No open or upcoming maintenance window for staging');
    });
  });
});
