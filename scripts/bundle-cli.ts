/**
 * Bundles the `drawbridge` command line (src/cli/main.ts) with esbuild into dist/cli/: the package's
 * `bin`. Run by `npm run build` after tsc (which type-checks and builds the bot, dist/src/).
 *
 * Why: a CLI command is a short process, and on Node 20 loading the ~300 small ES and CommonJS modules
 * a deploy reaches (ours, zod's, pg's, pino's…) file by file costs more than the engine's own start
 * (`npm run bench -- --only cli`). One file per lazily loaded part reads and compiles in one go.
 * Code splitting keeps the laziness of main.ts: each `import()` of a command or of the runtime is its
 * own chunk, so `--help` still loads nothing but the entry, and `review <path>` no database code.
 *
 * Left outside the bundle, loaded from node_modules as before: native addons (better-sqlite3,
 * @resvg/resvg-js), libpg-query (it reads its .wasm beside itself), the chart's echarts and font,
 * Bolt, and pg's optional native binding.
 *
 * One change to a package inside: pg asks, when it loads, whether it runs in a Cloudflare Worker, by
 * reading `navigator.userAgent` and, where there is no `navigator` (Node 20), by touching the global
 * `Response`, which makes Node 20 load its whole fetch implementation (about 20 ms of every command
 * that opens a database). The bundle gives pg's stream module a `navigator` of its own that says
 * "Node.js", so pg takes its Node path without touching `Response`. The build fails if pg's module no
 * longer reads as expected (a pg upgrade), rather than bundle it unchanged or changed wrongly.
 */
import { build, type Plugin } from 'esbuild';
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export const CLI_EXTERNAL = [
  'better-sqlite3',
  'libpg-query',
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
 * Builds the bundle into `outdir` (default dist/cli) and returns the entry's path. `outdir` must lie
 * inside the project, so that the external packages resolve from node_modules.
 */
export async function bundleCli(outdir = join(ROOT, 'dist/cli')): Promise<string> {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { drawbridge: join(ROOT, 'src/cli/main.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunks/[name]-[hash]',
    external: CLI_EXTERNAL,
    plugins: [pgStreamOnNode],
    // The CommonJS packages inside (pg, pino, yaml…) call require() for Node's built-ins.
    banner: {
      js: "import { createRequire as __drawbridgeCreateRequire } from 'node:module';\nconst require = __drawbridgeCreateRequire(import.meta.url);",
    },
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'linked',
    logLevel: 'warning',
  });
  return join(outdir, 'drawbridge.js');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const entry = await bundleCli();
  process.stdout.write(`bundled the CLI: ${entry}\n`);
}
