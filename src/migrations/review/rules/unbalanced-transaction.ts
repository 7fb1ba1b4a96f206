import type { ParsedStatement } from '../parse-sql.js';
import type { FileContext, RuleExamples, RuleHit, RuleMeta } from '../rule.js';

export const meta: RuleMeta = {
  id: 'unbalanced-transaction',
  category: 'transaction-unsafe',
  severity: 'error',
  summary: 'BEGIN without COMMIT/ROLLBACK, nested BEGIN, COMMIT/ROLLBACK without BEGIN',
};

/** The statements this rule reads; the engine runs it on no other (review-sql.ts). */
export const statements: readonly string[] = ['TransactionStmt'];

type Kind = 'begin' | 'end' | 'other';

function kindOf(s: ParsedStatement): Kind {
  if (!('TransactionStmt' in s.node)) return 'other';
  const k = s.node.TransactionStmt.kind;
  if (k === 'TRANS_STMT_BEGIN' || k === 'TRANS_STMT_START') return 'begin';
  if (k === 'TRANS_STMT_COMMIT' || k === 'TRANS_STMT_ROLLBACK') return 'end';
  return 'other';
}

/** Problems of the transaction statement at `index`, found by replaying the file's BEGIN/COMMITs. */
function problemAt(statements: ParsedStatement[], index: number): string | undefined {
  let openedAt = -1;
  for (const s of statements) {
    const kind = kindOf(s);
    if (kind === 'begin') {
      if (s.index === index && openedAt >= 0)
        return 'BEGIN inside an open transaction (PostgreSQL only warns, and the inner COMMIT ends the outer block early)';
      if (openedAt < 0) openedAt = s.index;
    } else if (kind === 'end') {
      if (s.index === index && openedAt < 0) return 'COMMIT/ROLLBACK without a BEGIN before it';
      openedAt = -1;
    }
  }
  return openedAt === index ? 'BEGIN without a matching COMMIT or ROLLBACK' : undefined;
}

export function check(stmt: ParsedStatement, ctx: FileContext): RuleHit[] {
  if (kindOf(stmt) === 'other') return [];
  const problem = problemAt(ctx.statements, stmt.index);
  if (!problem) return [];
  return [
    {
      message: `${problem}: the migration's statements do not commit the way the file reads, and a half-applied migration is possible.`,
      help: 'Balance every BEGIN with one COMMIT, or leave transaction control out of the file.',
    },
  ];
}

export const examples: RuleExamples = {
  good: ["BEGIN;\nCREATE TYPE \"Role_new\" AS ENUM ('A', 'B');\nCOMMIT;", 'CREATE TABLE t (id int);'],
  bad: [
    'BEGIN;\nALTER TYPE "Role" RENAME TO "Role_old";',
    'ALTER TABLE t ADD COLUMN a int;\nCOMMIT;',
    'BEGIN;\nBEGIN;\nSELECT 1;\nCOMMIT;\nCOMMIT;',
  ],
};
