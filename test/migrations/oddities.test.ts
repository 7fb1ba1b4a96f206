import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { symlinkSync } from 'node:fs';
import { deploy } from '../../src/migrations/deploy.js';
import { getStatus } from '../../src/migrations/get-status.js';
import { readMigrationsFolder, parseLockProvider } from '../../src/migrations/folder.js';
import { sortNamesBytewise } from '../../src/migrations/name-order.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { makeFolder } from './folder-helpers.js';

/** The reference: two names compared by their UTF-8 bytes, each encoded at every comparison. */
const compareNamesBytewise = (a: string, b: string): number =>
  Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const oddities = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'migrations', 'oddities');

describe('a folder with the oddities of real histories', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('odd');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('applies every file in byte order on one session, and status agrees', async () => {
    const folder = await readMigrationsFolder(oddities);
    expect(folder.lockProvider).toBe('postgresql');
    expect(folder.problems).toEqual([]);
    expect(folder.migrations.map((m) => m.name)).toEqual([
      '01_extensions',
      '02_accounts',
      '202302011200_twelve_digit_prefix',
      '20230301_eight_digit_enum_value',
      '20230401000000_explicit_transaction',
      '20230501000000_session_settings',
      '20230601000000_concurrent_index',
      '20230701000000_seed_and_check',
      '20230801000000_empty',
    ]);
    const r = await deploy({
      databaseUrl: db.url,
      migrationsDir: oddities,
      lockTimeoutMs: 5000,
      lockRetries: 2,
    });
    expect(r.failure).toBeUndefined();
    expect(r.outcome).toBe('succeeded');
    expect(r.applied).toHaveLength(9);
    const notes = await db.query<{ note: string }>('SELECT note FROM "Audit" ORDER BY id');
    // The session-level SET of an earlier file carried into a later file, as in Prisma.
    expect(notes.rows.map((n) => n.note)).toEqual(['statement_timeout=7min', 'naïve café — 🚀']);
    const acct = await db.query('SELECT plan::text, "displayName" FROM "Account"');
    expect(acct.rows).toEqual([{ plan: 'team', displayName: 'Zoë' }]);
    const idx = await db.query(
      `SELECT indisvalid FROM pg_index WHERE indexrelid = '"Account_email_idx"'::regclass`,
    );
    expect(idx.rows[0]?.indisvalid).toBe(true);
    const s = await getStatus({ databaseUrl: db.url, migrationsDir: oddities });
    expect(s.upToDate).toBe(true);
    expect(s.counts.applied).toBe(9);
    expect(s.blocking).toEqual([]);
  });
});

describe('folder rules', () => {
  it('sorts byte-wise, flags locale-order disagreement, skips symlinks and files, reports bad files', async () => {
    const f = makeFolder({
      '1_x': 'SELECT 1;',
      '10_y': 'SELECT 2;',
      '2_nosql': null,
      '3_latin1': Buffer.from([0x53, 0x45, 0x4c, 0x45, 0x43, 0x54, 0x20, 0x27, 0xe9, 0x27, 0x3b]),
      '.hidden': 'SELECT 3;',
    });
    try {
      symlinkSync(join(f.dir, '1_x'), join(f.dir, '4_link'));
      const folder = await readMigrationsFolder(f.dir);
      expect(folder.migrations.map((m) => m.name)).toEqual(['.hidden', '10_y', '1_x', '2_nosql', '3_latin1']);
      expect(folder.migrations[3]?.problem?.code).toBe('missing_sql');
      expect(folder.migrations[4]?.problem?.code).toBe('invalid_utf8');
      expect(folder.problems.some((p) => p.includes('4_link'))).toBe(true);
      expect(folder.problems.some((p) => p.includes('locale order'))).toBe(true);
    } finally {
      f.cleanup();
    }
  });

  it('finds no disagreement in fixed-width timestamps, and names both orders when there is one', async () => {
    const plain = makeFolder({
      '20250101000000_init': 'SELECT 1;',
      '20250102000000_add_user': 'SELECT 2;',
      '20250102000000_add_users': 'SELECT 3;',
    });
    const cased = makeFolder({ '20250101000000_a': 'SELECT 1;', '20250101000000_B': 'SELECT 2;' });
    try {
      expect((await readMigrationsFolder(plain.dir)).problems).toEqual([]);
      const [problem] = (await readMigrationsFolder(cased.dir)).problems;
      expect(problem).toContain('byte order 20250101000000_B, 20250101000000_a;');
      expect(problem).toContain('locale order 20250101000000_a, 20250101000000_B.');
    } finally {
      plain.cleanup();
      cased.cleanup();
    }
  });

  it('sorts names in the byte order of their UTF-8, encoding each name once', () => {
    // Characters from each range where UTF-16 and UTF-8 orders could part: ASCII, Latin, the BMP
    // above the surrogates (U+E000–U+FFFF), characters beyond U+FFFF (surrogate pairs) and lone
    // surrogates (which UTF-8 writes as U+FFFD).
    const alphabet = [
      '0',
      '9',
      '_',
      'A',
      'a',
      'é',
      'ÿ',
      'Ā',
      '中',
      '\ue000',
      '\uff21',
      '\uffff',
      '😀',
      '𝟘',
      '\ud800',
      '\udfff',
    ];
    let seed = 7;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const name = (pool: readonly string[]): string =>
      Array.from({ length: 1 + next(6) }, () => pool[next(pool.length)] as string).join('');
    const expectSameOrder = (names: string[]): void =>
      expect(sortNamesBytewise(names)).toEqual([...names].sort(compareNamesBytewise));
    for (let round = 0; round < 300; round++) {
      const pool = round % 3 === 0 ? alphabet.slice(0, 12) : alphabet; // a third without surrogates
      expectSameOrder(Array.from({ length: 2 + next(30) }, () => name(pool)));
    }
    // The pair where code-unit order and byte order disagree: U+FF21 sorts before U+1F600 in UTF-8.
    expect(sortNamesBytewise(['1_😀', '1_Ａ'])).toEqual(['1_Ａ', '1_😀']);
    expect(sortNamesBytewise(['b', 'a', 'B', '10', '1_'])).toEqual(['10', '1_', 'B', 'a', 'b']);
    expect(sortNamesBytewise([])).toEqual([]);
  });

  it('parses migration_lock.toml like Prisma', () => {
    expect(parseLockProvider('# x\nprovider = "postgresql"\n')).toBe('postgresql');
    expect(parseLockProvider('provider = "postgresql"\r\n')).toBe('postgresql');
    expect(parseLockProvider('provider="postgresql"\n')).toBe('provider="postgresql');
    expect(parseLockProvider(' provider = "postgresql"\n')).toBe('<PROVIDER NOT FOUND>');
  });

  it('reports a missing folder as "no migrations"', async () => {
    const folder = await readMigrationsFolder('/nonexistent/migrations');
    expect(folder.exists).toBe(false);
    expect(folder.migrations).toEqual([]);
  });
});
