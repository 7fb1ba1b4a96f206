/**
 * Whether a deploy may be requested now, as far as time goes: a freeze refuses; with
 * `requireWindow`, a deploy outside any open window gets the next window offered instead; a deploy
 * for a chosen window (`windowId`) is checked against it. Reads the store, decides with the pure rules.
 */
import { refusal, type Refusal } from '../../base/errors.js';
import type { RunRecord } from '../../store/run-store.js';
import { WindowStore, type WindowRecord } from '../../store/window-store.js';
import type { CoreDeps } from '../deps.js';
import { activeFreeze, describeFreeze, freezeOverlapping } from './freezes.js';
import { formatSpan } from './time-input.js';
import type { MaintenanceWindow } from './types.js';
import { freezesFor } from './window-config.js';
import { nextWindow, windowAt } from './window-rules.js';

export type DeployTiming =
  /** No window needed and no freeze: as usual. */
  | { readonly kind: 'now' }
  /** Inside `window` (open now, or chosen and still ahead). */
  | { readonly kind: 'window'; readonly window: WindowRecord }
  /** `requireWindow` and none is open: offer the next one. */
  | {
      readonly kind: 'outside';
      readonly offer: { readonly next?: MaintenanceWindow; readonly message: string };
    }
  | Refusal;

/** Decides the timing of a deploy to `environment` requested now (for `windowId`, when given). */
export function deployTiming(deps: CoreDeps, environment: string, windowId?: string): DeployTiming {
  const env = deps.config.environment(environment);
  if (!env) return { kind: 'now' };
  const now = deps.clock.now();
  const freezes = freezesFor(deps.config, environment);
  const store = new WindowStore(deps.store, deps.clock);
  if (windowId) {
    const w = store.get(windowId);
    if (!w || w.environment !== environment)
      return refusal('WINDOW_NOT_FOUND', `There is no window ${windowId} for ${environment}.`);
    if (w.state === 'cancelled') return refusal('WINDOW_CANCELLED', `Window ${windowId} was cancelled.`);
    if (w.endsAt <= now) return refusal('WINDOW_ENDED', `Window ${windowId} has already ended.`);
    const frozen = freezeOverlapping(freezes, Math.max(now, w.startsAt), w.endsAt);
    if (frozen)
      return refusal(
        'FROZEN',
        `Window ${windowId} falls in a freeze: ${describeFreeze(frozen)}.`,
        'Pick a window after the freeze.',
      );
    return { kind: 'window', window: w };
  }
  const frozen = activeFreeze(freezes, now);
  if (frozen)
    return refusal(
      'FROZEN',
      `Deploys to ${environment} are frozen: ${describeFreeze(frozen)}.`,
      'Deploy after the freeze ends, or ask whoever owns the freeze in the configuration.',
    );
  if (!env.requireWindow) return { kind: 'now' };
  const windows = store.listScheduled(environment, now);
  const open = windowAt(windows, environment, now);
  if (open) return { kind: 'window', window: store.get(open.id) ?? (open as WindowRecord) };
  const upcoming = windows.filter((w) => !freezeOverlapping(freezes, w.startsAt, w.endsAt));
  const next = nextWindow(upcoming, environment, now);
  const message = next
    ? `${environment} deploys only inside a maintenance window, and none is open now. The next one is *${next.title}* ${formatSpan(next.startsAt, next.endsAt)} (window ${next.id}).`
    : `${environment} deploys only inside a maintenance window, and none is open or scheduled. Schedule one with \`/migrate window schedule ${environment} <start> <duration>\`.`;
  return { kind: 'outside', offer: { ...(next ? { next } : {}), message } };
}

/** The window an approved run still waits for (it has not opened yet), if any. */
export function waitingWindow(deps: CoreDeps, run: RunRecord): WindowRecord | undefined {
  if (!run.windowId) return undefined;
  const w = new WindowStore(deps.store, deps.clock).get(run.windowId);
  return w && w.state === 'scheduled' && deps.clock.now() < w.startsAt ? w : undefined;
}
