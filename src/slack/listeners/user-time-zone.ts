/** The time zone a person set in Slack (users.info `tz`), which their typed local times are read in. */
import type { ReadIn } from '../renderers/window-message.js';

/** The part of the Web API client this needs. */
export interface UsersInfoClient {
  readonly users: {
    info(args: { user: string }): Promise<{ user?: { tz?: string } }>;
  };
}

/** The user's IANA time zone; UTC with `fallback` when Slack does not answer or names none. */
export async function userTimeZone(client: UsersInfoClient, user: string): Promise<ReadIn> {
  try {
    const tz = (await client.users.info({ user })).user?.tz;
    if (typeof tz === 'string' && tz.length > 0) return { timeZone: tz, fallback: false };
  } catch {
    // The answer is the same as for a user without a time zone: UTC, and the reply says so.
  }
  return { timeZone: 'UTC', fallback: true };
}
