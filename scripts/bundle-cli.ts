/**
 * Bundles the `drawbridge` command line (src/cli/main.ts) with esbuild into dist/cli/: cli.cjs, one
 * CommonJS script, and the package's `bin`, drawbridge.cjs (scripts/cli-launcher.ts), which runs it
 * with V8's code cache: one cache per kind of command, made here by running those commands once.
 * Run by `npm run build` after tsc (which type-checks and builds the bot, dist/src/).
 *
 * Why: a CLI command is a short process. On Node 20, loading the ~300 small ES and CommonJS modules
 * a deploy reaches (ours, zod's, pg's, pino's…) file by file costs more than the engine's own start,
 * and compiling the functions a command runs is a large part of what is left
 * (`npm run bench -- --only cli`). One script reads in one go; Node 20 gives a code cache to a classic
 * script only (ES modules have none before Node 22), so the script is CommonJS, and cli-launcher.ts
 * explains the cache. main.ts's laziness stays: each `import()` of a command, of the runtime or of a
 * package becomes a module initialised when first imported, so `--help` runs none of them and
 * `review <path>` no database code. The parser (libpg-query) is inside too, its .wasm copied beside.
 *
 * Left outside the bundle, loaded from node_modules as before: native addons (better-sqlite3,
 * @resvg/resvg-js), the chart's echarts and font, Bolt, and pg's optional native binding.
 *
 * One change to a package inside: pg asks, when it loads, whether it runs in a Cloudflare Worker, by
 * reading `navigator.userAgent` and, where there is no `navigator` (Node 20), by touching the global
 * `Response`, which makes Node 20 load its whole fetch implementation (about 20 ms of every command
 * that opens a database). The bundle gives pg's stream module a `navigator` of its own that says
 * "Node.js", so pg takes its Node path without touching `Response`. The build fails if pg's module no
 * longer reads as expected (a pg upgrade), rather than bundle it unchanged or changed wrongly.
 */
import { build, type Plugin } from 'esbuild';
import { DEFAULT_RULES } from '../src/migrations/review/all-rules.js';
import { CACHED_COMMANDS } from './cli-launcher.js';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const CLI_EXTERNAL = [
  'better-sqlite3',
  '@resvg/resvg-js',
  'echarts',
  'dejavu-fonts-ttf',
  '@slack/bolt',
  'pg-native',
];

/** What pg's lib/stream.js must contain for the change above to be right. */
const PG_CLOUDFLARE_CHECK =
  "if (typeof navigator === 'object' && navigator !== null && typeof navigator.userAgent === 'string') {";

/** pg's lib/stream.js, with a module-local `navigator` that is not a Cloudflare Worker's. */
export const pgStreamOnNode: Plugin = {
  name: 'pg-stream-on-node',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes(PG_CLOUDFLARE_CHECK) || /\bconst navigator\b/.test(source))
        throw new Error(
          `${args.path} does not read as pg 8.23's: review pgStreamOnNode in scripts/bundle-cli.ts`,
        );
      return { contents: `const navigator = { userAgent: 'Node.js' };\n${source}`, loader: 'js' };
    });
  },
};

/**
 * Builds the bundle into `outdir` (default dist/cli): cli.cjs (the command line), drawbridge.cjs (the
 * bin: scripts/cli-launcher.ts) and cli.cjs.cache (V8's code cache, made by running the commands once
 * in a process of its own); returns the bin's path. `outdir` must lie inside the project, so that
 * the external packages resolve from node_modules.
 */
export async function bundleCli(outdir = join(ROOT, 'dist/cli')): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  const common = {
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    minifyWhitespace: true,
    minifySyntax: true,
    minifyIdentifiers: true,
    keepNames: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    logLevel: 'warning',
  } as const;
  await build({
    ...common,
    entryPoints: [join(ROOT, 'src/cli/main.ts')],
    outfile: join(outdir, 'cli.cjs'),
    external: CLI_EXTERNAL,
    plugins: [pgStreamOnNode],
    // One script: each `import()` of a command, the runtime or a package inside becomes a module that
    // is initialised when first imported, so a command still runs only what it needs.
    // `import.meta.url` (createRequire, the entry point check) is the script's own file URL.
    define: { 'import.meta.url': '__drawbridgeScriptUrl' },
    banner: { js: "const __drawbridgeScriptUrl = require('node:url').pathToFileURL(__filename).href;" },
  });
  // The SQL parser is inside cli.cjs; its loader reads libpg-query.wasm from the script's directory.
  copyFileSync(
    createRequire(import.meta.url).resolve('libpg-query/wasm/libpg-query.wasm'),
    join(outdir, 'libpg-query.wasm'),
  );
  const bin = join(outdir, 'drawbridge.cjs');
  await build({
    ...common,
    entryPoints: [join(ROOT, 'scripts/cli-launcher.ts')],
    outfile: bin,
    banner: { js: '#!/usr/bin/env node' },
  });
  chmodSync(bin, 0o755);
  // Each code cache is made in a process of its own: V8 ties a cache to the flags of the process
  // that makes it, which must be those of a plain `node` (this build may run under tsx or jest).
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const examples = JSON.stringify(
    DEFAULT_RULES.flatMap((r) => [...r.examples.good, ...r.examples.bad]).map((sql) => `${sql}\n`),
  );
  for (const name of CACHED_COMMANDS) {
    const made = spawnSync(
      process.execPath,
      [
        '-e',
        `require(${JSON.stringify(bin)}).trainCodeCache(${JSON.stringify(outdir)}, '${name}', JSON.parse(process.env.DRAWBRIDGE_TRAINING_EXAMPLES))`,
      ],
      { encoding: 'utf8', env: { ...env, DRAWBRIDGE_TRAINING_EXAMPLES: examples }, timeout: 120_000 },
    );
    if (made.status !== 0)
      throw new Error(
        `making the CLI's ${name} code cache failed (${made.status ?? made.signal}): ${made.stderr}`,
      );
  }
  return bin;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const entry = await bundleCli();
  process.stdout.write(`bundled the CLI: ${entry}\n`);
}
