/**
 * The shared rule test: every rule file's good examples produce no finding of that rule, and every
 * bad example produces at least one. Also checks the rule set matches review-rules.md 5.1.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DEFAULT_RULES } from '../../../src/migrations/review/all-rules.js';
import { reviewSql } from '../../../src/migrations/review/review-sql.js';
import { loadParser } from '../../../src/migrations/review/parse-sql.js';

beforeAll(() => loadParser());

const rulesDir = fileURLToPath(new URL('../../../src/migrations/review/rules/', import.meta.url));

const EXPECTED_IDS = [
  'drop-table',
  'drop-column',
  'drop-schema',
  'drop-database',
  'truncate-table',
  'truncate-cascade',
  'drop-cascade',
  'delete-without-where',
  'update-without-where',
  'drop-foreign-key',
  'create-index-non-concurrent',
  'drop-index-non-concurrent',
  'reindex-non-concurrent',
  'add-foreign-key-validating',
  'add-check-validating',
  'set-not-null',
  'add-unique-constraint',
  'add-primary-key',
  'add-exclusion-constraint',
  'validate-in-same-transaction',
  'detach-partition-non-concurrent',
  'refresh-matview-non-concurrent',
  'lock-table',
  'add-column-volatile-default',
  'add-column-auto-increment',
  'add-column-generated-stored',
  'alter-column-type',
  'table-storage-rewrite',
  'vacuum-full-or-cluster',
  'rename-table',
  'rename-column',
  'rename-schema',
  'rename-enum-value',
  'add-column-required-no-default',
  'drop-not-null',
  'non-transactional-in-transaction',
  'enum-value-used-before-commit',
  'unbalanced-transaction',
  'identifier-too-long',
  'duplicate-column-assignment',
  'json-column',
  'autovacuum-disabled',
  'domain-constraint',
];

describe('rule set', () => {
  it('has exactly the 43 default rule ids, one file per rule named after its id', () => {
    const files = readdirSync(rulesDir)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => f.replace(/\.ts$/, ''));
    expect([...files].sort()).toEqual([...EXPECTED_IDS].sort());
    expect(DEFAULT_RULES.map((r) => r.meta.id).sort()).toEqual([...EXPECTED_IDS].sort());
  });

  it('gives every rule at least one good and one bad example', () => {
    for (const rule of DEFAULT_RULES) {
      expect(rule.examples.good.length).toBeGreaterThan(0);
      expect(rule.examples.bad.length).toBeGreaterThan(0);
    }
  });
});

describe.each(DEFAULT_RULES.map((r) => [r.meta.id, r] as const))('rule %s', (id, rule) => {
  it.each(rule.examples.good.map((sql, i) => [i, sql] as const))(
    'good example %i has no finding',
    (_i, sql) => {
      const result = reviewSql(sql, { migration: 'example' });
      expect(result.parsed).toBe(true);
      expect(result.findings.filter((f) => f.ruleId === id)).toEqual([]);
    },
  );

  it.each(rule.examples.bad.map((sql, i) => [i, sql] as const))('bad example %i is found', (_i, sql) => {
    const result = reviewSql(sql, { migration: 'example' });
    expect(result.parsed).toBe(true);
    const hits = result.findings.filter((f) => f.ruleId === id);
    expect(hits.length).toBeGreaterThan(0);
    for (const f of hits) {
      expect(f.severity).toBe(rule.meta.severity);
      expect(f.category).toBe(rule.meta.category);
      expect(f.message.length).toBeGreaterThan(20);
      expect(f.help).toMatch(/^[A-Z].*\.$/);
      expect(f.line).toBeGreaterThan(0);
    }
  });
});
