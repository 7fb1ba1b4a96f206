/**
 * Reads every source file's imports and fails on an upward dependency between layers, on
 * `process.env` outside src/config, on `Date.now()` outside the clock and on `shell: true`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** Allowed dependencies of each layer (besides itself). Top-level files (main, compose) may use all. */
const allowed: Record<string, string[]> = {
  slack: ['core', 'migrations', 'exec', 'integrations', 'store', 'config', 'base'],
  cli: ['core', 'migrations', 'exec', 'integrations', 'store', 'config', 'base'],
  core: ['migrations', 'exec', 'integrations', 'store', 'config', 'base'],
  migrations: ['exec', 'config', 'base'],
  exec: ['config', 'base'],
  integrations: ['config', 'base'],
  store: ['config', 'base'],
  config: ['base'],
  base: [],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

function layerOf(file: string): string | undefined {
  const rel = relative(src, file).split('/');
  return rel.length > 1 ? rel[0] : undefined;
}

describe('architecture', () => {
  const sources = files(src);

  it('has source files in every layer it knows', () => {
    expect(sources.length).toBeGreaterThan(10);
    for (const f of sources) {
      const layer = layerOf(f);
      if (layer) expect(Object.keys(allowed)).toContain(layer);
    }
  });

  it('has no upward imports', () => {
    const violations: string[] = [];
    for (const file of sources) {
      const layer = layerOf(file);
      if (!layer) continue;
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(IMPORT_RE)) {
        const target = resolve(dirname(file), (m[1] ?? m[2]) as string);
        const targetLayer = layerOf(target);
        if (!targetLayer || targetLayer === layer) continue;
        if (!allowed[layer]?.includes(targetLayer)) {
          violations.push(`${relative(root, file)} (${layer}) imports ${m[1]} (${targetLayer})`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('reads process.env only in src/config, the clock only in src/base/clock.ts, and never uses a shell', () => {
    const violations: string[] = [];
    for (const file of sources) {
      const rel = relative(src, file);
      const text = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
      if (/process\.env\b/.test(text) && !rel.startsWith('config/')) violations.push(`${rel}: process.env`);
      if (/Date\.now\(\)/.test(text) && rel !== 'base/clock.ts') violations.push(`${rel}: Date.now()`);
      if (/shell\s*:\s*true/.test(text)) violations.push(`${rel}: shell: true`);
    }
    expect(violations).toEqual([]);
  });

  it('lets slack/ and cli/ reach core only through core/index.ts (and the CLI its engine-index.ts)', () => {
    const violations: string[] = [];
    for (const file of sources) {
      const layer = layerOf(file);
      if (layer !== 'slack' && layer !== 'cli') continue;
      for (const target of importsOf(file)) {
        const door = relative(src, target);
        const allowed = door === 'core/index.ts' || (layer === 'cli' && door === 'core/engine-index.ts');
        if (layerOf(target) === 'core' && !allowed)
          violations.push(`${relative(root, file)} imports ${relative(root, target)}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('has no import cycle', () => {
    const graph = new Map(sources.map((f) => [f, importsOf(f).filter((t) => graphHas(t))]));
    function graphHas(t: string): boolean {
      return sources.includes(t);
    }
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const path: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      path.push(f);
      for (const t of graph.get(f) ?? []) {
        if (state.get(t) === 'open') {
          cycles.push([...path.slice(path.indexOf(t)), t].map((x) => relative(src, x)).join(' → '));
        } else if (!state.has(t)) visit(t);
      }
      path.pop();
      state.set(f, 'done');
    };
    for (const f of sources) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });
});

/**
 * Relative imports: static (`import … from './x.js'`, `export … from`) and dynamic (`import('./x.js')`,
 * the CLI's lazily loaded commands), so that loading on demand hides no edge from these checks.
 */
const IMPORT_RE = /(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|\bimport\(\s*['"](\.[^'"]+)['"]\s*\)/g;

/** The source files a file imports (relative imports, `.js` written for `.ts`), resolved. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(IMPORT_RE)) {
    out.push(resolve(dirname(file), ((m[1] ?? m[2]) as string).replace(/\.js$/, '.ts')));
  }
  return out;
}
