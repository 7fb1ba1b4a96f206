/**
 * Reads and checks the `text` / `blocks` of a message the app sends (chat.* methods, response_url).
 */
import { randomBytes } from 'node:crypto';
import { validateBlocks } from './block-kit.js';
import { SlackApiError } from './context.js';

export interface MessageContent {
  text: string | undefined;
  blocks: Record<string, unknown>[] | undefined;
}

/**
 * Extracts text/blocks; throws `no_text` when neither is present (unless `optional`), `msg_too_long`
 * beyond `maxText` characters, `invalid_blocks` (with Slack-style messages) on a Block Kit violation.
 */
export function readContent(
  args: Record<string, unknown>,
  maxText: number,
  optional = false,
): MessageContent {
  const text = typeof args.text === 'string' ? args.text : undefined;
  const rawBlocks = args.blocks;
  const hasAttachments = args.attachments !== undefined || typeof args.markdown_text === 'string';
  if (!optional && (text === undefined || text === '') && rawBlocks === undefined && !hasAttachments) {
    throw new SlackApiError('no_text');
  }
  if (text !== undefined && text.length > maxText) throw new SlackApiError('msg_too_long');
  if (typeof rawBlocks === 'string') throw new SlackApiError('invalid_blocks_format');
  let blocks: Record<string, unknown>[] | undefined;
  if (rawBlocks !== undefined) {
    const errors = validateBlocks(rawBlocks);
    if (errors.length > 0)
      throw new SlackApiError('invalid_blocks', { response_metadata: { messages: errors } });
    // Like Slack, give every block without a block_id a generated one.
    blocks = (rawBlocks as Record<string, unknown>[]).map((b) =>
      typeof b.block_id === 'string' ? b : { ...b, block_id: randomBytes(3).toString('base64url') },
    );
  }
  return { text: text ?? (typeof args.markdown_text === 'string' ? args.markdown_text : undefined), blocks };
}
