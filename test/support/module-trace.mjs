/**
 * `node --import ./test/support/module-trace.mjs …`: records which modules a process loads (for the
 * test that `drawbridge --help` loads nothing heavy). See module-trace-hooks.mjs.
 */
import { register } from 'node:module';

register('./module-trace-hooks.mjs', import.meta.url);
