/**
 * Block Kit limits Slack enforces (slack-wire.md section 6). Each function returns Slack-style
 * `[ERROR] ... [json-pointer:/...]` messages; an empty list means the blocks are valid.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function textOf(v: unknown): string | undefined {
  return isObj(v) && typeof v.text === 'string' ? v.text : undefined;
}

function maxLen(errors: string[], value: unknown, max: number, pointer: string): void {
  if (typeof value === 'string' && value.length > max) {
    errors.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${pointer}]`);
  }
}

function checkTextObject(
  errors: string[],
  t: unknown,
  max: number,
  pointer: string,
  plainOnly = false,
): void {
  if (!isObj(t) || (t.type !== 'plain_text' && t.type !== 'mrkdwn') || typeof t.text !== 'string') {
    errors.push(`[ERROR] must provide an object with type and text [json-pointer:${pointer}]`);
    return;
  }
  if (plainOnly && t.type !== 'plain_text')
    errors.push(`[ERROR] must be plain_text [json-pointer:${pointer}/type]`);
  if (t.text.length === 0)
    errors.push(`[ERROR] must be more than 0 characters [json-pointer:${pointer}/text]`);
  maxLen(errors, t.text, max, `${pointer}/text`);
}

function checkElement(errors: string[], el: unknown, p: string): void {
  if (!isObj(el) || typeof el.type !== 'string') {
    errors.push(`[ERROR] missing required field: type [json-pointer:${p}]`);
    return;
  }
  maxLen(errors, el.action_id, 255, `${p}/action_id`);
  if (el.type === 'button') {
    checkTextObject(errors, el.text, 75, `${p}/text`, true);
    maxLen(errors, el.value, 2000, `${p}/value`);
    maxLen(errors, el.url, 3000, `${p}/url`);
    if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') {
      errors.push(`[ERROR] must be one of primary, danger [json-pointer:${p}/style]`);
    }
  }
  if (Array.isArray(el.options) && el.options.length > 100) {
    errors.push(`[ERROR] no more than 100 items allowed [json-pointer:${p}/options]`);
  }
}

function checkActionIdsUnique(errors: string[], elements: unknown[], p: string): void {
  const seen = new Set<string>();
  elements.forEach((el, i) => {
    const id = isObj(el) && typeof el.action_id === 'string' ? el.action_id : undefined;
    if (id === undefined) return;
    if (seen.has(id))
      errors.push(`[ERROR] action_id must be unique [json-pointer:${p}/elements/${i}/action_id]`);
    seen.add(id);
  });
}

function checkBlock(errors: string[], b: Obj, p: string): void {
  switch (b.type) {
    case 'section':
      if (b.text === undefined && b.fields === undefined)
        errors.push(`[ERROR] must provide text or fields [json-pointer:${p}]`);
      if (b.text !== undefined) checkTextObject(errors, b.text, 3000, `${p}/text`);
      if (Array.isArray(b.fields)) {
        if (b.fields.length > 10)
          errors.push(`[ERROR] no more than 10 items allowed [json-pointer:${p}/fields]`);
        b.fields.forEach((f, i) => checkTextObject(errors, f, 2000, `${p}/fields/${i}`));
      }
      if (b.accessory !== undefined) checkElement(errors, b.accessory, `${p}/accessory`);
      break;
    case 'header':
      checkTextObject(errors, b.text, 150, `${p}/text`, true);
      break;
    case 'context':
      if (!Array.isArray(b.elements) || b.elements.length === 0)
        errors.push(`[ERROR] must provide elements [json-pointer:${p}/elements]`);
      else if (b.elements.length > 10)
        errors.push(`[ERROR] no more than 10 items allowed [json-pointer:${p}/elements]`);
      break;
    case 'actions':
      if (!Array.isArray(b.elements) || b.elements.length === 0) {
        errors.push(`[ERROR] must provide elements [json-pointer:${p}/elements]`);
        break;
      }
      if (b.elements.length > 25)
        errors.push(`[ERROR] no more than 25 items allowed [json-pointer:${p}/elements]`);
      b.elements.forEach((el, i) => checkElement(errors, el, `${p}/elements/${i}`));
      checkActionIdsUnique(errors, b.elements, p);
      break;
    case 'input':
      checkTextObject(errors, b.label, 2000, `${p}/label`, true);
      checkElement(errors, b.element, `${p}/element`);
      break;
    case 'markdown':
      maxLen(errors, b.text, 12000, `${p}/text`);
      break;
    case 'divider':
    case 'image':
    case 'rich_text':
    case 'file':
    case 'video':
      break;
    default:
      errors.push(`[ERROR] unsupported type: ${String(b.type)} [json-pointer:${p}/type]`);
  }
}

/** Validates a `blocks` array (50 blocks for messages, 100 for modals). */
export function validateBlocks(blocks: unknown, maxBlocks = 50): string[] {
  if (!Array.isArray(blocks)) return ['[ERROR] must be an array [json-pointer:/blocks]'];
  const errors: string[] = [];
  if (blocks.length > maxBlocks)
    errors.push(`[ERROR] no more than ${maxBlocks} items allowed [json-pointer:/blocks]`);
  const blockIds = new Set<string>();
  blocks.forEach((b, i) => {
    const p = `/blocks/${i}`;
    if (!isObj(b) || typeof b.type !== 'string') {
      errors.push(`[ERROR] missing required field: type [json-pointer:${p}]`);
      return;
    }
    if (typeof b.block_id === 'string') {
      maxLen(errors, b.block_id, 255, `${p}/block_id`);
      if (blockIds.has(b.block_id))
        errors.push(`[ERROR] block_id must be unique [json-pointer:${p}/block_id]`);
      blockIds.add(b.block_id);
    }
    checkBlock(errors, b, p);
  });
  return errors;
}

/** Validates a modal view as views.open / views.update / views.push receive it. */
export function validateView(view: unknown): string[] {
  if (!isObj(view)) return ['[ERROR] must provide an object [json-pointer:/view]'];
  const errors: string[] = [];
  if (view.type !== 'modal') errors.push('[ERROR] must be modal [json-pointer:/view/type]');
  checkTextObject(errors, view.title, 24, '/view/title', true);
  if (view.submit !== undefined) checkTextObject(errors, view.submit, 24, '/view/submit', true);
  if (view.close !== undefined) checkTextObject(errors, view.close, 24, '/view/close', true);
  maxLen(errors, view.callback_id, 255, '/view/callback_id');
  maxLen(errors, view.private_metadata, 3000, '/view/private_metadata');
  const blocks = validateBlocks(view.blocks, 100).map((e) =>
    e.replace('[json-pointer:/blocks', '[json-pointer:/view/blocks'),
  );
  errors.push(...blocks);
  const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
  if (hasInput && view.submit === undefined)
    errors.push('[ERROR] submit is required when an input block is present [json-pointer:/view/submit]');
  return errors;
}

/** Text of a header/section text object or undefined; exported for payload building. */
export { textOf, isObj };
