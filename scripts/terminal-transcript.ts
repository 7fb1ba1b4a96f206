/**
 * Prints Slack messages (Block Kit) as plain terminal text, for the demo: mentions become `@name`,
 * emoji codes become emoji, `*bold*` becomes bold. Colours only on a terminal (and not with NO_COLOR).
 */
import { PIPELINE_STEPS, STEP_TITLES } from '../src/core/pipeline/types.js';
import type { Message } from '../test/support/slack-emulator/types.js';

const colour =
  process.env.FORCE_COLOR !== undefined ||
  (process.stdout.isTTY === true && process.env.NO_COLOR === undefined);
const paint =
  (code: string) =>
  (s: string): string =>
    colour ? `\u001b[${code}m${s}\u001b[0m` : s;
export const dim = paint('2');
export const bold = paint('1');
export const cyan = paint('36');
export const red = paint('31');
export const green = paint('32');

/** Display names of users, channels and user groups, by id. */
export type Names = Record<string, string>;

const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  hourglass_flowing_sand: '⏳',
  hourglass: '⌛',
  x: '❌',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  warning: '⚠️ ',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  mag: '🔎',
  gear: '⚙️ ',
  raised_hand: '✋',
  arrows_counterclockwise: '🔄',
  white_circle: '⚪',
  heavy_minus_sign: '➖',
  white_small_square: '▫️ ',
  eyes: '👀',
  stop_sign: '🛑',
  memo: '📝',
  clipboard: '📋',
  zap: '⚡',
  bell: '🔔',
  construction: '🚧',
  rocket: '🚀',
  scroll: '📜',
  leftwards_arrow_with_hook: '↩️ ',
  rewind: '⏪',
};

/** Slack mrkdwn → terminal text. Mentions are resolved before entities are decoded, as Slack does. */
export function mrkdwn(text: string, names: Names = {}): string {
  return text
    .replace(/<@([UW][A-Z0-9]+)>/g, (_, id: string) => `@${names[id] ?? id}`)
    .replace(/<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>/g, (_, id: string) => `#${names[id] ?? id}`)
    .replace(/<!subteam\^([A-Z0-9]+)>/g, (_, id: string) => `@${names[id] ?? id}`)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/:([a-z][a-z0-9_+-]*):/g, (_, name: string) => EMOJI[name] ?? '•')
    .replace(/(^|[\s(])\*([^*\n]+)\*(?![\w*])/gm, (_, pre: string, t: string) => pre + bold(t))
    .replace(/(^|[\s(])_(\S(?:[^\n]*?\S)?)_(?!\w)/gm, (_, pre: string, t: string) => pre + t);
}

function sectionLines(text: string, names: Names): string[] {
  if (text.startsWith('```') && text.endsWith('```')) {
    return text
      .slice(3, -3)
      .split('\n')
      .map((l) => dim('┆ ') + l);
  }
  return mrkdwn(text, names).split('\n');
}

function blockLines(block: Record<string, unknown>, names: Names): string[] {
  const text = (block.text as { text?: string } | undefined)?.text;
  switch (block.type) {
    case 'header':
      return [bold(text ?? '')];
    case 'section':
      return text ? sectionLines(text, names) : [];
    case 'context': {
      const elements = (block.elements as { text?: string }[] | undefined) ?? [];
      return [dim(elements.map((e) => mrkdwn(e.text ?? '', names)).join('  |  '))];
    }
    case 'divider':
      return [dim('─'.repeat(40))];
    case 'actions': {
      const elements = (block.elements as { text?: { text?: string } }[] | undefined) ?? [];
      return [elements.map((e) => bold(`[ ${e.text?.text ?? ''} ]`)).join(' ')];
    }
    default:
      return [];
  }
}

/** The lines a person would read in Slack for this message. */
export function messageLines(msg: Pick<Message, 'text' | 'blocks'>, names: Names = {}): string[] {
  return msg.blocks?.length ? msg.blocks.flatMap((b) => blockLines(b, names)) : sectionLines(msg.text, names);
}

/** Prints a message under its author, Slack-style. */
export function printMessage(who: string, msg: Pick<Message, 'text' | 'blocks'>, names: Names = {}): void {
  console.log(bold(who));
  for (const l of messageLines(msg, names)) console.log(`  │ ${l}`);
  console.log('');
}

/** A narrator line: what happens next, and why it matters. */
export function narrate(text: string): void {
  console.log(cyan(`▶ ${text}`));
}

/** An aside in the narration (set-up facts, ports, paths). */
export function note(text: string): void {
  console.log(dim(`  ${text}`));
}

const STEP_TITLE = `(?:${Object.values(STEP_TITLES)
  .map((t) => t.replace(/[-/\\^$*+?.()|[\]{}]/g, '\\$&'))
  .join('|')})`;
/** A step line of the run message: `:icon: *Title*…` once recorded, `:icon: Title` before. */
const STEP_LINE = new RegExp(`^:([a-z_]+): (\\*?)${STEP_TITLE}\\2(?=$|[ :(])`);
const STRIP: Record<string, string> = {
  white_check_mark: '✓',
  arrows_counterclockwise: '●',
  x: '✗',
  no_entry_sign: '✗',
  white_circle: '-',
  heavy_minus_sign: '-',
};

function sectionTexts(msg: Pick<Message, 'blocks'>): string[] {
  return (msg.blocks ?? [])
    .filter((b) => b.type === 'section')
    .flatMap((b) => ((b.text as { text?: string } | undefined)?.text ?? '').split('\n'));
}

function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/**
 * One line for one version of a run's live message: its state, a strip with one mark per runbook
 * step (✓ done, ● running, · not yet, ✗ failed, - skipped), and the step that is running (or the
 * approvals before any step ran).
 */
export function versionLine(msg: Pick<Message, 'text' | 'blocks'>, names: Names = {}): string {
  const texts = sectionTexts(msg);
  const [state = msg.text, outcome] = (texts[0] ?? msg.text).split(' — ');
  const steps = texts.filter((t) => STEP_LINE.test(t));
  const marks = steps.map((t) => STRIP[STEP_LINE.exec(t)?.[1] ?? ''] ?? '?');
  const strip = steps.length ? marks.join('').padEnd(PIPELINE_STEPS.length, '·') : '';
  const running = steps.find((t) => t.startsWith(':arrows_counterclockwise:'));
  const approvals = texts.find((t) => t.startsWith('*Approvals*'))?.replace(/ · approvers:.*/, '');
  const detail = (running ?? outcome ?? steps.at(-1) ?? approvals ?? '')
    .replace(/(^|\s)_(?=\S)/g, '$1')
    .replace(/(?<=\S)_(?=\s|$)/g, '');
  const width = Math.max(80, Math.min(process.stdout.columns || 120, 160)) - 30;
  const label = mrkdwn(state, names);
  const visible = mrkdwn(state.replace(/\*/g, ''), names).length;
  const pad = ' '.repeat(Math.max(1, 22 - visible));
  return `${label}${pad}${strip ? `[${strip}]` : ''.padEnd(12)} ${mrkdwn(clip(detail, width), names)}`;
}
