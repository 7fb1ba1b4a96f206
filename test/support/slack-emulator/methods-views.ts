/**
 * views.open, views.push, views.update, views.publish (the Home tab). A trigger_id is valid for 3 s
 * and can be exchanged once.
 */
import { isObj, validateBlocks, validateView } from './block-kit.js';
import { SlackApiError, type EmulatorContext } from './context.js';
import type { View } from './types.js';

type Args = Record<string, unknown>;

const TRIGGER_TTL_MS = 3000;

/** Exchanges a trigger_id; returns the user it was issued to. */
function useTrigger(ctx: EmulatorContext, args: Args): string {
  const id = args.trigger_id ?? args.interactivity_pointer;
  if (typeof id !== 'string' || id.length === 0) {
    throw new SlackApiError('invalid_arguments', {
      response_metadata: { messages: ['[ERROR] missing required field: trigger_id'] },
    });
  }
  const trigger = ctx.store.triggers.get(id);
  if (trigger === undefined) throw new SlackApiError('invalid_trigger_id');
  if (trigger.used) throw new SlackApiError('exchanged_trigger_id');
  if (ctx.opts.clock.now() - trigger.issuedAt > TRIGGER_TTL_MS) throw new SlackApiError('expired_trigger_id');
  trigger.used = true;
  return trigger.user;
}

function viewArg(args: Args): Record<string, unknown> {
  const view = args.view;
  if (typeof view !== 'object' || view === null || Array.isArray(view)) {
    throw new SlackApiError('invalid_arguments', {
      response_metadata: { messages: ['[ERROR] failed to match all allowed schemas [json-pointer:/view]'] },
    });
  }
  const errors = validateView(view);
  if (errors.length > 0)
    throw new SlackApiError('invalid_arguments', { response_metadata: { messages: errors } });
  if (JSON.stringify(view).length > 250_000) throw new SlackApiError('view_too_large');
  return view as Record<string, unknown>;
}

function checkExternalId(ctx: EmulatorContext, view: Record<string, unknown>, exceptId?: string): void {
  const ext = view.external_id;
  if (typeof ext !== 'string' || ext === '') return;
  for (const v of ctx.store.views.values()) {
    if (v.id !== exceptId && v.view.external_id === ext) throw new SlackApiError('duplicate_external_id');
  }
}

function render(
  ctx: EmulatorContext,
  id: string,
  input: Record<string, unknown>,
  rootId: string,
  previousId: string | null,
): Record<string, unknown> {
  return {
    id,
    team_id: ctx.opts.teamId,
    type: 'modal',
    private_metadata: '',
    callback_id: '',
    external_id: '',
    clear_on_close: false,
    notify_on_close: false,
    ...input,
    state: { values: {} },
    hash: `${ctx.ids.ts()}.${ctx.ids.secret()}`,
    previous_view_id: previousId,
    root_view_id: rootId,
    app_id: ctx.opts.appId,
    app_installed_team_id: ctx.opts.teamId,
    bot_id: ctx.opts.botId,
  };
}

function store(ctx: EmulatorContext, v: View): Args {
  ctx.store.views.set(v.id, v);
  ctx.store.changed();
  return { ok: true, view: v.view };
}

export function open(ctx: EmulatorContext, args: Args): Args {
  const user = useTrigger(ctx, args);
  const input = viewArg(args);
  checkExternalId(ctx, input);
  const id = ctx.ids.next('V');
  return store(ctx, { id, user, open: true, view: render(ctx, id, input, id, null) });
}

export function push(ctx: EmulatorContext, args: Args): Args {
  const user = useTrigger(ctx, args);
  const input = viewArg(args);
  checkExternalId(ctx, input);
  const stack = [...ctx.store.views.values()].filter(
    (v) => v.open && v.user === user && v.view.type !== 'home',
  );
  const top = stack[stack.length - 1];
  if (top === undefined) throw new SlackApiError('not_found');
  if (stack.length >= 3) throw new SlackApiError('push_limit_reached');
  const id = ctx.ids.next('V');
  return store(ctx, {
    id,
    user,
    open: true,
    view: render(ctx, id, input, String(top.view.root_view_id), top.id),
  });
}

export function update(ctx: EmulatorContext, args: Args): Args {
  const byId = typeof args.view_id === 'string' ? ctx.store.views.get(args.view_id) : undefined;
  const byExt = [...ctx.store.views.values()].find(
    (v) => typeof args.external_id === 'string' && v.view.external_id === args.external_id,
  );
  const current = byId ?? byExt;
  if (current === undefined || !current.open) throw new SlackApiError('not_found');
  if (typeof args.hash === 'string' && args.hash !== current.view.hash)
    throw new SlackApiError('hash_conflict');
  const input = viewArg(args);
  checkExternalId(ctx, input, current.id);
  const next = render(
    ctx,
    current.id,
    input,
    String(current.view.root_view_id),
    current.view.previous_view_id as string | null,
  );
  return store(ctx, { id: current.id, user: current.user, open: true, view: next });
}

/** views.publish: the Home tab of `user_id`, one per user (publishing again replaces it). */
export function publish(ctx: EmulatorContext, args: Args): Args {
  const user = args.user_id;
  if (typeof user !== 'string' || user === '') throw new SlackApiError('invalid_arguments');
  if (!ctx.store.users.has(user)) throw new SlackApiError('user_not_found');
  const view = args.view;
  if (!isObj(view) || view.type !== 'home') {
    throw new SlackApiError('invalid_arguments', {
      response_metadata: { messages: ['[ERROR] must be home [json-pointer:/view/type]'] },
    });
  }
  const errors = validateBlocks(view.blocks, 100).map((e) =>
    e.replace('[json-pointer:/blocks', '[json-pointer:/view/blocks'),
  );
  if (errors.length > 0)
    throw new SlackApiError('invalid_arguments', { response_metadata: { messages: errors } });
  const existing = [...ctx.store.views.values()].find((v) => v.user === user && v.view.type === 'home');
  const id = existing?.id ?? ctx.ids.next('V');
  return store(ctx, { id, user, open: true, view: render(ctx, id, view, id, null) });
}

/** Applies the ack of a view_submission (`errors`, `update`, `push`, `clear`, or close). */
export function applyViewAck(ctx: EmulatorContext, view: View, ack: unknown): void {
  const action = typeof ack === 'object' && ack !== null ? (ack as Record<string, unknown>) : {};
  if (action.response_action === 'errors') {
    view.errors = (action.errors ?? {}) as Record<string, string>;
    // Slack only shows errors under input blocks; any other key makes the whole ack invalid.
    const inputs = (Array.isArray(view.view.blocks) ? view.view.blocks : [])
      .filter((b): b is Record<string, unknown> => typeof b === 'object' && b !== null && b.type === 'input')
      .map((b) => b.block_id);
    const unknown = Object.keys(view.errors).filter((k) => !inputs.includes(k));
    if (unknown.length > 0) view.invalidAck = `errors for blocks that are not inputs: ${unknown.join(', ')}`;
    else delete view.invalidAck;
  } else if (action.response_action === 'update' && typeof action.view === 'object' && action.view !== null) {
    view.view = render(
      ctx,
      view.id,
      viewArg({ view: action.view }),
      String(view.view.root_view_id),
      view.view.previous_view_id as string | null,
    );
    delete view.errors;
  } else if (action.response_action === 'push' && typeof action.view === 'object' && action.view !== null) {
    const id = ctx.ids.next('V');
    ctx.store.views.set(id, {
      id,
      user: view.user,
      open: true,
      view: render(ctx, id, viewArg({ view: action.view }), String(view.view.root_view_id), view.id),
    });
  } else if (action.response_action === 'clear') {
    for (const v of ctx.store.views.values())
      if (v.view.root_view_id === view.view.root_view_id) v.open = false;
  } else {
    view.open = false;
  }
  ctx.store.changed();
}
