/**
 * The pure half of pooler detection: the URL marker, the cancel-key comparison and the refusal's
 * wording (the real PgBouncer is in test/cli/pgbouncer.test.ts).
 */
import { cancelKeyRevealsPooler, poolerRefusal, urlMarksPgBouncer } from '../../src/migrations/pooler.js';

describe('urlMarksPgBouncer', () => {
  it.each([
    ['postgres://u:p@h:6432/db?pgbouncer=true', true],
    ['postgresql://u:p@h/db?schema=app&pgbouncer=TRUE', true],
    ['postgres://u:p@h:6432/db?pgbouncer=false', false],
    ['postgres://u:p@h:5432/db', false],
    ['not a url', false],
  ])('%s → %s', (url, marked) => {
    expect(urlMarksPgBouncer(url)).toBe(marked);
  });
});

describe('cancelKeyRevealsPooler', () => {
  it('is false when the cancel key is the backend pid (PostgreSQL itself, or a TCP forward)', () => {
    expect(cancelKeyRevealsPooler(4242, 4242)).toBe(false);
  });
  it('is true when the key is the pooler’s own, or missing', () => {
    expect(cancelKeyRevealsPooler(1156603349, 4242)).toBe(true);
    expect(cancelKeyRevealsPooler(undefined, 4242)).toBe(true);
  });
});

describe('poolerRefusal', () => {
  it('names pgBouncer and the direct URL setting to add', () => {
    const r = poolerRefusal('cancel-key', {
      environment: 'production',
      hostPort: 'db:6432',
      directUrlConfigured: false,
    });
    expect(r.code).toBe('POOLED_CONNECTION');
    expect(r.message).toContain('pgBouncer');
    expect(r.message).toContain('environments.production.database.directUrlEnv');
    expect(r.hint).toContain('direct URL');
  });
  it('says so when the configured direct URL is itself a pooler', () => {
    const r = poolerRefusal('url-marker', {
      environment: 'staging',
      hostPort: 'db:6432',
      directUrlConfigured: true,
    });
    expect(r.message).toContain('the direct URL (db:6432)');
    expect(r.message).toContain('pgbouncer=true');
  });
});
