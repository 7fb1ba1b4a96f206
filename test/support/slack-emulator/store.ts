/**
 * The emulator's workspace state: channels, users, messages, ephemerals, views, files, trigger ids,
 * response URLs and the call log. Every change notifies waiters (see {@link Store.waitFor}).
 */
import type { Clock } from '../../../src/base/clock.js';
import type {
  ApiCall,
  EmulatedChannel,
  EmulatedUser,
  Fault,
  FaultSchedule,
  Message,
  UploadedFile,
  View,
} from './types.js';

/** An issued trigger_id: valid 3 s, exchangeable once. */
export interface Trigger {
  user: string;
  issuedAt: number;
  used: boolean;
}

/** An injected fault and which calls it hits. */
interface FaultEntry {
  fault: Fault;
  /** Decides whether the call numbered `seen` (1-based, since injection) is hit. */
  hits(seen: number): boolean;
  /** Calls of the method seen since injection. */
  seen: number;
  /** Calls it may still hit. */
  remaining: number;
}

function faultEntry(fault: Fault, schedule: FaultSchedule): FaultEntry {
  if (typeof schedule === 'number') return { fault, hits: () => true, seen: 0, remaining: schedule };
  const remaining = schedule.count ?? Number.POSITIVE_INFINITY;
  if ('every' in schedule) {
    const every = Math.max(1, Math.floor(schedule.every));
    return { fault, hits: (seen) => seen % every === 0, seen: 0, remaining };
  }
  const random = schedule.random ?? Math.random;
  return { fault, hits: () => random() < schedule.fraction, seen: 0, remaining };
}

/** A minted response_url. Slack allows 5 uses within 30 minutes. */
export interface ResponseUrl {
  kind: 'command' | 'action';
  user: string;
  channel: string;
  /** For actions: the message that held the clicked element. */
  messageTs?: string;
  ephemeral: boolean;
  uses: number;
  issuedAt: number;
}

export class Store {
  readonly channels = new Map<string, EmulatedChannel>();
  readonly users = new Map<string, EmulatedUser>();
  readonly messages = new Map<string, Message[]>();
  readonly ephemeralList: Message[] = [];
  readonly views = new Map<string, View>();
  readonly files = new Map<string, UploadedFile>();
  readonly triggers = new Map<string, Trigger>();
  readonly responseUrls = new Map<string, ResponseUrl>();
  readonly calls: ApiCall[] = [];
  private readonly faults = new Map<string, FaultEntry[]>();
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly clock: Clock,
    channels: EmulatedChannel[],
    users: EmulatedUser[],
  ) {
    for (const c of channels) this.channels.set(c.id, c);
    for (const u of users) this.users.set(u.id, u);
  }

  /** Channel id for an id, a `#name`/name, or a user id (its DM channel, created on demand). */
  resolveChannel(ref: string): string | undefined {
    if (this.channels.has(ref)) return ref;
    const name = ref.replace(/^#/, '');
    for (const c of this.channels.values()) if (c.name === name) return c.id;
    if (this.users.has(ref)) {
      const dm = `D${ref.slice(1)}`;
      if (!this.channels.has(dm)) this.channels.set(dm, { id: dm, name: ref, is_private: true });
      return dm;
    }
    return undefined;
  }

  findMessage(channel: string, ts: string): Message | undefined {
    return this.messages.get(channel)?.find((m) => m.ts === ts && !m.deleted);
  }

  addMessage(m: Message): void {
    const list = this.messages.get(m.channel) ?? [];
    list.push(m);
    this.messages.set(m.channel, list);
    this.changed();
  }

  addEphemeral(m: Message): void {
    this.ephemeralList.push(m);
    this.changed();
  }

  /** Top-level messages in ts order, thread replies nested under `replies`. */
  transcript(ref: string): Message[] {
    const id = this.resolveChannel(ref) ?? ref;
    const all = (this.messages.get(id) ?? [])
      .filter((m) => !m.deleted)
      .sort((a, b) => a.ts.localeCompare(b.ts));
    const top = all.filter((m) => m.thread_ts === undefined || m.thread_ts === m.ts);
    return top.map((m) => {
      const replies = all.filter((r) => r.thread_ts === m.ts && r.ts !== m.ts).map((r) => ({ ...r }));
      return replies.length > 0 ? { ...m, replies } : { ...m };
    });
  }

  ephemerals(filter: { user?: string; channel?: string } = {}): Message[] {
    const channel =
      filter.channel === undefined ? undefined : (this.resolveChannel(filter.channel) ?? filter.channel);
    return this.ephemeralList
      .filter((m) => !m.deleted)
      .filter(
        (m) =>
          (filter.user === undefined || m.ephemeral_to === filter.user) &&
          (channel === undefined || m.channel === channel),
      )
      .map((m) => ({ ...m }));
  }

  recordCall(call: ApiCall): void {
    this.calls.push(call);
    this.changed();
  }

  addFault(method: string, fault: Fault, schedule: FaultSchedule): void {
    const list = this.faults.get(method) ?? [];
    list.push(faultEntry(fault, schedule));
    this.faults.set(method, list);
  }

  clearFaults(method?: string): void {
    if (method === undefined) this.faults.clear();
    else this.faults.delete(method);
  }

  /**
   * The fault that hits this call of `method`, if any: every entry counts the call, the first one
   * whose schedule hits it answers, and spent entries are dropped.
   */
  takeFault(method: string): Fault | undefined {
    const list = this.faults.get(method);
    if (!list) return undefined;
    let hit: FaultEntry | undefined;
    for (const entry of list) {
      entry.seen += 1;
      if (hit === undefined && entry.remaining > 0 && entry.hits(entry.seen)) hit = entry;
    }
    if (hit !== undefined) hit.remaining -= 1;
    this.faults.set(
      method,
      list.filter((e) => e.remaining > 0),
    );
    return hit?.fault;
  }

  /** Tells waiters that something changed. */
  changed(): void {
    for (const l of [...this.listeners]) l();
  }

  /** Resolves with the first truthy value of `fn`, re-evaluated after each change. */
  waitFor<T>(
    fn: () => T | undefined | false | null,
    opts: { timeoutMs?: number; what?: string } = {},
  ): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        let v: T | undefined | false | null;
        try {
          v = fn();
        } catch (err) {
          finish();
          reject(err instanceof Error ? err : new Error(String(err)));
          return true;
        }
        if (v === undefined || v === false || v === null) return false;
        finish();
        resolve(v);
        return true;
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        finish();
        const recent = this.calls
          .slice(-8)
          .map((c) => `${c.method}${c.response.ok === true ? '' : `(${String(c.response.error)})`}`);
        reject(
          new Error(
            `waitFor timed out after ${timeoutMs} ms: ${opts.what ?? 'condition'}; last calls: [${recent.join(', ')}]`,
          ),
        );
      }, timeoutMs);
      this.listeners.add(listener);
      check();
    });
  }
}
