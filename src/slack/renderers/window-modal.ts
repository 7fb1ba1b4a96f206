/**
 * The modal of `/migrate window`: environment, date, time (read in the person's Slack time zone),
 * duration and an optional title. `private_metadata` carries the channel the command was typed in.
 * Pure.
 */
import type { types } from '@slack/bolt';
import { WINDOW_DURATIONS, WINDOW_VIEW } from './action-ids.js';
import { truncate } from './blocks.js';

const plain = (text: string) => ({ type: 'plain_text' as const, text });

function option(value: string) {
  return { text: plain(value), value };
}

function input(blockId: string, label: string, element: Record<string, unknown>, optional = false) {
  return {
    type: 'input' as const,
    block_id: blockId,
    label: plain(label),
    ...(optional ? { optional: true } : {}),
    element: { ...element, action_id: blockId },
  } as types.InputBlock;
}

export interface WindowModalInput {
  /** The environments of the configuration, offered in the select (Slack shows at most 100). */
  readonly environments: readonly string[];
  /** The channel of the command, kept in `private_metadata`. */
  readonly channel: string;
  /** The requester's time zone, named under the time field. */
  readonly timeZone: string;
}

export function windowModal(m: WindowModalInput): types.ModalView {
  const envs = m.environments.slice(0, 100);
  return {
    type: 'modal',
    callback_id: WINDOW_VIEW.callbackId,
    private_metadata: m.channel,
    title: plain('Maintenance window'),
    submit: plain('Schedule'),
    close: plain('Cancel'),
    blocks: [
      input(WINDOW_VIEW.environment, 'Environment', {
        type: 'static_select',
        placeholder: plain('Choose an environment'),
        options: envs.map(option),
        ...(envs.length === 1 && envs[0] ? { initial_option: option(envs[0]) } : {}),
      }),
      input(WINDOW_VIEW.date, 'Date', { type: 'datepicker', placeholder: plain('Start date') }),
      input(WINDOW_VIEW.time, truncate(`Start time (${m.timeZone})`, 2000), {
        type: 'timepicker',
        placeholder: plain('Start time'),
      }),
      input(WINDOW_VIEW.duration, 'Duration', {
        type: 'static_select',
        options: WINDOW_DURATIONS.map(option),
        initial_option: option('2h'),
      }),
      input(
        WINDOW_VIEW.title,
        'Title',
        { type: 'plain_text_input', max_length: 100, placeholder: plain('e.g. orders index build') },
        true,
      ),
    ],
  };
}
