/** Prints Slack messages (Block Kit) as plain terminal text, for the demo. */
import type { Message } from '../test/support/slack-emulator/types.js';

const dim = (s: string): string => `\u001b[2m${s}\u001b[0m`;
const bold = (s: string): string => `\u001b[1m${s}\u001b[0m`;

function mrkdwn(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/:white_check_mark:/g, '✅')
    .replace(/:hourglass_flowing_sand:/g, '⏳')
    .replace(/:x:/g, '❌')
    .replace(/:no_entry:/g, '⛔')
    .replace(/:warning:/g, '⚠️ ')
    .replace(/:large_green_circle:/g, '🟢')
    .replace(/:large_yellow_circle:/g, '🟡')
    .replace(/:mag:/g, '🔎')
    .replace(/:[a-z_]+:/g, '•');
}

function blockText(block: Record<string, unknown>): string[] {
  const text = (block.text as { text?: string } | undefined)?.text;
  switch (block.type) {
    case 'header':
      return [bold(text ?? '')];
    case 'section':
      return text ? mrkdwn(text).split('\n') : [];
    case 'context':
      return [
        dim(((block.elements as { text?: string }[]) ?? []).map((e) => mrkdwn(e.text ?? '')).join('  |  ')),
      ];
    case 'divider':
      return [dim('─'.repeat(40))];
    case 'actions':
      return [
        ((block.elements as { text?: { text?: string } }[]) ?? [])
          .map((e) => `[ ${e.text?.text ?? ''} ]`)
          .join(' '),
      ];
    default:
      return [];
  }
}

export function printMessage(who: string, msg: Pick<Message, 'text' | 'blocks'>): void {
  const lines = msg.blocks?.length ? msg.blocks.flatMap(blockText) : mrkdwn(msg.text).split('\n');
  console.log(`${bold(who)}`);
  for (const l of lines) console.log(`  │ ${l}`);
  console.log('');
}
