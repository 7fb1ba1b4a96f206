import { redact, redactDeep } from '../../base/redact.js';

/**
 * The one place that knows Slack's Block Kit limits. Renderers build with these helpers and call
 * `finishMessage`, which enforces 50 blocks a message, 3000 characters a section and 150 a header,
 * and adds the top-level notification text Slack requires.
 */

export type Block = Record<string, unknown> & { type: string };

export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  headerText: 150,
  contextElements: 10,
  fallbackText: 3000,
} as const;

/** Escapes the three characters Slack's mrkdwn treats specially. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

export function header(text: string): Block {
  return {
    type: 'header',
    text: { type: 'plain_text', text: truncate(text, LIMITS.headerText), emoji: true },
  };
}

export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, LIMITS.sectionText) } };
}

export function context(...mrkdwn: string[]): Block {
  return {
    type: 'context',
    elements: mrkdwn
      .slice(0, LIMITS.contextElements)
      .map((t) => ({ type: 'mrkdwn', text: truncate(t, 2000) })),
  };
}

export function divider(): Block {
  return { type: 'divider' };
}

/** A code block in mrkdwn, truncated so that the fences fit in one section. */
export function codeSection(code: string): Block {
  const body = truncate(code.replace(/```/g, "'''"), LIMITS.sectionText - 8);
  return section(`\`\`\`${esc(body)}\`\`\``);
}

/**
 * Splits lines into as many sections as needed (each ≤ 3000 chars), so long lists never break the
 * per-section limit.
 */
export function sectionsFromLines(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let current = '';
  for (const line of lines) {
    const piece = truncate(line, LIMITS.sectionText);
    if (current && current.length + 1 + piece.length > LIMITS.sectionText) {
      blocks.push(section(current));
      current = piece;
    } else {
      current = current ? `${current}\n${piece}` : piece;
    }
  }
  if (current) blocks.push(section(current));
  return blocks;
}

export interface SlackMessage {
  text: string;
  blocks: Block[];
}

/**
 * Caps the block count (keeping the last block, usually actions or context), sets the fallback text
 * and redacts everything: no message leaves through a renderer with a secret in it.
 */
export function finishMessage(text: string, blocks: Block[]): SlackMessage {
  let out = blocks;
  if (blocks.length > LIMITS.blocks) {
    const hidden = blocks.length - LIMITS.blocks + 1;
    const last = blocks[blocks.length - 1] as Block;
    out = [...blocks.slice(0, LIMITS.blocks - 2), context(`_${hidden} more block(s) not shown_`), last];
  }
  return { text: redact(truncate(text, LIMITS.fallbackText)), blocks: redactDeep(out) };
}
