/** libpq's meaning of each sslmode and TLS parameter, as one table. Pure: no server. */
import {
  describeTls,
  libpqTlsEnv,
  parseTlsSettings,
  tlsAttempts,
  type TlsSettings,
} from '../../src/migrations/tls-settings.js';

const parse = (query: string): TlsSettings => parseTlsSettings(new URLSearchParams(query));

describe('parseTlsSettings', () => {
  it.each([
    ['', 'prefer', 'none', [true, false]],
    ['sslmode=disable', 'disable', 'none', [false]],
    ['sslmode=disable&sslrootcert=/ca.pem', 'disable', 'none', [false]],
    ['sslmode=allow', 'allow', 'none', [false, true]],
    ['sslmode=prefer', 'prefer', 'none', [true, false]],
    ['sslmode=prefer&sslrootcert=/ca.pem', 'prefer', 'chain', [true, false]],
    ['sslmode=require', 'require', 'none', [true]],
    ['sslmode=require&sslrootcert=/ca.pem', 'require', 'chain', [true]],
    ['sslmode=verify-ca&sslrootcert=/ca.pem', 'verify-ca', 'chain', [true]],
    ['sslmode=verify-full&sslrootcert=/ca.pem', 'verify-full', 'full', [true]],
    ['sslmode=verify-full&sslrootcert=system', 'verify-full', 'full', [true]],
    ['ssl=true', 'require', 'none', [true]],
    ['ssl=false', 'disable', 'none', [false]],
    ['sslmode=require&sslaccept=strict&sslrootcert=/ca.pem', 'verify-full', 'full', [true]],
    ['ssl=true&sslaccept=accept_invalid_certs', 'require', 'none', [true]],
  ])('%s → %s, verifies %s, attempts %j', (query, mode, verify, attempts) => {
    const tls = parse(query);
    expect(tls.mode).toBe(mode);
    expect(tls.verify).toBe(verify);
    expect(tlsAttempts(tls)).toEqual(attempts);
  });

  it.each([
    ['sslmode=on', /sslmode must be one of disable, allow, prefer, require, verify-ca, verify-full/],
    ['ssl=maybe', /ssl must be true or false/],
    ['sslmode=verify-ca', /sslmode=verify-ca needs sslrootcert=<CA file>/],
    ['sslmode=verify-full', /sslmode=verify-full needs sslrootcert=<CA file>/],
    ['ssl=true&sslaccept=strict', /sslmode=verify-full needs sslrootcert=<CA file>/],
    ['sslmode=require&sslrootcert=system', /sslrootcert=system may only be used with sslmode=verify-full/],
  ])('refuses %s', (query, message) => {
    expect(() => parse(query)).toThrow(message);
    expect(() => parse(query)).toThrow(expect.objectContaining({ code: 'P1013' }) as Error);
  });

  it('keeps the client certificate, key and key password', () => {
    const tls = parse('sslmode=require&sslcert=/c.pem&sslkey=/k.pem&sslpassword=s3cret');
    expect(tls).toMatchObject({ cert: '/c.pem', key: '/k.pem', password: 's3cret' });
    expect(libpqTlsEnv(tls)).toEqual({ PGSSLMODE: 'require', PGSSLCERT: '/c.pem', PGSSLKEY: '/k.pem' });
  });

  it.each([
    ['sslmode=verify-full&sslrootcert=/ca.pem', true, 'TLS verify-full'],
    ['sslmode=verify-ca&sslrootcert=/ca.pem', true, 'TLS verify-ca'],
    [
      'sslmode=require&sslrootcert=/ca.pem',
      true,
      'TLS require (certificate chain verified with sslrootcert)',
    ],
    ['sslmode=require', true, 'TLS require (certificate not verified)'],
    ['', false, 'no TLS (sslmode=prefer: TLS was not available)'],
    ['sslmode=disable', false, 'no TLS (sslmode=disable)'],
  ])('describes %s (encrypted: %s) as "%s"', (query, encrypted, text) => {
    expect(describeTls(parse(query), encrypted)).toBe(text);
  });
});
