/** What the configuration says about windows, read in one place: freezes, reminder offsets, keys. */
import type { AppConfig } from '../../config/load-config.js';
import type { Freeze } from './types.js';

/** The freezes that apply to an environment: its own and the top-level ones. */
export function freezesFor(config: AppConfig, environment: string): Freeze[] {
  return [...config.file.freezes, ...(config.environment(environment)?.freezes ?? [])];
}

/** `reminders.offsetsHours` in ms, largest first. */
export function reminderOffsetsMs(config: AppConfig): number[] {
  return [...config.file.reminders.offsetsHours].sort((a, b) => b - a).map((h) => Math.round(h * 3_600_000));
}

/** The outbox dedupe key of a window's Statuspage scheduled maintenance (its result holds the incident). */
export function windowStatuspageKey(windowId: string): string {
  return `statuspage:window:${windowId}`;
}
