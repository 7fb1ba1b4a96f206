/**
 * TLS for database connections, with libpq's meaning of every setting, so that node-pg (status,
 * plan, deploy, the run lock) and libpq (pg_dump, pg_restore, psql) treat one URL the same way.
 *
 * | `sslmode`     | TLS                                   | verification                                 |
 * |---------------|---------------------------------------|----------------------------------------------|
 * | `disable`     | never                                 | —                                            |
 * | `allow`       | plain first, TLS if the server refuses | chain when `sslrootcert` is given, else none |
 * | `prefer`      | TLS first, plain if that fails (default) | chain when `sslrootcert` is given, else none |
 * | `require`     | always                                | chain when `sslrootcert` is given, else none |
 * | `verify-ca`   | always                                | chain against `sslrootcert`                  |
 * | `verify-full` | always                                | chain and host name against `sslrootcert`    |
 *
 * `ssl=true` (Prisma/JDBC style) means `require`, `ssl=false` means `disable`; Prisma's
 * `sslaccept=strict` turns `require` into `verify-full` (it checks chain and host name, so it too needs
 * `sslrootcert`). `sslrootcert`,
 * `sslcert` and `sslkey` are paths on the bot's host (libpq reads the same parameters on the host
 * where pg_dump runs); `sslrootcert=system` uses the system's trusted roots and, as in libpq, only with
 * `verify-full`. `sslpassword` decrypts an encrypted `sslkey`. Unlike libpq, nothing is read from
 * `~/.postgresql/`: a verifying mode without `sslrootcert` is refused, so that what is trusted is
 * always written in the URL. Note that Prisma's own engine reads `sslcert` as the server's CA; here it
 * is the client certificate, as in libpq.
 */
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { DrawbridgeError } from '../base/errors.js';
import { registerSecret } from '../base/redact.js';

/** libpq's `sslmode` values, weakest first. */
export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

/** The TLS settings of one database URL (paths only: files are read when connecting). */
export interface TlsSettings {
  /** The effective mode (after `ssl=true` / `sslaccept=strict`); what libpq gets as `PGSSLMODE`. */
  mode: SslMode;
  /** What a TLS connection verifies: nothing, the certificate chain, or chain and host name. */
  verify: 'none' | 'chain' | 'full';
  /** `sslrootcert`: a CA file, or `system`. */
  rootCert?: string;
  /** `sslcert`: client certificate file. */
  cert?: string;
  /** `sslkey`: client key file. */
  key?: string;
  /** `sslpassword`: decrypts `sslkey`. Secret. */
  password?: string;
}

function badUrl(message: string): DrawbridgeError {
  return new DrawbridgeError('P1013', message, {
    hint: 'Fix the TLS parameters of the database URL (see libpq: sslmode, sslrootcert, sslcert, sslkey).',
  });
}

function modeOf(params: URLSearchParams): SslMode {
  const sslmode = params.get('sslmode');
  if (sslmode !== null) {
    if (!(SSL_MODES as readonly string[]).includes(sslmode)) {
      throw badUrl(`sslmode must be one of ${SSL_MODES.join(', ')}, not "${sslmode}".`);
    }
    return sslmode as SslMode;
  }
  const ssl = params.get('ssl');
  if (ssl === null) return 'prefer';
  if (['true', '1', 'require'].includes(ssl)) return 'require';
  if (['false', '0'].includes(ssl)) return 'disable';
  throw badUrl(`ssl must be true or false, not "${ssl}".`);
}

/** Reads the TLS parameters of a database URL's query string. Throws DrawbridgeError P1013 on nonsense. */
export function parseTlsSettings(params: URLSearchParams): TlsSettings {
  let mode = modeOf(params);
  if (mode === 'require' && params.get('sslaccept') === 'strict') mode = 'verify-full';
  const rootCert = params.get('sslrootcert') || undefined;
  const verifying = mode === 'verify-ca' || mode === 'verify-full';
  if (verifying && !rootCert) {
    throw badUrl(
      `sslmode=${mode} needs sslrootcert=<CA file> (or sslrootcert=system for the system's trusted roots).`,
    );
  }
  if (rootCert === 'system' && mode !== 'verify-full' && mode !== 'disable') {
    throw badUrl(`sslrootcert=system may only be used with sslmode=verify-full, not sslmode=${mode}.`);
  }
  const verify = mode === 'verify-full' ? 'full' : rootCert && mode !== 'disable' ? 'chain' : 'none';
  const settings: TlsSettings = { mode, verify };
  if (rootCert) settings.rootCert = rootCert;
  const cert = params.get('sslcert');
  if (cert) settings.cert = cert;
  const key = params.get('sslkey');
  if (key) settings.key = key;
  const password = params.get('sslpassword');
  if (password) {
    registerSecret(password);
    settings.password = password;
  }
  return settings;
}

/**
 * Whether each connection attempt uses TLS, in order. node-pg cannot fall back by itself, so `prefer`
 * connects with TLS and, when that fails, again without; `allow` the other way round.
 */
export function tlsAttempts(tls: TlsSettings): boolean[] {
  switch (tls.mode) {
    case 'disable':
      return [false];
    case 'allow':
      return [false, true];
    case 'prefer':
      return [true, false];
    default:
      return [true];
  }
}

function readTlsFile(kind: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new DrawbridgeError('P1011', `Cannot read the ${kind} file ${path}: ${why}`, {
      hint: `Check the ${kind} path in the database URL and that the bot's user may read it.`,
      cause,
    });
  }
}

/** node-pg's `ssl` option for a TLS attempt; reads the certificate files (DrawbridgeError P1011 when it cannot). */
export function tlsConnectOptions(tls: TlsSettings): ConnectionOptions {
  const opts: ConnectionOptions = { rejectUnauthorized: tls.verify !== 'none' };
  if (tls.rootCert && tls.rootCert !== 'system') opts.ca = readTlsFile('sslrootcert', tls.rootCert);
  // verify-ca (and require with a root certificate) checks the chain only, as libpq does.
  if (tls.verify === 'chain') opts.checkServerIdentity = () => undefined;
  if (tls.cert) opts.cert = readTlsFile('sslcert', tls.cert);
  if (tls.key) opts.key = readTlsFile('sslkey', tls.key);
  if (tls.password) opts.passphrase = tls.password;
  return opts;
}

/** The certificate problem in a connection error (Node's TLS verification codes), if it is one. */
export function certificateProblem(err: unknown): string | undefined {
  // Duck-typed: errors from Node's TLS layer may come from another realm than this module's Error.
  if (typeof err !== 'object' || err === null) return undefined;
  const { code, message } = err as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  const isCert = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY|DECRYPT)|ALTNAME|HOSTNAME|CHAIN/.test(code);
  return isCert ? message : undefined;
}

/** The parameters that explain a certificate error, e.g. "sslmode=verify-full, sslrootcert=/etc/ca.pem". */
export function tlsParameters(tls: TlsSettings): string {
  const parts = [`sslmode=${tls.mode}`];
  if (tls.rootCert) parts.push(`sslrootcert=${tls.rootCert}`);
  if (tls.cert) parts.push(`sslcert=${tls.cert}`);
  return parts.join(', ');
}

/**
 * For people (`/migrate status`): "TLS verify-full", "TLS require (certificate not verified)",
 * "no TLS (sslmode=disable)". `encrypted` is whether the session actually uses TLS.
 */
export function describeTls(tls: TlsSettings, encrypted: boolean): string {
  if (!encrypted) {
    return tls.mode === 'disable'
      ? 'no TLS (sslmode=disable)'
      : `no TLS (sslmode=${tls.mode}: TLS was not available)`;
  }
  if (tls.mode === 'verify-ca' || tls.mode === 'verify-full') return `TLS ${tls.mode}`;
  if (tls.verify === 'chain') return `TLS ${tls.mode} (certificate chain verified with sslrootcert)`;
  return `TLS ${tls.mode} (certificate not verified)`;
}

/**
 * libpq's environment for the same settings (PGSSLMODE, PGSSLROOTCERT, PGSSLCERT, PGSSLKEY).
 * `prefer` is libpq's default and is left out, which keeps the restore command shown to people short.
 */
export function libpqTlsEnv(tls: TlsSettings): Record<string, string> {
  const env: Record<string, string> = tls.mode === 'prefer' ? {} : { PGSSLMODE: tls.mode };
  if (tls.rootCert) env.PGSSLROOTCERT = tls.rootCert;
  if (tls.cert) env.PGSSLCERT = tls.cert;
  if (tls.key) env.PGSSLKEY = tls.key;
  return env;
}
