import { ManualClock } from '../../../src/base/clock.js';
import { DrawbridgeError } from '../../../src/base/errors.js';
import { GROUP_MEMBERS_TTL_MS, GroupMembership } from '../../../src/core/runs/group-membership.js';

const T0 = Date.UTC(2026, 0, 1, 12);

/** A workspace whose groups can change, counting the lookups it answers. */
function workspace(groups: Record<string, string[]>) {
  const calls: string[] = [];
  let failing = false;
  const list = async (id: string): Promise<string[]> => {
    calls.push(id);
    await Promise.resolve();
    if (failing) throw new Error('internal_error');
    const members = groups[id];
    if (!members) throw new Error('no_such_subteam');
    return [...members];
  };
  return {
    calls,
    groups,
    list,
    fail: (on: boolean) => {
      failing = on;
    },
  };
}

describe('GroupMembership', () => {
  it('answers which of the named groups a user belongs to, ignoring user ids', async () => {
    const ws = workspace({ S0DBA: ['U1', 'U2'], S0OPS: ['U2'] });
    const m = new GroupMembership(ws.list, new ManualClock(T0));
    expect(await m.groupsOf('U2', ['U9', 'S0DBA', 'S0OPS'])).toEqual(['S0DBA', 'S0OPS']);
    expect(await m.groupsOf('U1', ['S0DBA', 'S0OPS'])).toEqual(['S0DBA']);
    expect(await m.groupsOf('U3', ['U3'])).toEqual([]);
    expect(ws.calls).toEqual(['S0DBA', 'S0OPS']);
  });

  it('asks once per group while the answer is fresh; concurrent questions share one lookup', async () => {
    const ws = workspace({ S0DBA: ['U1'] });
    const clock = new ManualClock(T0);
    const m = new GroupMembership(ws.list, clock);
    await Promise.all([m.groupsOf('U1', ['S0DBA']), m.groupsOf('U2', ['S0DBA']), m.resolve(['S0DBA'])]);
    expect(ws.calls).toEqual(['S0DBA']);
    ws.groups.S0DBA = ['U2'];
    await clock.advance(GROUP_MEMBERS_TTL_MS - 1);
    expect(await m.groupsOf('U2', ['S0DBA'])).toEqual([]);
    await clock.advance(1);
    expect(await m.groupsOf('U2', ['S0DBA'])).toEqual(['S0DBA']);
    expect(await m.groupsOf('U1', ['S0DBA'])).toEqual([]);
    expect(ws.calls).toEqual(['S0DBA', 'S0DBA']);
  });

  it('does not remember a failed lookup, and names the group', async () => {
    const ws = workspace({ S0DBA: ['U1'] });
    const m = new GroupMembership(ws.list, new ManualClock(T0));
    ws.fail(true);
    const err = await m.groupsOf('U1', ['S0DBA']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrawbridgeError);
    expect(err).toMatchObject({
      code: 'APPROVER_GROUP_LOOKUP_FAILED',
      message: expect.stringContaining('S0DBA'),
    });
    await expect(m.resolve(['S0DBA'])).rejects.toMatchObject({ code: 'APPROVER_GROUP_LOOKUP_FAILED' });
    ws.fail(false);
    expect(await m.groupsOf('U1', ['S0DBA'])).toEqual(['S0DBA']);
    expect(ws.calls).toEqual(['S0DBA', 'S0DBA', 'S0DBA']);
  });

  it('expands approvers: direct users first, then group members, without duplicates', async () => {
    const ws = workspace({ S0DBA: ['U2', 'U3'] });
    const m = new GroupMembership(ws.list, new ManualClock(T0));
    expect(await m.resolve(['U1', 'U2', 'S0DBA'])).toEqual({
      anyMember: false,
      users: ['U1', 'U2'],
      groups: { S0DBA: ['U2', 'U3'] },
      everyone: ['U1', 'U2', 'U3'],
    });
    expect(await m.resolve([])).toMatchObject({ anyMember: true, everyone: [] });
  });
});
