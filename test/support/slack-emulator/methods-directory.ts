/**
 * auth.test, users.info, usergroups.users.list, conversations.info, apps.connections.open.
 */
import { channelArg } from './methods-chat.js';
import { SlackApiError, type EmulatorContext } from './context.js';
import { IANAZone } from 'luxon';

/** users.info's `tz_offset`: the zone's offset from UTC in seconds at `at`. */
function offsetSeconds(tz: string, at: number): number {
  const zone = IANAZone.create(tz);
  return zone.isValid ? zone.offset(at) * 60 : 0;
}

type Args = Record<string, unknown>;

export function authTest(ctx: EmulatorContext, _args: Args, token: string): Args {
  const o = ctx.opts;
  const base = {
    ok: true,
    url: `https://${o.teamDomain}.slack.com/`,
    team: o.teamDomain,
    team_id: o.teamId,
    is_enterprise_install: false,
  };
  if (token === o.appToken) return { ...base, app_id: o.appId };
  return { ...base, user: 'drawbridge', user_id: o.botUserId, bot_id: o.botId };
}

export function usersInfo(ctx: EmulatorContext, args: Args): Args {
  const id = typeof args.user === 'string' ? args.user : '';
  const o = ctx.opts;
  if (id === o.botUserId) {
    return {
      ok: true,
      user: {
        id,
        team_id: o.teamId,
        name: 'drawbridge',
        real_name: 'Drawbridge',
        deleted: false,
        is_bot: true,
        profile: { real_name: 'Drawbridge', display_name: 'drawbridge', bot_id: o.botId, team: o.teamId },
      },
    };
  }
  const u = ctx.store.users.get(id);
  if (u === undefined) throw new SlackApiError('user_not_found');
  const realName = u.real_name ?? u.name;
  return {
    ok: true,
    user: {
      id: u.id,
      team_id: o.teamId,
      name: u.name,
      deleted: false,
      real_name: realName,
      tz: u.tz ?? 'Etc/UTC',
      tz_offset: offsetSeconds(u.tz ?? 'Etc/UTC', ctx.opts.clock.now()),
      is_admin: false,
      is_owner: false,
      is_bot: false,
      is_restricted: false,
      is_ultra_restricted: false,
      updated: 1767000000,
      profile: { real_name: realName, display_name: u.name, team: o.teamId },
    },
  };
}

export function usergroupsUsersList(ctx: EmulatorContext, args: Args): Args {
  const id = typeof args.usergroup === 'string' ? args.usergroup : undefined;
  if (id === undefined)
    throw new SlackApiError('invalid_arguments', {
      response_metadata: { messages: ['[ERROR] missing required field: usergroup'] },
    });
  const users = ctx.opts.usergroups[id];
  if (users === undefined) throw new SlackApiError('no_such_subteam');
  return { ok: true, users: [...users] };
}

export function conversationsInfo(ctx: EmulatorContext, args: Args): Args {
  const id = channelArg(ctx, args);
  const c = ctx.store.channels.get(id);
  const isIm = id.startsWith('D');
  return {
    ok: true,
    channel: {
      id,
      name: c?.name ?? id,
      is_channel: !isIm && c?.is_private !== true,
      is_group: !isIm && c?.is_private === true,
      is_im: isIm,
      is_mpim: false,
      is_private: c?.is_private === true,
      is_archived: false,
      is_general: false,
      is_member: true,
      created: 1700000000,
      creator: '',
      name_normalized: c?.name ?? id,
      topic: { value: '', creator: '', last_set: 0 },
      purpose: { value: '', creator: '', last_set: 0 },
      context_team_id: ctx.opts.teamId,
    },
  };
}

export function appsConnectionsOpen(ctx: EmulatorContext): Args {
  const ticket = ctx.issueTicket();
  const wsBase = ctx.baseUrl.replace(/^http/, 'ws');
  return { ok: true, url: `${wsBase}/link/?ticket=${ticket}&app_id=${ctx.opts.appId}` };
}
