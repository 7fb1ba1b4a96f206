/**
 * `npm run demo`: Drawbridge end to end on this machine, without a Slack workspace or network. It
 * starts a throwaway PostgreSQL 15 with the example shop at last week's release, a stand-in for the
 * shop app, the loopback Slack emulator and the real bot, then walks through a deploy with approval
 * in the channel (status, plan, deploy, a refused self-approval, the approval, the live run message,
 * its thread, the history), printing what people would see in Slack. Exit code 0 when the run ends
 * `done`; 1 with the reason otherwise.
 */
import { performance } from 'node:perf_hooks';
import { DemoChannel } from './demo-channel.js';
import { describeRunMessage, summaryLines, walkThroughDeploy, type DeployOutcome } from './demo-deploy.js';
import { ALICE, appEvidence, BOB, startDemoWorld, type DemoWorld } from './demo-world.js';
import { bold, green, narrate, red } from './terminal-transcript.js';

const ENV = 'production';
const REASON = 'orders and order status for the spring sale';
/** The whole demo must finish within this; it takes about 4 s here. */
const DEADLINE_MS = 90_000;

function deadline(ms: number): { promise: Promise<never>; clear(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the demo did not finish within ${ms / 1000} s`)), ms);
  });
  return { promise, clear: () => clearTimeout(timer) };
}

async function conversation(world: DemoWorld): Promise<DeployOutcome> {
  const names = { [ALICE]: 'alice', [BOB]: 'bob', C0MIGRATE1: 'platform-migrations' };
  const ch = new DemoChannel(world.bot, names);
  narrate('A conversation in #platform-migrations');
  console.log('');
  try {
    return await walkThroughDeploy(ch, world.env, REASON);
  } catch (err) {
    for (const r of world.bot.app.runs.runs.listRecentRuns(world.env, 1)) {
      console.error(red(`\nrun ${r.id} is ${r.state}${r.outcome ? ` — ${r.outcome}` : ''}; its message:`));
      for (const l of describeRunMessage(ch, r.id)) console.error(`  │ ${l}`);
    }
    const errors = world.bot.logs.filter((l) => /"level":(50|60)/.test(l)).slice(-5);
    for (const l of errors) console.error(red(`bot log: ${l}`));
    throw err;
  }
}

async function main(): Promise<number> {
  const started = performance.now();
  let world: DemoWorld | undefined;
  const limit = deadline(DEADLINE_MS);
  try {
    const outcome = await Promise.race([
      (async () => {
        world = await startDemoWorld(ENV);
        return conversation(world);
      })(),
      limit.promise,
    ]);
    if (!world) throw new Error('the demo world did not start');
    console.log(bold('Summary'));
    for (const l of [...summaryLines(outcome, world.bot.dataDir), appEvidence(world)]) console.log(`  ${l}`);
    const total = ((performance.now() - started) / 1000).toFixed(1);
    if (outcome.run.state !== 'done') {
      console.error(red(`\nDemo failed: run ${outcome.run.id} ended ${outcome.run.state}.`));
      return 1;
    }
    console.log(
      green(`\nDemo finished in ${total} s: real Slack wire formats, a real database, real pg_dump.`),
    );
    return 0;
  } catch (err) {
    console.error(red(`\nDemo failed: ${err instanceof Error ? err.message : String(err)}`));
    return 1;
  } finally {
    limit.clear();
    await world?.stop();
  }
}

process.exitCode = await main();
