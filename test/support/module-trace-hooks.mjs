/**
 * Module customization hooks (registered by module-trace.mjs): append every module URL Node loads
 * through the ESM loader to the file named by DRAWBRIDGE_MODULE_TRACE, one a line.
 */
import { appendFileSync } from 'node:fs';

const out = process.env.DRAWBRIDGE_MODULE_TRACE;

export async function load(url, context, nextLoad) {
  if (out) appendFileSync(out, `${url}\n`);
  return nextLoad(url, context);
}
