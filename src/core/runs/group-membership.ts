/**
 * Slack user-group membership (`S…` ids in `approvals.approvers`), resolved in one place. Every
 * question about groups — may this person approve, cancel, restore; whom to tell about a request —
 * goes through one `GroupMembership`, which asks the workspace (`usergroups.users.list`, supplied by
 * the Slack layer as a `ListGroupMembers`) at most once per group per `ttlMs`.
 */
import type { Clock } from '../../base/clock.js';
import { DrawbridgeError } from '../../base/errors.js';
import { resolveApprovers, type ResolvedApprovers } from './approval-policy.js';

/** Lists the members of one user group (S…). The Slack layer supplies it (usergroups.users.list). */
export type ListGroupMembers = (groupId: string) => Promise<readonly string[]>;

/**
 * How long a group's member list is trusted. Long enough that a burst of clicks and the direct
 * messages of one request share one lookup (Slack allows about 20 a minute); short enough that a
 * person removed from an approver group loses the right to approve within a minute.
 */
export const GROUP_MEMBERS_TTL_MS = 60_000;

/** True for a user-group id (S…) as opposed to a user id (U…/W…). */
export function isGroupId(id: string): boolean {
  return id.startsWith('S');
}

interface Entry {
  readonly members: Promise<readonly string[]>;
  readonly fetchedAt: number;
}

/** Group member lists with a cache; concurrent questions about one group share one lookup. */
export class GroupMembership {
  private readonly cache = new Map<string, Entry>();

  constructor(
    private readonly list: ListGroupMembers,
    private readonly clock: Clock,
    private readonly ttlMs: number = GROUP_MEMBERS_TTL_MS,
  ) {}

  /**
   * The members of `groupId`. A failed lookup is not cached and throws
   * `APPROVER_GROUP_LOOKUP_FAILED` naming the group.
   */
  async membersOf(groupId: string): Promise<readonly string[]> {
    try {
      return await this.lookup(groupId);
    } catch (err) {
      throw new DrawbridgeError(
        'APPROVER_GROUP_LOOKUP_FAILED',
        `Could not list the members of user group ${groupId}.`,
        {
          hint: 'Check that the bot has the usergroups:read scope and that the group exists.',
          cause: err,
        },
      );
    }
  }

  /** The groups (S…) among `ids` that `userId` belongs to, in the order of `ids`. */
  async groupsOf(userId: string, ids: readonly string[]): Promise<string[]> {
    const groups = [...new Set(ids.filter(isGroupId))];
    const members = await Promise.all(groups.map((g) => this.membersOf(g)));
    return groups.filter((_, i) => members[i]?.includes(userId));
  }

  /** Expands the groups of `approvers` (each looked up once, concurrently; see resolveApprovers). */
  resolve(approvers: readonly string[]): Promise<ResolvedApprovers> {
    return resolveApprovers(approvers, (g) => this.lookup(g));
  }

  /** The cached member list of one group; a failed lookup is forgotten so that the next one asks again. */
  private lookup(groupId: string): Promise<readonly string[]> {
    const now = this.clock.now();
    const cached = this.cache.get(groupId);
    if (cached && now - cached.fetchedAt < this.ttlMs) return cached.members;
    const members = this.list(groupId).then(
      (m) => [...m],
      (err: unknown) => {
        if (this.cache.get(groupId)?.members === members) this.cache.delete(groupId);
        throw err;
      },
    );
    this.cache.set(groupId, { members, fetchedAt: now });
    return members;
  }
}
