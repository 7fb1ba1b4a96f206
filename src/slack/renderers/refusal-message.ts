import type { Refusal } from '../../base/errors.js';
import { esc, finishMessage, section, type SlackMessage } from './blocks.js';

/** An expected "no", with what to do about it. */
export function renderRefusal(r: Refusal): SlackMessage {
  const hint = r.hint ? `\n${esc(r.hint)}` : '';
  return finishMessage(`${r.message}${r.hint ? ` ${r.hint}` : ''}`, [
    section(`:no_entry_sign: ${esc(r.message)}${hint}`),
  ]);
}
