/**
 * The demo's view of #platform-migrations: people type slash commands and click buttons through the
 * Slack emulator, and each person sees what Slack would show them (channel messages, their own
 * ephemerals, thread replies, DMs), printed once, in order.
 */
import { CHANNEL, type TestBot } from '../test/support/bot.js';
import type { Message } from '../test/support/slack-emulator/types.js';
import { bold, printMessage, type Names } from './terminal-transcript.js';

const BOT = 'drawbridge';
const ONLY_YOU = 'drawbridge (only visible to you)';

/** Text of a message and its blocks, for matching. */
export function plainText(m: Pick<Message, 'text' | 'blocks'>): string {
  return `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
}

export class DemoChannel {
  private readonly seen = new Set<string>();

  constructor(
    readonly bot: TestBot,
    readonly names: Names,
    private readonly timeoutMs = 30_000,
  ) {}

  /** Slack user id of a display name. */
  id(name: string): string {
    const id = Object.entries(this.names).find(([, n]) => n === name)?.[0];
    if (!id) throw new Error(`unknown demo user ${name}`);
    return id;
  }

  /** `who` types `/migrate text`; prints the answers up to the first one matching `expect`. */
  async say(who: string, text: string, expect: RegExp): Promise<Message> {
    const user = this.id(who);
    console.log(`${bold(`${who}:`)} /migrate ${text}\n`);
    const delivery = await this.bot.emu.slashCommand({ user, channel: CHANNEL, text });
    const ack = (delivery.json as { text?: string } | undefined)?.text ?? delivery.body;
    if (ack) printMessage(ONLY_YOU, { text: ack }, this.names);
    return this.expectNew(user, expect, `an answer to "/migrate ${text}"`);
  }

  /** `who` clicks the button `actionId` on a message; prints what they see up to `expect`. */
  async click(
    who: string,
    message: Message,
    actionId: string,
    value: string,
    expect: RegExp,
  ): Promise<Message> {
    const user = this.id(who);
    const label = this.buttonLabel(message, actionId);
    console.log(`${bold(`${who}:`)} clicks ${bold(`[ ${label} ]`)} on the message\n`);
    await this.bot.emu.clickButton({ user, channel: CHANNEL, messageTs: message.ts, actionId, value });
    return this.expectNew(user, expect, `what ${who} sees after clicking ${label}`);
  }

  /** Waits for a thread reply under `parent` matching `expect`; prints the unseen replies. */
  async thread(parent: Message, expect: RegExp | undefined, what: string): Promise<void> {
    if (expect) {
      await this.waitFor(() => this.replies(parent).find((r) => expect.test(plainText(r))), what);
    }
    for (const r of this.replies(parent)) {
      if (this.mark(r)) printMessage(`${BOT} (in the thread)`, r, this.names);
    }
  }

  /** Waits for a direct message to `who` matching `expect`; prints the unseen ones. */
  async dm(who: string, expect: RegExp): Promise<void> {
    const user = this.id(who);
    await this.waitFor(
      () => this.bot.emu.transcript(user).find((m) => expect.test(plainText(m))),
      `a direct message to ${who}`,
    );
    for (const m of this.bot.emu.transcript(user)) {
      if (this.mark(m)) printMessage(`${BOT} → direct message to ${who}`, m, this.names);
    }
  }

  /** The current version of a channel message. */
  current(ts: string): Message {
    const m = this.bot.emu.transcript(CHANNEL).find((x) => x.ts === ts);
    if (!m) throw new Error(`message ${ts} is gone from the channel`);
    return m;
  }

  /** Bounded wait with a message that says what did not happen. */
  async waitFor<T>(fn: () => T | undefined | false | null, what: string): Promise<T> {
    return this.bot.emu.waitFor(fn, { timeoutMs: this.timeoutMs, what });
  }

  private replies(parent: Message): Message[] {
    return this.current(parent.ts).replies ?? [];
  }

  private visibleTo(user: string): Message[] {
    return [
      ...this.bot.emu.transcript(CHANNEL),
      ...this.bot.emu.ephemerals({ user }).filter((m) => m.source !== 'ack'),
    ];
  }

  private async expectNew(user: string, expect: RegExp, what: string): Promise<Message> {
    const match = await this.waitFor(
      () => this.visibleTo(user).find((m) => !this.seen.has(this.key(m)) && expect.test(plainText(m))),
      what,
    );
    for (const m of this.visibleTo(user)) {
      if (this.mark(m)) printMessage(m.ephemeral_to ? ONLY_YOU : BOT, m, this.names);
    }
    return match;
  }

  private key(m: Message): string {
    return `${m.channel}:${m.ts}:${m.ephemeral_to ?? ''}`;
  }

  /** True the first time a message is seen. */
  private mark(m: Message): boolean {
    const k = this.key(m);
    if (this.seen.has(k)) return false;
    this.seen.add(k);
    return true;
  }

  private buttonLabel(m: Message, actionId: string): string {
    for (const b of m.blocks ?? []) {
      if (b.type !== 'actions') continue;
      const els = (b.elements as { action_id?: string; text?: { text?: string } }[] | undefined) ?? [];
      const el = els.find((e) => e.action_id === actionId);
      if (el) return el.text?.text ?? actionId;
    }
    return actionId;
  }
}
