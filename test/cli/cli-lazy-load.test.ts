/**
 * The CLI loads a command's modules only when that command runs: `--help` and usage errors load no
 * dependency and nothing below cli/, and `review <path>` loads the SQL parser but not the store, the
 * core, the database driver or Bolt. A real process (`node --import tsx`) records every module it
 * loads through test/support/module-trace.mjs. Behaviour only: no timings are asserted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { twoMigrationEnvironment } from '../support/cli-environment.js';
import type { TestDatabase } from '../support/postgres.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const HEAVY = [
  'libpg-query',
  '@slack/bolt',
  'pg',
  'better-sqlite3',
  'zod',
  'yaml',
  'pino',
  'execa',
  'echarts',
];

interface Traced {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Packages under node_modules the process loaded (tsx's own excepted). */
  packages: Set<string>;
  /** Source files under src/ the process loaded, relative to src/. */
  sources: string[];
}

let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'drawbridge-lazy-'));
});

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

function traced(args: string[], env: Record<string, string> = {}): Traced {
  const trace = join(work, `trace-${Math.random().toString(36).slice(2)}.txt`);
  writeFileSync(trace, '');
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--import', './test/support/module-trace.mjs', 'src/cli/main.ts', ...args],
    {
      cwd: root,
      encoding: 'utf8',
      // No configuration file is found from here, and none is named.
      env: {
        PATH: process.env.PATH ?? '',
        DRAWBRIDGE_MODULE_TRACE: trace,
        DRAWBRIDGE_CONFIG: join(work, 'absent.yml'),
        ...env,
      },
    },
  );
  const urls = readFileSync(trace, 'utf8').split('\n').filter(Boolean);
  const packages = new Set<string>();
  const sources: string[] = [];
  for (const url of urls) {
    const nm = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (nm && !/^(tsx|esbuild|get-tsconfig|resolve-pkg-maps)$/.test(nm[1] as string))
      packages.add(nm[1] as string);
    const src = /\/src\/(.+)$/.exec(url);
    if (src && !nm) sources.push(src[1] as string);
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, packages, sources };
}

const heavyIn = (t: Traced): string[] => HEAVY.filter((p) => t.packages.has(p));
const below = (t: Traced, layers: string[]): string[] =>
  t.sources.filter((s) => layers.some((l) => s.startsWith(`${l}/`)));

describe('the CLI loads what a command needs, when it runs', () => {
  it('records the modules a process loads (the trace itself works)', () => {
    const t = traced(['review', join(root, 'test/fixtures/deploy/migrations')]);
    expect(t.sources).toContain('cli/main.ts');
    expect(t.packages.has('libpg-query')).toBe(true);
  });

  it('shows --help without loading any dependency or anything below cli/', () => {
    const t = traced(['--help']);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('drawbridge deploy --env <name>');
    expect(heavyIn(t)).toEqual([]);
    expect([...t.packages]).toEqual([]);
    expect(below(t, ['core', 'config', 'store', 'migrations', 'slack', 'exec', 'integrations'])).toEqual([]);
    expect(t.sources.filter((s) => s.startsWith('cli/commands/'))).toEqual([]);
  });

  it.each([
    [['nope'], 'Unknown command: nope'],
    [[], 'Usage:'],
    [['status', '--bogus'], "Unknown option '--bogus'"],
    [['review'], 'review takes one environment name or path'],
    [['status'], '--env <name> is required'],
    [['deploy', '--yes'], '--env <name> is required'],
    [['watch'], '--run <run id> is required'],
  ])('answers the usage error %j with exit 2 and loads nothing heavy', (args, text) => {
    const t = traced(args);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(text);
    expect(heavyIn(t)).toEqual([]);
    expect(below(t, ['core', 'config', 'store', 'slack'])).toEqual([]);
  });

  it('reviews a path with the parser but without the configuration, store, core, pg or Bolt', () => {
    const t = traced(['review', join(root, 'test/fixtures/deploy/migrations')]);
    expect([0, 1]).toContain(t.code);
    expect(t.stdout).toMatch(/error\(s\), \d+ warning\(s\)/);
    expect(heavyIn(t)).toEqual(['libpg-query']);
    expect(below(t, ['core', 'config', 'store', 'slack', 'exec', 'integrations'])).toEqual([]);
  });

  describe('deploy --yes', () => {
    let db: TestDatabase;
    let env: Record<string, string>;

    beforeAll(async () => {
      ({ db, env } = await twoMigrationEnvironment(work, 'lazy'));
    });

    afterAll(async () => {
      await db.drop();
    });

    it('applies plain migrations with the engine alone: no SQL parser, Bolt, execa, metrics or run pipeline', async () => {
      const t = traced(['deploy', '--env', 'staging', '--yes'], env);
      expect(t.stderr).toContain('[2/2] applying 20250102000000_more');
      expect(t.code).toBe(0);
      expect(t.packages.has('pg')).toBe(true);
      for (const p of ['libpg-query', '@slack/bolt', 'execa', 'echarts', 'prom-client'])
        expect(t.packages.has(p)).toBe(false);
      expect(below(t, ['slack'])).toEqual([]);
      expect(t.sources.filter((s) => s.startsWith('migrations/review/rules/'))).toEqual([]);
      // The engine and nothing else of the core (core/engine-index.ts): no run pipeline, windows,
      // watch, rehearsal or integrations.
      const core = below(t, ['core']);
      expect(core).toContain('core/engine-service.ts');
      expect(
        below(t, [
          'core/pipeline',
          'core/windows',
          'core/monitor',
          'core/rehearsal',
          'core/shadow',
          'integrations',
        ]),
      ).toEqual([]);
      expect(core).not.toContain('core/index.ts');
      const { rows } = await db.query(
        'SELECT count(*)::int AS n FROM "_prisma_migrations" WHERE finished_at IS NOT NULL',
      );
      expect(rows[0]?.n).toBe(2);
    });
  });
});
