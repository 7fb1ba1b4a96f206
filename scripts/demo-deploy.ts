/**
 * The deploy walk-through of `npm run demo`: status, plan, a deploy request by alice, her refused
 * self-approval, bob's approval, the live run message as the runbook moves, its thread, and the
 * history. Everything goes through the Slack emulator to the real bot.
 */
import type { RunRecord } from '../src/store/run-types.js';
import { CHANNEL } from '../test/support/bot.js';
import type { Message } from '../test/support/slack-emulator/types.js';
import { DemoChannel, plainText } from './demo-channel.js';
import { bold, dim, messageLines, narrate, note, printMessage, versionLine } from './terminal-transcript.js';

const TERMINAL = ['done', 'failed', 'cancelled', 'rejected', 'expired', 'interrupted'];

/** What the walk-through leaves behind for the summary. */
export interface DeployOutcome {
  run: RunRecord;
  /** chat.update versions of the run message seen (the first post included). */
  versions: number;
}

function runIdOf(m: Message): string {
  const id = /run ([0-9a-f]{8})/.exec(plainText(m))?.[1];
  if (!id) throw new Error('the deploy answer is not a run message');
  return id;
}

/**
 * Prints each version of the run's live message (the first post, then every chat.update) as one
 * line while the run goes, then the final message in full. Returns how many versions there were.
 */
async function followLiveMessage(ch: DemoChannel, message: Message, runId: string): Promise<number> {
  let printed = 0;
  const printNew = (): Message => {
    const m = ch.current(message.ts);
    const versions = [...(m.history ?? []), m];
    for (; printed < versions.length; printed++) {
      const v = versions[printed];
      if (v) console.log(`  ${dim(`v${String(printed + 1).padStart(2)}`)} ${versionLine(v, ch.names)}`);
    }
    return m;
  };
  const runs = ch.bot.app.runs.runs;
  await ch.waitFor(() => {
    printNew();
    return TERMINAL.includes(runs.getRun(runId)?.state ?? '');
  }, `run ${runId} to finish`);
  await ch.bot.app.messenger.flush(runId);
  const final = printNew();
  console.log('');
  printMessage('drawbridge (the run message now)', final, ch.names);
  return printed;
}

/** Runs the conversation in the channel for `env`; alice asks, bob approves. */
export async function walkThroughDeploy(
  ch: DemoChannel,
  env: string,
  reason: string,
): Promise<DeployOutcome> {
  narrate(`alice checks where ${env} stands: two migrations applied, three newer ones pending`);
  await ch.say('alice', `status ${env}`, /Migration status/);

  narrate('She asks for the plan: read-only; checksums, SQL review, impact on real table sizes, preflight');
  await ch.say('alice', `plan ${env}`, new RegExp(`Plan · ${env}`));

  narrate('She asks to deploy. The bot posts one run message with buttons and pings the approvers');
  const runMessage = await ch.say('alice', `deploy ${env} ${reason}`, new RegExp(`Deploy to ${env} · run`));
  const runId = runIdOf(runMessage);
  await ch.thread(runMessage, /Approval requested/, 'the approval request in the thread');
  await ch.dm('bob', /asks for your approval/);

  narrate('alice is an approver too, but not of her own run');
  await ch.click('alice', runMessage, 'run_approve', runId, /approving your own run/);
  const still = ch.bot.app.runs.runs.getRun(runId)?.state.replace('_', ' ');
  const votes = ch.bot.app.runs.runs.listVotes(runId).length;
  note(`run ${runId} is still ${still}; ${votes} vote(s) recorded`);
  console.log('');

  narrate('bob approves: the run starts, and the one message is updated in place as each step moves');
  await ch.click('bob', runMessage, 'run_approve', runId, /approved|starting/);
  const versions = await followLiveMessage(ch, runMessage, runId);

  narrate('The details are in the run thread: preflight, backup with its restore command, counts, health');
  await ch.thread(runMessage, undefined, 'the run thread');

  narrate('Later, anyone can look back at what ran, who asked and who approved');
  await ch.say('alice', `history ${env}`, new RegExp(`History · ${env}`));

  const run = ch.bot.app.runs.runs.getRun(runId);
  if (!run) throw new Error(`run ${runId} is not in the bot's store`);
  return { run, versions };
}

/** The run message's current lines, for a failure report. */
export function describeRunMessage(ch: DemoChannel, runId: string): string[] {
  const m = ch.bot.emu.transcript(CHANNEL).find((x) => plainText(x).includes(`run ${runId}`));
  return m ? messageLines(m, ch.names) : [];
}

/** Formats the final summary line(s). */
export function summaryLines(outcome: DeployOutcome, dataDir: string): string[] {
  const r = outcome.run;
  const took = r.startedAt && r.finishedAt ? `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s` : '—';
  const backup = r.backup as { path?: string; sizeBytes?: number } | null;
  return [
    `${bold('Run')} ${r.id} · ${bold(r.state)}${r.outcome ? ` (${r.outcome})` : ''} · ${took} from approval to close · ${outcome.versions} versions of the live message`,
    `${bold('Backup')} ${backup?.path ?? 'none'}`,
    `${bold('Data dir')} ${dataDir} (the bot's SQLite state and backups; left for you to look at)`,
  ];
}
