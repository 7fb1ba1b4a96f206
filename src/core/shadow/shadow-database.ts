/**
 * The shadow database of an environment (`environments.<env>.shadowDatabase`): a database Drawbridge
 * owns and may empty, where the drift check replays the ledger's migrations and the rehearsal restores
 * a copy. It is reached the same way as the target (through the executor's tunnel for `via: bastion`).
 *
 * Two promises, kept before returning one and again inside `reset()` before anything is dropped:
 * - it is not the target: not the same database (`current_database()`) on the same server
 *   (`system_identifier`), whatever URLs lead there;
 * - it is verifiably the shadow: on first use Drawbridge marks it (`COMMENT ON DATABASE … IS
 *   'drawbridge shadow of <env>'`), and only when it is empty; afterwards the marker is required.
 *   A database holding anything else is refused and left untouched.
 *
 * One user at a time: an open shadow holds a session-level advisory lock (`SHADOW_LOCK_KEY`) on the
 * shadow database until it is closed, so that a drift check never empties a shadow a rehearsal is
 * restoring into, and the other way round.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type pg from 'pg';
import { DrawbridgeError, refusal, type Refusal } from '../../base/errors.js';
import { closeSession, openSession, parseDatabaseUrl, quoteIdent } from '../../migrations/connection.js';
import type { CoreDeps } from '../deps.js';
import {
  closeTarget,
  describeTarget,
  openTarget,
  resolveTarget,
  type EnvironmentTarget,
  type ResolvedEnvironment,
} from '../environment-target.js';
import { readIdentity, readIdentityOf, sameDatabase, serverName, urlAddress } from './database-identity.js';
import type { DatabaseIdentity } from './database-identity.js';
import { resetShadowSchemas, shadowContents } from './shadow-contents.js';

/** An environment's shadow database, verified and reachable from this process. Close it in `finally`. */
export interface ShadowDatabase {
  /** The environment it shadows. */
  readonly environment: string;
  /** URL to connect to from this process (the local end of the tunnel for `via: bastion`). Secret. */
  readonly url: string;
  /** URL as seen from the executor's host (what pg_restore/psql there are given, by environment). Secret. */
  readonly executorUrl: string;
  /** For people: `host:port/database` of the shadow, no password. */
  readonly display: string;
  /** The shadow server's system identifier (or its start time when the role may not read it). */
  readonly systemIdentifier: string;
  /** The shadow's `current_database()`. */
  readonly database: string;
  /**
   * Empties the shadow: every non-system schema (public included) is dropped with its contents and
   * `public` recreated; extensions other than plpgsql are dropped. The database itself stays, with its
   * marker. Verifies first (not the target, marker present) and throws DrawbridgeError
   * `SHADOW_NOT_VERIFIED` without touching anything when that fails.
   */
  reset(): Promise<void>;
  /** Releases the shadow (its advisory lock) and closes the tunnel, if there is one. Safe to call more than once. */
  close(): Promise<void>;
}

/** Options of `openShadow`. */
export interface OpenShadowOptions {
  /** The environment's target, already open: identified through it, no connection of its own. */
  readonly target?: EnvironmentTarget;
  /** How long to wait for another user of the shadow (a rehearsal, a drift check) to finish. Default 30 s. */
  readonly waitMs?: number;
}

/** The advisory lock key ("DBSH") an open shadow holds on the shadow database until it is closed. */
export const SHADOW_LOCK_KEY = 0x44425348;
const DEFAULT_WAIT_MS = 30_000;
const POLL_MS = 250;

/** The comment that marks a database as the shadow of `environment`. */
export function shadowMarker(environment: string): string {
  return `drawbridge shadow of ${environment}`;
}

/**
 * Opens and verifies the shadow database of `environment`, and takes it for this caller until
 * `close()`. Refuses (`NO_SHADOW_DATABASE`, `SHADOW_IS_TARGET`, `SHADOW_NOT_EMPTY`,
 * `SHADOW_MARKED_OTHERWISE`, `SHADOW_BUSY`, `UNKNOWN_ENVIRONMENT`) rather than throw; connection faults
 * throw. With `options.target` (the environment's target, already open) the target is identified
 * through it instead of a connection of its own.
 */
export async function openShadow(
  deps: CoreDeps,
  environment: string,
  options: OpenShadowOptions = {},
): Promise<ShadowDatabase | Refusal> {
  const env = resolveTarget(deps, environment);
  if ('kind' in env) return env;
  const shadowUrl = deps.config.secrets.shadowDatabaseUrl(environment);
  if (shadowUrl === undefined) {
    return refusal(
      'NO_SHADOW_DATABASE',
      `\`${environment}\` has no shadow database.`,
      `Set environments.${environment}.shadowDatabase: { urlEnv: … } to a database Drawbridge may empty.`,
    );
  }
  const written = shadowUrlIsTarget(shadowUrl, [
    env.executorUrl,
    deps.config.secrets.databaseUrl(environment),
  ]);
  if (written) return isTargetRefusal(environment, written);
  const targetIdentity = await identifyTarget(deps, env, options.target);
  const end = await openTarget(shadowEnvironment(env, shadowUrl));
  try {
    const verified = await withShadowSession(end.url, (c) =>
      verifyShadow(c, environment, targetIdentity, 'open'),
    );
    if ('kind' in verified) {
      await closeTarget(deps, end);
      return verified;
    }
    const lock = await lockShadow(end.url, options.waitMs ?? DEFAULT_WAIT_MS);
    if (lock === undefined) {
      await closeTarget(deps, end);
      return refusal(
        'SHADOW_BUSY',
        `The shadow database of \`${environment}\` is in use (a rehearsal or a drift check under way).`,
        'Try again when it has finished.',
      );
    }
    let closing: Promise<void> | undefined;
    return {
      environment,
      url: end.url,
      executorUrl: shadowUrl,
      display: end.display,
      systemIdentifier: serverName(verified),
      database: verified.database,
      reset: () => resetShadow(end.url, environment, targetIdentity),
      close: () => (closing ??= closeSession(lock).then(() => closeTarget(deps, end))),
    };
  } catch (err) {
    await closeTarget(deps, end);
    throw err;
  }
}

/** The address both URLs share when the shadow URL names the target's host, port and database. Pure. */
export function shadowUrlIsTarget(shadowUrl: string, targetUrls: readonly string[]): string | undefined {
  const shadow = urlAddress(shadowUrl);
  if (shadow === undefined) return undefined;
  return targetUrls.some((u) => urlAddress(u) === shadow) ? describeTarget(shadowUrl).display : undefined;
}

/** The refusal for a shadow that is the target itself. */
export function isTargetRefusal(environment: string, where: string): Refusal {
  return refusal(
    'SHADOW_IS_TARGET',
    `The shadow database of \`${environment}\` is its target database itself (${where}); Drawbridge empties its shadow, so it will not use it.`,
    `Point environments.${environment}.shadowDatabase at a separate database that Drawbridge may empty.`,
  );
}

/** The shadow as a resolved environment, so that `openTarget` reaches it exactly as the target. */
export function shadowEnvironment(env: ResolvedEnvironment, shadowUrl: string): ResolvedEnvironment {
  return { ...env, executorUrl: shadowUrl, directUrlConfigured: false, ...describeTarget(shadowUrl) };
}

async function identifyTarget(
  deps: CoreDeps,
  env: ResolvedEnvironment,
  open: EnvironmentTarget | undefined,
): Promise<DatabaseIdentity> {
  if (open) return readIdentityOf(open.url, 'drawbridge shadow check');
  const target = await openTarget(env);
  try {
    return await readIdentityOf(target.url, 'drawbridge shadow check');
  } finally {
    await closeTarget(deps, target);
  }
}

/** A session holding the shadow's advisory lock, or undefined when another holds it past `waitMs`. */
async function lockShadow(url: string, waitMs: number): Promise<pg.Client | undefined> {
  const client = await openSession(parseDatabaseUrl(url, 'drawbridge shadow lock'), undefined, {
    searchPath: false,
  });
  try {
    for (let waited = 0; ; waited += POLL_MS) {
      const r = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        SHADOW_LOCK_KEY,
      ]);
      if (r.rows[0]?.ok === true) return client;
      if (waited >= waitMs) break;
      await delay(POLL_MS);
    }
  } catch (err) {
    await closeSession(client);
    throw err;
  }
  await closeSession(client);
  return undefined;
}

async function withShadowSession<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = await openSession(parseDatabaseUrl(url, 'drawbridge shadow'), undefined, {
    searchPath: false,
  });
  try {
    return await work(client);
  } finally {
    await closeSession(client);
  }
}

/**
 * The two promises, on a session to the shadow: not the target, and marked (or, on `open`, empty and
 * marked now). Returns the shadow's identity or the refusal.
 */
async function verifyShadow(
  client: pg.Client,
  environment: string,
  target: DatabaseIdentity,
  use: 'open' | 'reset',
): Promise<DatabaseIdentity | Refusal> {
  const identity = await readIdentity(client);
  if (sameDatabase(identity, target))
    return isTargetRefusal(environment, `database "${identity.database}" on server ${serverName(identity)}`);
  const marker = await readMarker(client);
  if (marker === shadowMarker(environment)) return identity;
  const name = `"${identity.database}"`;
  if (marker !== null) {
    return refusal(
      'SHADOW_MARKED_OTHERWISE',
      `The shadow database ${name} of \`${environment}\` carries the comment "${marker}", not Drawbridge's marker "${shadowMarker(environment)}"; it was left untouched.`,
      'Give each environment its own, empty shadow database.',
    );
  }
  if (use === 'reset') {
    return refusal(
      'SHADOW_NOT_MARKED',
      `The shadow database ${name} of \`${environment}\` no longer carries Drawbridge's marker; it was left untouched.`,
    );
  }
  const contents = await shadowContents(client);
  if (contents.length > 0) {
    return refusal(
      'SHADOW_NOT_EMPTY',
      `The shadow database ${name} of \`${environment}\` is not empty and not marked as Drawbridge's (it holds ${contents.join(', ')}); it was left untouched.`,
      `Point environments.${environment}.shadowDatabase at an empty database: Drawbridge marks it on first use and empties it before each use.`,
    );
  }
  await client.query(
    `COMMENT ON DATABASE ${quoteIdent(identity.database)} IS ${quoteLiteral(shadowMarker(environment))}`,
  );
  return identity;
}

async function readMarker(client: pg.Client): Promise<string | null> {
  const r = await client.query<{ marker: string | null }>(
    "SELECT shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname = current_database()",
  );
  return r.rows[0]?.marker ?? null;
}

async function resetShadow(url: string, environment: string, target: DatabaseIdentity): Promise<void> {
  await withShadowSession(url, async (client) => {
    const verified = await verifyShadow(client, environment, target, 'reset');
    if ('kind' in verified) {
      throw new DrawbridgeError('SHADOW_NOT_VERIFIED', verified.message, {
        ...(verified.hint === undefined ? {} : { hint: verified.hint }),
      });
    }
    const parsed = parseDatabaseUrl(url);
    await resetShadowSchemas(client, parsed.schemaExplicit ? parsed.schema : undefined);
  });
}

function quoteLiteral(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
