import { redact } from '../../src/base/redact.js';

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
