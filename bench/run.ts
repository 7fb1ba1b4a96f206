/**
 * `npm run bench [-- --corpus DIR] [--only NAME] [--big] [--latency MS] [--no-build]`: every
 * benchmark in one run, each printing its own table of figures and ratios measured side by side.
 * Timings are reported, never asserted.
 */
import { parseArgs } from 'node:util';
import { benchAck } from './ack.js';
import { benchBackup } from './backup.js';
import { benchCli } from './cli.js';
import { benchDeploy } from './deploy.js';
import { benchEngine } from './engine.js';
import { benchReview } from './review.js';

const { values } = parseArgs({
  options: {
    corpus: { type: 'string' },
    only: { type: 'string' },
    big: { type: 'boolean' },
    // cli: the added round-trip time of the latency mode (default 10 ms); skip `npm run build`.
    latency: { type: 'string' },
    'no-build': { type: 'boolean' },
  },
  allowPositionals: false,
});
const opts = values.corpus ? { corpus: values.corpus } : {};
const suites: [string, () => Promise<string>][] = [
  ['engine', () => benchEngine(opts)],
  ['review', () => benchReview(opts)],
  ['ack', () => benchAck()],
  ['deploy', () => benchDeploy()],
  // The built CLI, whole processes: --help, review, deploy --yes, and round trips at --latency ms.
  [
    'cli',
    () =>
      benchCli({
        ...opts,
        ...(values.latency ? { latencyMs: Number(values.latency) } : {}),
        noBuild: values['no-build'] === true,
      }),
  ],
  // --big: a pgbench database of more than 1 GB (about 2 GB of disk); without it, a small one.
  ['backup', () => benchBackup({ big: values.big === true })],
];

for (const [name, run] of suites) {
  if (values.only && values.only !== name) continue;
  console.log(`\n=== ${name} ===`);
  console.log(await run());
}
