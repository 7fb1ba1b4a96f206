import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { shellJoin, shellQuote } from '../../src/exec/shell-quote.js';

/** Lets real POSIX shells parse the joined string and report each word back, NUL-separated. */
function parseWith(shell: string, argv: readonly string[]): string[] {
  const res = spawnSync(shell, ['-c', `printf '%s\\0' ${shellJoin(argv)}`], { encoding: 'utf8' });
  expect(res.status).toBe(0);
  return res.stdout.split('\0').slice(0, -1);
}

const tricky = [
  'plain',
  '',
  'two words',
  "it's",
  "''",
  '"double"',
  '$HOME',
  '${PATH}',
  '`id`',
  '$(id)',
  'a;b',
  'a && b || c',
  'line1\nline2',
  'tab\there',
  'back\\slash',
  '*',
  '~',
  '-n',
  'A=b',
  '#comment',
  '!bang',
  'ünïcødé ✓',
  '\r\n',
];

describe('shellQuote', () => {
  it.each(['sh', 'bash'])('round-trips tricky arguments exactly through %s', (shell) => {
    expect(parseWith(shell, tricky)).toEqual(tricky);
  });

  it('round-trips random printable and control text', () => {
    const samples = Array.from({ length: 50 }, () =>
      [...randomBytes(24)].map((b) => String.fromCharCode((b % 126) + 1)).join(''),
    );
    expect(parseWith('sh', samples)).toEqual(samples);
  });

  it('leaves plain words readable and quotes the rest', () => {
    expect(shellQuote('pg_restore')).toBe('pg_restore');
    expect(shellQuote('--dbname=x')).toBe("'--dbname=x'");
    expect(shellQuote('/data/backups/prod-20250101T000000Z-r1.dump')).toBe(
      '/data/backups/prod-20250101T000000Z-r1.dump',
    );
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(shellQuote('')).toBe("''");
  });

  it('refuses NUL bytes', () => {
    expect(() => shellQuote('a\0b')).toThrow(expect.objectContaining({ code: 'EXEC_BAD_ARGUMENT' }));
  });
});
