import {
  clearRegisteredSecrets,
  redact,
  redactDeep,
  registerSecret,
  registerUrlSecrets,
} from '../../src/base/redact.js';

describe('redact', () => {
  it.each([
    ['postgres://app:s3cret-pass@db:5432/app', 'postgres://app:***@db:5432/app'],
    ['host=db password=s3cret-pass user=app', 'host=db password=*** user=app'],
    ['PGPASSWORD=s3cret-pass pg_dump', 'PGPASSWORD=*** pg_dump'],
    ["ALTER ROLE app WITH LOGIN PASSWORD 'n3w-secret'", "ALTER ROLE app WITH LOGIN PASSWORD '***'"],
    [
      "create user x password 'it''s-secret' valid until 'infinity'",
      "create user x password '***' valid until 'infinity'",
    ],
    ["CREATE ROLE r PASSWORD E'esc\\\\aped'", "CREATE ROLE r PASSWORD '***'"],
    ['ALTER ROLE r PASSWORD $pw$dollar quoted$pw$', "ALTER ROLE r PASSWORD '***'"],
    ['xoxb-1234-5678-abcdef', 'xoxb-***'],
    ['Authorization: Bearer abcdefghijkl', 'Authorization: Bearer ***'],
  ])('hides the secret in %j', (input, output) => {
    expect(redact(input)).toBe(output);
  });

  it('leaves ordinary SQL alone', () => {
    const sql = 'ALTER TABLE "User" ADD COLUMN "password_hash" TEXT;';
    expect(redact(sql)).toBe(sql);
  });
});

describe('registered secrets', () => {
  afterEach(() => clearRegisteredSecrets());

  it('replaces a long secret wherever it occurs, even inside a word', () => {
    registerSecret('s3cret-value-42');
    expect(redact('x s3cret-value-42 xs3cret-value-42x')).toBe('x *** x***x');
  });

  it.each([
    ['hunt2', 'auth with hunt2 failed', 'auth with *** failed'],
    ['hunt2', '{"password":"hunt2","user":"app"}', '{"password":"***","user":"app"}'],
    ['hunt2', 'hunt2', '***'],
    ['hunt2', '(hunt2), [hunt2]; hunt2.', '(***), [***]; ***.'],
    ['pw5x!', 'the password pw5x! was rejected', 'the password *** was rejected'],
    ['pw5x!', 'pw5x!!', '***!'],
    ['pw5x!', 'pw5x!a', '***a'],
    ['!pw5x', 'a!pw5x', 'a***'],
    ['a1', 'key a1, a1.', 'key ***, ***.'],
    ['é1', 'mot é1 ici', 'mot *** ici'],
    ['x', 'a x b', 'a *** b'],
  ])('hides the short secret %j as a token: %j', (secret, input, output) => {
    registerSecret(secret);
    expect(redact(input)).toBe(output);
  });

  it.each([
    ['hunt2', 'hunt2er xhunt2 hunt2_x x_hunt2 hunt22'],
    ['app', 'apple application app_name myapp'],
    ['a', 'data table lambda'],
    ['é1', 'é12 aé1'],
  ])('leaves words that merely contain the short secret %j alone', (secret, text) => {
    registerSecret(secret);
    expect(redact(text)).toBe(text);
  });

  it('hides a short secret in its percent-encoded, JSON-escaped and mrkdwn-escaped shapes', () => {
    registerSecret('p@s"');
    registerSecret('a<b&');
    expect(redact('url p%40s%22 here')).toBe('url *** here');
    expect(redact(JSON.stringify({ msg: 'bad p@s" here' }))).toBe('{"msg":"bad *** here"}');
    expect(redact('sent a&lt;b&amp; to Slack')).toBe('sent *** to Slack');
    expect(redact('raw a<b& too')).toBe('raw *** too');
  });

  it('hides a long secret with a quote inside a JSON log line', () => {
    registerSecret('long"secret\\value');
    expect(redact(JSON.stringify({ err: 'long"secret\\value' }))).toBe('{"err":"***"}');
  });

  it('masks a URL whole before the password inside it', () => {
    registerUrlSecrets('postgres://app:hunt2@db:5432/app');
    expect(redact('using postgres://app:hunt2@db:5432/app now')).toBe('using *** now');
    expect(redact('hunt2')).toBe('***');
  });

  it('registers a URL password both as written and decoded', () => {
    registerUrlSecrets('postgres://app:p%2Fw%21@db/app');
    expect(redact('decoded p/w! and written p%2Fw%21')).toBe('decoded *** and written ***');
  });

  it('registers a conninfo string whole and survives a malformed escape', () => {
    registerUrlSecrets('host=db password=zq9');
    registerUrlSecrets('postgres://app:bad%zz@db/app');
    expect(redact('host=db password=zq9')).toBe('***');
    expect(redact('then bad%zz')).toBe('then ***');
  });

  it('redacts short secrets in nested values', () => {
    registerSecret('hunt2');
    expect(redactDeep({ a: ['hunt2', { b: 'x hunt2 y' }], n: 5 })).toEqual({
      a: ['***', { b: 'x *** y' }],
      n: 5,
    });
  });

  it('ignores empty values and treats regex characters literally', () => {
    registerSecret('');
    registerSecret(undefined);
    registerSecret('a.b');
    expect(redact('axb a.b')).toBe('axb ***');
  });
});
