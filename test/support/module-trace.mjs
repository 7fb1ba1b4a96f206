/**
 * `node --import ./test/support/module-trace.mjs …`: records which modules a process loads (for the
 * tests that `drawbridge --help` loads nothing heavy): every module the ES module loader loads (see
 * module-trace-hooks.mjs) and, when the process exits, every CommonJS module in require's cache (a
 * package required with createRequire does not pass the ES module loader) and Node's own modules.
 */
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

register('./module-trace-hooks.mjs', import.meta.url);

const out = process.env.DRAWBRIDGE_MODULE_TRACE;
const require = createRequire(import.meta.url);
if (out) {
  process.on('exit', () => {
    const files = Object.keys(require.cache).map((f) => `${pathToFileURL(f).href}\n`);
    // Node's own modules that were loaded, as node-internal:<id> (e.g. node-internal:internal/deps/undici/undici).
    const internal = process.moduleLoadList
      .filter((m) => m.startsWith('NativeModule '))
      .map((m) => `node-internal:${m.slice('NativeModule '.length)}\n`);
    appendFileSync(out, [...files, ...internal].join(''));
  });
}
