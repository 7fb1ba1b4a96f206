/**
 * An environment resolved once per operation — a run, a status, a plan, a review, a resolve, a restore —
 * into the one object everything that touches its database takes: its frozen settings, its executor,
 * the database URL as the executor's host sees it, and, once opened, the URL this process connects to
 * (for `via: bastion`, the near end of the operation's single SSH tunnel, closed in `finally`).
 *
 * Nothing below the front ends passes an environment's name around to be looked up again: a target
 * built some other way (a scratch database, a copy) goes through the same engine, backup and review.
 */
import { refusal, type Refusal } from '../base/errors.js';
import { safeDatabaseUrl } from '../base/redact.js';
import type { EnvironmentConfig } from '../config/file-schema.js';
import type { Executor } from '../exec/executor.js';
import { detectPooler, poolerRefusal } from '../migrations/pooler.js';
import type { RunnerTarget } from '../migrations/runner-target.js';
import type { CoreDeps } from './deps.js';

/** An environment looked up once: what is known before any connection is made. */
export interface ResolvedEnvironment {
  /** The environment's name in the config (`staging`), for people, locks and the store. */
  readonly name: string;
  /** Its settings, as parsed and frozen at start-up. */
  readonly config: Readonly<EnvironmentConfig>;
  /** Where its commands run: this host, or the bastion over SSH. */
  readonly executor: Executor;
  /**
   * The database URL as seen from the executor's host: what pg_dump, psql, pg_restore and the Prisma
   * CLI are given there (in their environment, never as an argument). It is the direct URL
   * (`database.directUrlEnv`/`directUrlFile`) when one is configured, else `database.urlEnv`/`urlFile`:
   * everything Drawbridge does — migrate, lock, dump, restore, and the status and plan reads — goes
   * through it, so a pooled URL is only ever the application's. Contains the password.
   */
  readonly executorUrl: string;
  /** True when `executorUrl` is the configured direct URL (for messages). */
  readonly directUrlConfigured: boolean;
  /** For people: `host:port/database` of the real database, no password. */
  readonly display: string;
  /** `host:port` of the real database. */
  readonly hostPort: string;
}

/**
 * A resolved environment with its database reachable from this process. Open one per operation and
 * close it in `finally`; everything the operation does goes through it (one tunnel, not one per call).
 */
export interface EnvironmentTarget extends ResolvedEnvironment, RunnerTarget {
  /**
   * The database URL to connect to from this process: `executorUrl` itself for `via: direct`, the local
   * end of the tunnel through the executor's host for `via: bastion`. Contains the password.
   */
  readonly url: string;
  /** Closes the tunnel, if there is one. Safe to call more than once. */
  close(): Promise<void>;
}

/** Describes a URL for people without its password: `host:port/db`. */
export function describeTarget(url: string): { display: string; hostPort: string } {
  try {
    const u = new URL(url);
    const hostPort = `${u.hostname}:${u.port || '5432'}`;
    return { display: `${hostPort}${u.pathname || '/'}`, hostPort };
  } catch {
    return { display: safeDatabaseUrl(url), hostPort: 'unknown host' };
  }
}

function noSuchEnvironment(deps: Pick<CoreDeps, 'config'>, name: string): Refusal {
  const valid = deps.config.environmentNames.map((n) => `\`${n}\``).join(', ');
  return refusal(
    'UNKNOWN_ENVIRONMENT',
    `There is no environment named \`${name}\`.`,
    `Valid environments: ${valid}.`,
  );
}

/** Refuses an unknown environment with the list of valid ones. */
export function unknownEnvironment(deps: Pick<CoreDeps, 'config'>, name: string): Refusal | undefined {
  return deps.config.environment(name) ? undefined : noSuchEnvironment(deps, name);
}

/**
 * Looks an environment up once: settings, executor and the executor-side URL (its secret is read now).
 * Opens nothing. An unknown name is a refusal; a missing secret throws (SECRET_MISSING).
 */
export function resolveTarget(deps: CoreDeps, name: string): ResolvedEnvironment | Refusal {
  const config = deps.config.environment(name);
  if (!config) return noSuchEnvironment(deps, name);
  const pooledOrOnly = deps.config.secrets.databaseUrl(name);
  const direct = deps.config.secrets.directDatabaseUrl(name);
  const executorUrl = direct ?? pooledOrOnly;
  return {
    name,
    config,
    executor: deps.executors(name),
    executorUrl,
    directUrlConfigured: direct !== undefined,
    ...describeTarget(executorUrl),
  };
}

/** Makes a resolved environment's database reachable from here: for `via: bastion`, opens the tunnel. */
export async function openTarget(env: ResolvedEnvironment): Promise<EnvironmentTarget> {
  if (env.config.database.via === 'direct') {
    return { ...env, url: env.executorUrl, close: () => Promise.resolve() };
  }
  const real = new URL(env.executorUrl);
  const tunnel = await env.executor.openTunnel(real.hostname, Number(real.port || '5432'));
  // libpq's hostaddr: connect to the tunnel, but check the server's certificate against the real host.
  const local = new URL(env.executorUrl);
  local.searchParams.set('hostaddr', tunnel.localHost);
  local.port = String(tunnel.localPort);
  let closing: Promise<void> | undefined;
  return { ...env, url: local.toString(), close: () => (closing ??= tunnel.close()) };
}

/**
 * Resolves and opens in one go: the usual start of an operation on a named environment. Refuses
 * (POOLED_CONNECTION) when the URL it would use leads to pgBouncer or another pooler (see
 * `migrations/pooler.ts`): every operation opened this way may migrate, lock, dump or restore.
 */
export async function openEnvironmentTarget(
  deps: CoreDeps,
  name: string,
): Promise<EnvironmentTarget | Refusal> {
  const env = resolveTarget(deps, name);
  if ('kind' in env) return env;
  const target = await openTarget(env);
  let signal;
  try {
    signal = await detectPooler(target.url);
  } catch (err) {
    await closeTarget(deps, target);
    throw err;
  }
  if (signal === undefined) return target;
  await closeTarget(deps, target);
  return poolerRefusal(signal, {
    environment: name,
    hostPort: env.hostPort,
    directUrlConfigured: env.directUrlConfigured,
  });
}

/** Closes a target; a failure is logged, never thrown over the operation's real outcome. */
export async function closeTarget(deps: Pick<CoreDeps, 'logger'>, target: EnvironmentTarget): Promise<void> {
  await target
    .close()
    .catch((err: unknown) =>
      deps.logger.warn({ err, environment: target.name }, 'closing the database tunnel failed'),
    );
}

/** Runs `work` on a named environment's target, opened for it and closed afterwards whatever happens. */
export async function withEnvironmentTarget<T>(
  deps: CoreDeps,
  name: string,
  work: (target: EnvironmentTarget) => Promise<T>,
): Promise<T | Refusal> {
  const target = await openEnvironmentTarget(deps, name);
  if ('kind' in target) return target;
  try {
    return await work(target);
  } finally {
    await closeTarget(deps, target);
  }
}
