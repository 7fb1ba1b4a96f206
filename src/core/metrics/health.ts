/**
 * `GET /healthz`: 200 `{ ok: true }`, or 503 with the reasons when the store cannot be written, the
 * ticker has stopped ticking, or the outbox holds a delivery older than its horizon. The decision is
 * pure ({@link healthVerdict}); {@link HealthCheck} gathers the facts with the injected clock.
 */
import type { Clock } from '../../base/clock.js';
import { describeError } from '../../base/errors.js';
import { redact } from '../../base/redact.js';
import type { OutboxStore } from '../../store/outbox-store.js';
import type { Store } from '../../store/store.js';
import type { Ticker } from '../ticker.js';

/** How long the ticker may stay silent (it fires every minute) before the bot counts as unhealthy. */
export const TICKER_STALE_MS = 3 * 60_000;

/** One failed check. */
export interface HealthProblem {
  readonly check: 'store' | 'ticker' | 'outbox';
  readonly message: string;
}

/** What `/healthz` answers (as JSON; 503 when not ok). `reason` joins the problems' messages. */
export type HealthReport =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: string; readonly problems: readonly HealthProblem[] };

/** The facts a verdict is made of. */
export interface HealthFacts {
  readonly now: number;
  /** When the ticker was started (the bot composed). */
  readonly startedAt: number;
  readonly lastTickAt: number | undefined;
  /** Why the store could not be written, when it could not. */
  readonly storeError?: string;
  /** The oldest pending delivery: its lane and when it was queued. */
  readonly oldestPending?: { readonly destination: string; readonly createdAt: number };
  readonly horizonMs: number;
}

function minutes(ms: number): string {
  return `${Math.floor(ms / 60_000)} min`;
}

/** Pure: the report for a set of facts. */
export function healthVerdict(f: HealthFacts): HealthReport {
  const problems: HealthProblem[] = [];
  if (f.storeError !== undefined)
    problems.push({ check: 'store', message: `the state database cannot be written: ${f.storeError}` });
  const silentFor = f.now - (f.lastTickAt ?? f.startedAt);
  if (f.now - f.startedAt >= TICKER_STALE_MS && silentFor >= TICKER_STALE_MS)
    problems.push({
      check: 'ticker',
      message: `scheduled work has not run for ${minutes(silentFor)} (the ticker fires every minute)`,
    });
  if (f.oldestPending && f.now - f.oldestPending.createdAt > f.horizonMs)
    problems.push({
      check: 'outbox',
      message: `a delivery to ${f.oldestPending.destination} has been pending for ${minutes(f.now - f.oldestPending.createdAt)}, past the ${minutes(f.horizonMs)} horizon`,
    });
  if (problems.length === 0) return { ok: true };
  return { ok: false, reason: problems.map((p) => p.message).join('; '), problems };
}

/**
 * A cheap write probe: reads the schema version and writes the same value back in an IMMEDIATE
 * transaction (a real commit, so a full disk, a read-only file or a held write lock shows).
 */
export function probeStore(store: Store): string | undefined {
  try {
    store.db
      .transaction(() => {
        const version = Number(store.db.pragma('user_version', { simple: true }));
        store.db.pragma(`user_version = ${version}`);
      })
      .immediate();
    return undefined;
  } catch (err) {
    return redact(describeError(err));
  }
}

export interface HealthSources {
  readonly store: Store;
  readonly outbox: Pick<OutboxStore, 'pending'>;
  readonly ticker: Pick<Ticker, 'lastTickAt'>;
  readonly clock: Clock;
  readonly horizonMs: number;
}

/** The bot's health, read on demand. */
export class HealthCheck {
  private readonly startedAt: number;

  constructor(private readonly sources: HealthSources) {
    this.startedAt = sources.clock.now();
  }

  check(): HealthReport {
    const s = this.sources;
    const storeError = probeStore(s.store);
    let oldest: HealthFacts['oldestPending'];
    if (storeError === undefined) {
      const lane = s.outbox.pending()[0]; // oldest lane first
      if (lane) oldest = { destination: redact(lane.destination), createdAt: lane.oldestCreatedAt };
    }
    return healthVerdict({
      now: s.clock.now(),
      startedAt: this.startedAt,
      lastTickAt: s.ticker.lastTickAt,
      horizonMs: s.horizonMs,
      ...(storeError === undefined ? {} : { storeError }),
      ...(oldest ? { oldestPending: oldest } : {}),
    });
  }
}
