/**
 * `app_home_opened` (Events API, acked by Bolt before the listener runs): gathers each environment's
 * status (bounded by a timeout: an unreachable database shows as such, never fails the view), its
 * next window and its runs, and publishes the Home tab with `views.publish`.
 */
import type { App } from '@slack/bolt';
import { describeError } from '../../../base/errors.js';
import { environmentStatus } from '../../../core/index.js';
import { renderAppHome, type HomeEnvironment } from '../../renderers/app-home.js';
import type { ListenerContext } from '../context.js';

/** How long one environment's status may take before the Home shows it as unreachable. */
export const HOME_STATUS_TIMEOUT_MS = 5000;

/** The client calls publishing the Home needs. */
export interface HomeClient {
  views: { publish(args: { user_id: string; view: { type: 'home'; blocks: unknown[] } }): Promise<unknown> };
}

async function statusWithin(
  ctx: ListenerContext,
  environment: string,
  timeoutMs: number,
): Promise<HomeEnvironment['status']> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<HomeEnvironment['status']>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: 'unreachable', message: `no answer within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
  });
  const read = environmentStatus(ctx.deps, environment).then(
    (s): HomeEnvironment['status'] => (s.kind === 'status' ? s : { kind: 'unreachable', message: s.message }),
    (err: unknown): HomeEnvironment['status'] => ({ kind: 'unreachable', message: describeError(err) }),
  );
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the Home shows, read now. */
export async function gatherHome(
  ctx: ListenerContext,
  timeoutMs = HOME_STATUS_TIMEOUT_MS,
): Promise<HomeEnvironment[]> {
  const now = ctx.deps.clock.now();
  const names = Object.keys(ctx.deps.config.file.environments);
  return Promise.all(
    names.map(async (name): Promise<HomeEnvironment> => {
      const status = await statusWithin(ctx, name, timeoutMs);
      const next = ctx.windows
        .list(name)
        .map((l) => l.window)
        .filter((w) => w.endsAt > now && w.state !== 'cancelled')
        .sort((a, b) => a.startsAt - b.startsAt)[0];
      return { name, status, runs: ctx.runs.history(name, 5), ...(next ? { nextWindow: next } : {}) };
    }),
  );
}

/** Publishes the Home tab of `user`. */
export async function publishHome(ctx: ListenerContext, client: HomeClient, user: string): Promise<void> {
  const environments = await gatherHome(ctx);
  await client.views.publish({ user_id: user, view: renderAppHome(environments, ctx.deps.clock.now()) });
}

export function registerAppHome(app: App, ctx: ListenerContext): void {
  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home' || ctx.inflight.isClosed) return;
    const log = ctx.deps.logger.child({ user: event.user, event: 'app_home_opened' });
    ctx.inflight.track(publishHome(ctx, client as unknown as HomeClient, event.user), (err) =>
      log.warn({ err: describeError(err) }, 'publishing the Home tab failed'),
    );
  });
}
