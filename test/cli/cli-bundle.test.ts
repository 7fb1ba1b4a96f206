/**
 * The bundled CLI (scripts/bundle-cli.ts → dist/cli/drawbridge.js, the package's `bin`) is the same
 * program as src/cli/main.ts: built here into a directory of its own, it is run as a real process
 * against the same fixtures and a real database, and must answer byte for byte what the sources
 * answer (help, a review, usage and configuration errors), apply migrations, and keep main.ts's lazy
 * loading (what each command loads is recorded by test/support/module-trace.mjs).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../../scripts/bundle-cli.js';
import { twoMigrationEnvironment } from '../support/cli-environment.js';
import type { TestDatabase } from '../support/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = join(root, 'test/fixtures/deploy/migrations');

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Files of the bundle the process loaded, relative to its directory. */
  bundleFiles: string[];
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
  const bundleFiles: string[] = [];
  const packages = new Set<string>();
  const nodeInternals = new Set<string>();
  for (const url of urls) {
    if (url.startsWith('node-internal:')) nodeInternals.add(url.slice('node-internal:'.length));
    if (!url.startsWith('file:')) continue;
    const path = fileURLToPath(url);
    if (path.startsWith(`${outdir}/`)) bundleFiles.push(relative(outdir, path));
    else {
      const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
      if (nm) packages.add(nm[1] as string);
    }
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, bundleFiles, packages, nodeInternals };
}

/** The sources, through tsx, for comparison. */
function fromSources(
  args: string[],
  env: Record<string, string> = {},
): Omit<Ran, 'bundleFiles' | 'packages' | 'nodeInternals'> {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...baseEnv(), ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the bundled drawbridge CLI', () => {
  it('is one entry file and a chunk per lazily loaded part, with a shebang', () => {
    expect(readFileSync(entry, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
    const chunks = readdirSync(join(outdir, 'chunks')).filter((f) => f.endsWith('.js'));
    // main.ts imports each command and the runtime with import(): each is a chunk of its own.
    for (const command of ['deploy', 'review', 'status', 'runtime', 'compose-core'])
      expect(chunks.some((f) => f.startsWith(`${command}-`))).toBe(true);
  });

  it('shows --help as the sources do, loading no command, no runtime and no package', () => {
    const b = bundled(['--help']);
    const s = fromSources(['--help']);
    expect(b.code).toBe(0);
    expect(b.stdout).toBe(s.stdout);
    expect(b.stdout).toContain('drawbridge deploy --env <name>');
    expect(b.bundleFiles).toContain('drawbridge.js');
    // Beside the entry, only the small chunks it shares with the commands (errors, usage, output).
    expect(b.bundleFiles.filter((f) => !/^(drawbridge|chunks\/chunk-[A-Z0-9]+)\.js$/.test(f))).toEqual([]);
    const loaded = b.bundleFiles.reduce((n, f) => n + statSync(join(outdir, f)).size, 0);
    expect(loaded).toBeLessThan(64 * 1024);
    expect([...b.packages]).toEqual([]);
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
    // The parser and what it requires itself.
    expect([...b.packages].sort()).toEqual(['@pgsql/types', 'libpg-query']);
    expect(b.bundleFiles.some((f) => f.startsWith('chunks/runtime-'))).toBe(false);
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

    it('applies the migrations with deploy --yes, loading neither the parser nor the run pipeline', async () => {
      const pending = bundled(['status', '--env', 'staging'], env);
      expect(pending.code).toBe(1);
      expect(pending.stdout).toContain('20250102000000_more');

      const d = bundled(['deploy', '--env', 'staging', '--yes'], env);
      expect(d.stderr).toContain('[2/2] applying 20250102000000_more');
      expect(d.stdout).toContain('All migrations have been successfully applied.');
      expect(d.code).toBe(0);
      expect(d.packages.has('better-sqlite3')).toBe(true);
      for (const p of ['libpg-query', '@slack/bolt', 'echarts']) expect(d.packages.has(p)).toBe(false);
      // pg takes its Node path without asking the global Response, which loads Node's fetch
      // (scripts/bundle-cli.ts pgStreamOnNode).
      expect(d.nodeInternals.has('net')).toBe(true);
      expect([...d.nodeInternals].filter((m) => m.includes('undici'))).toEqual([]);
      // The run and window services are a chunk deploy does not load; execa is another.
      expect(d.bundleFiles.some((f) => f.startsWith('chunks/compose-core-'))).toBe(false);
      expect(d.bundleFiles.some((f) => f.startsWith('chunks/execa-'))).toBe(false);
      const { rows } = await db.query<{ migration_name: string; finished: boolean }>(
        'SELECT migration_name, finished_at IS NOT NULL AS finished FROM "_prisma_migrations" ORDER BY started_at',
      );
      expect(rows).toEqual([
        { migration_name: '20250101000000_init', finished: true },
        { migration_name: '20250102000000_more', finished: true },
      ]);

      const after = bundled(['status', '--env', 'staging', '--json'], env);
      expect(after.code).toBe(0);
      expect(JSON.parse(after.stdout)).toMatchObject({ environment: 'staging', toApply: [] });
    });

    it('loads the run services for the commands that use them (history, window list)', () => {
      const h = bundled(['history', '--env', 'staging', '--json'], env);
      expect(h.code).toBe(0);
      expect(JSON.parse(h.stdout)).toEqual({ environment: 'staging', runs: [] });
      expect(h.bundleFiles.some((f) => f.startsWith('chunks/compose-core-'))).toBe(true);

      const w = bundled(['window', 'list', '--env', 'staging'], env);
      expect(w.code).toBe(0);
      expect(w.stdout).toContain('No open or upcoming maintenance window for staging');
    });
  });
});
