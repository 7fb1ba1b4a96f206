/**
 * Helpers for run scenarios through the Slack emulator: find a run's live message, read its id and
 * buttons, wait for the run to reach a state in the bot's own store.
 */
import type { RunRecord, RunState } from '../../src/store/run-types.js';
import { CHANNEL, type TestBot } from './bot.js';
import type { TestDatabase } from './postgres.js';
import type { Message } from './slack-emulator/types.js';

export function blocksText(m: { blocks?: Record<string, unknown>[]; text?: string } | undefined): string {
  return `${m?.text ?? ''}\n${JSON.stringify(m?.blocks ?? [])}`;
}

/** The top-level run messages of a channel, oldest first. */
export function runMessages(bot: Pick<TestBot, 'emu'>, channel: string): Message[] {
  return bot.emu
    .transcript(channel)
    .filter((m) => /Deploy to [a-z0-9_-]+ · run [0-9a-f]{8}/.test(blocksText(m)));
}

export function runIdOf(m: Message): string {
  const id = /run ([0-9a-f]{8})/.exec(blocksText(m))?.[1];
  if (!id) throw new Error('not a run message');
  return id;
}

/** Waits for the n-th (1-based) run message of the channel. */
export async function waitForRunMessage(bot: Pick<TestBot, 'emu'>, channel: string, n = 1): Promise<Message> {
  return bot.emu.waitFor(() => runMessages(bot, channel)[n - 1], {
    what: `run message #${n}`,
    timeoutMs: 20_000,
  });
}

/** The current version of a run's message (by ts). */
export function currentMessage(bot: TestBot, channel: string, ts: string): Message | undefined {
  return bot.emu.transcript(channel).find((m) => m.ts === ts);
}

/** Action ids of the buttons on a message. */
export function buttonsOf(m: Message | undefined): string[] {
  const out: string[] = [];
  for (const b of m?.blocks ?? []) {
    if (b.type !== 'actions') continue;
    for (const e of (b.elements as { action_id?: string }[] | undefined) ?? [])
      if (e.action_id) out.push(e.action_id);
  }
  return out;
}

export async function waitForRunState(
  bot: TestBot,
  runId: string,
  states: RunState[],
  timeoutMs = 60_000,
): Promise<RunRecord> {
  return bot.emu.waitFor(
    () => {
      const r = bot.app.runs.runs.getRun(runId);
      return r && states.includes(r.state) ? r : undefined;
    },
    { what: `run ${runId} in ${states.join('|')}`, timeoutMs },
  );
}

/** Thread replies of a message. */
export function threadOf(bot: TestBot, channel: string, ts: string): Message[] {
  return currentMessage(bot, channel, ts)?.replies ?? [];
}

/** The ephemerals a user got, newest last, as text. */
export function ephemeralTexts(bot: TestBot, user: string): string[] {
  return bot.emu.ephemerals({ user }).map((m) => blocksText(m));
}

/**
 * `/migrate deploy <environment>` as `requester`, then Approve as `approver` on the new run message
 * (the `n`-th run message of the channel). Returns the run id and the message ts.
 */
export async function requestAndApprove(
  bot: Pick<TestBot, 'emu'>,
  opts: { requester: string; approver: string; environment?: string; channel?: string; n?: number },
): Promise<{ runId: string; ts: string }> {
  const channel = opts.channel ?? CHANNEL;
  await bot.emu.slashCommand({
    user: opts.requester,
    channel,
    text: `deploy ${opts.environment ?? 'staging'}`,
  });
  const msg = await waitForRunMessage(bot, channel, opts.n ?? 1);
  const runId = runIdOf(msg);
  await bot.emu.clickButton({
    user: opts.approver,
    channel,
    messageTs: msg.ts,
    actionId: 'run_approve',
    value: runId,
  });
  return { runId, ts: msg.ts };
}

/** Waits (bounded) until a session of `db` other than the test's own is active on a query LIKE `like`. */
export async function waitForActiveQuery(
  db: TestDatabase,
  like: string,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const r = await db.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE $2`,
      [db.name, like],
    );
    if (r.rows[0]) return r.rows[0].pid;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error(`no session of ${db.name} ran ${like} within ${timeoutMs} ms`);
}
