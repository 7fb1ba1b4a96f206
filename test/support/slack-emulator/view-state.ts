/**
 * Builds `state.values` of a surface the way Slack sends it: one entry per stateful element, keyed
 * block_id -> action_id, untouched elements with null/empty values, filled ones from the test input.
 */
import { isObj } from './block-kit.js';

type Obj = Record<string, unknown>;

/** The state field each element type reports, with its empty value. */
const STATE_KEY: Record<string, [string, unknown]> = {
  plain_text_input: ['value', null],
  number_input: ['value', null],
  email_text_input: ['value', null],
  url_text_input: ['value', null],
  rich_text_input: ['rich_text_value', null],
  datepicker: ['selected_date', null],
  timepicker: ['selected_time', null],
  datetimepicker: ['selected_date_time', null],
  static_select: ['selected_option', null],
  external_select: ['selected_option', null],
  radio_buttons: ['selected_option', null],
  multi_static_select: ['selected_options', []],
  multi_external_select: ['selected_options', []],
  checkboxes: ['selected_options', []],
  users_select: ['selected_user', null],
  multi_users_select: ['selected_users', []],
  conversations_select: ['selected_conversation', null],
  multi_conversations_select: ['selected_conversations', []],
  channels_select: ['selected_channel', null],
  multi_channels_select: ['selected_channels', []],
};

function findOption(el: Obj, value: string): Obj {
  const groups = Array.isArray(el.option_groups)
    ? el.option_groups.flatMap((g) => (isObj(g) && Array.isArray(g.options) ? g.options : []))
    : [];
  const options = [...(Array.isArray(el.options) ? el.options : []), ...groups];
  const found = options.find((o) => isObj(o) && o.value === value);
  if (!isObj(found))
    throw new Error(`Slack emulator: option "${value}" is not offered by ${String(el.action_id)}`);
  return found;
}

/** The state entry of one element: a test value given as a plain string/array is put in the right field. */
function entry(el: Obj, provided: unknown): Obj {
  const type = String(el.type);
  const [key, empty] = STATE_KEY[type] ?? ['value', null];
  if (provided === undefined) return { type, [key]: empty };
  if (isObj(provided)) return { type, ...provided };
  if (key === 'selected_option' && typeof provided === 'string')
    return { type, [key]: findOption(el, provided) };
  if (key === 'selected_options' && Array.isArray(provided))
    return { type, [key]: provided.map((v) => findOption(el, String(v))) };
  return { type, [key]: provided };
}

function statefulElements(blocks: unknown): { blockId: string; el: Obj }[] {
  const out: { blockId: string; el: Obj }[] = [];
  if (!Array.isArray(blocks)) return out;
  for (const b of blocks) {
    if (!isObj(b) || typeof b.block_id !== 'string') continue;
    const els =
      b.type === 'input'
        ? [b.element]
        : b.type === 'actions' && Array.isArray(b.elements)
          ? b.elements
          : b.type === 'section'
            ? [b.accessory]
            : [];
    for (const el of els) {
      if (
        isObj(el) &&
        typeof el.action_id === 'string' &&
        typeof el.type === 'string' &&
        el.type in STATE_KEY
      )
        out.push({ blockId: b.block_id, el });
    }
  }
  return out;
}

/**
 * `state.values` for blocks; `values` (block_id -> action_id -> value) must name existing stateful
 * elements, since a user can only fill what is shown.
 */
export function buildStateValues(
  blocks: unknown,
  values: Record<string, Record<string, unknown>> = {},
): Record<string, Record<string, Obj>> {
  const elements = statefulElements(blocks);
  for (const [blockId, byAction] of Object.entries(values)) {
    for (const actionId of Object.keys(byAction)) {
      if (!elements.some((e) => e.blockId === blockId && e.el.action_id === actionId)) {
        const shown = elements.map((e) => `${e.blockId}/${String(e.el.action_id)}`).join(', ');
        throw new Error(
          `Slack emulator: no input ${blockId}/${actionId} in this view (shown: ${shown || 'none'})`,
        );
      }
    }
  }
  const state: Record<string, Record<string, Obj>> = {};
  for (const { blockId, el } of elements) {
    const actionId = String(el.action_id);
    state[blockId] = { ...(state[blockId] ?? {}), [actionId]: entry(el, values[blockId]?.[actionId]) };
  }
  return state;
}
