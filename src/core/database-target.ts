/**
 * Resolves an environment's database URL at the moment it is needed, and, for `via: bastion`, opens
 * an SSH local forward through the environment's executor and points the URL at it.
 */
import { safeDatabaseUrl } from '../base/redact.js';
import type { CoreDeps } from './deps.js';

export interface DatabaseTarget {
  /** URL to connect to (through the tunnel when there is one). Contains the password: never show it. */
  url: string;
  /** For people: host:port/database of the real target, no password. */
  display: string;
  /** host:port of the real target. */
  hostPort: string;
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

export async function openDatabaseTarget(deps: CoreDeps, environment: string): Promise<DatabaseTarget> {
  const env = deps.config.environment(environment);
  const url = deps.config.secrets.databaseUrl(environment);
  const { display, hostPort } = describeTarget(url);
  if (!env || env.database.via === 'direct') {
    return { url, display, hostPort, close: async () => undefined };
  }
  const real = new URL(url);
  const tunnel = await deps.executors(environment).openTunnel(real.hostname, Number(real.port || '5432'));
  const local = new URL(url);
  local.hostname = tunnel.localHost;
  local.port = String(tunnel.localPort);
  return { url: local.toString(), display, hostPort, close: () => tunnel.close() };
}
