/** The SQL parser is loaded explicitly (no top-level await): parsing before it is loaded is refused. */
import { loadParser, parseMigrationSql } from '../../../src/migrations/review/parse-sql.js';

describe('loading the SQL parser', () => {
  it('refuses to parse before loadParser() has resolved, then parses', async () => {
    expect(() => parseMigrationSql('SELECT 1;')).toThrow(/not loaded: await loadParser\(\)/);
    const first = loadParser();
    expect(loadParser()).toBe(first);
    await first;
    const parsed = parseMigrationSql('SELECT 1;');
    expect(parsed.ok && parsed.statements.map((s) => s.text)).toEqual(['SELECT 1']);
  });
});
