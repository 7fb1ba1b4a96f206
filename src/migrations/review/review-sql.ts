/**
 * Reviews one migration file: parse with the PostgreSQL 15 parser, run every rule on every statement,
 * apply `-- drawbridge-ignore` directives. Pure and synchronous; never throws on user SQL.
 */
import { DEFAULT_RULES } from './all-rules.js';
import { parseMigrationSql, type IgnoreDirective, type ParsedStatement } from './parse-sql.js';
import { FileContext, type RuleModule } from './rule.js';
import type { Finding, ReviewResult, Severity, SuppressedFinding } from './types.js';

/** Options of `reviewSql`. */
export interface ReviewSqlOptions {
  /** Migration name reported in every finding. */
  migration: string;
  /** Rules to run; the 43 default rules when omitted. */
  rules?: readonly RuleModule[];
  /** `schema.table` keys that had a constraint validated by an earlier migration (for `set-not-null`). */
  priorValidatedTables?: ReadonlySet<string>;
}

/** Rule id of the finding made for SQL the parser rejects. */
export const PARSE_ERROR_RULE = 'parse-error';
/** Rule id of the finding made for an ignore directive that suppresses nothing. */
export const UNUSED_IGNORE_RULE = 'unused-ignore';
/** Rule id of the finding made when a rule itself fails (a bug in Drawbridge, not in the SQL). */
export const RULE_FAILED_RULE = 'rule-failed';

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Reviews the SQL of one migration file. */
export function reviewSql(sql: string, opts: ReviewSqlOptions): ReviewResult {
  return analyzeSql(sql, opts).result;
}

/** A review plus the parsed file, for callers that also estimate impact. */
export interface SqlAnalysis {
  result: ReviewResult;
  /** The file's context; undefined when the SQL does not parse. */
  context: FileContext | undefined;
}

/** Like `reviewSql`, also returning the parsed statements and their context. */
export function analyzeSql(sql: string, opts: ReviewSqlOptions): SqlAnalysis {
  const parsed = parseMigrationSql(sql);
  if (!parsed.ok) {
    const finding: Finding = {
      ruleId: PARSE_ERROR_RULE,
      severity: 'error',
      category: 'other',
      message: `PostgreSQL 15 cannot parse this migration: ${parsed.message} (line ${parsed.line}, column ${parsed.column}).`,
      help: 'Fix the SQL syntax; the migration would fail on the database too.',
      migration: opts.migration,
      statement: (sql.split('\n')[parsed.line - 1] ?? '').trim(),
      line: parsed.line,
      column: parsed.column,
    };
    return {
      result: {
        migration: opts.migration,
        findings: [finding],
        suppressed: [],
        statementCount: 0,
        parsed: false,
      },
      context: undefined,
    };
  }
  const ctx = new FileContext(parsed.statements, opts.priorValidatedTables);
  const rules = opts.rules ?? DEFAULT_RULES;
  const byKind = rulesByKind(rules);
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const stmt of parsed.statements) {
    const used = new Set<string>();
    for (const finding of runRules(byKind(statementKind(stmt)), stmt, ctx, opts.migration)) {
      const directive = stmt.ignores.find((d) => d.ruleIds.includes(finding.ruleId));
      if (directive) {
        used.add(finding.ruleId);
        suppressed.push({ ...finding, reason: directive.reason });
      } else {
        findings.push(finding);
      }
    }
    for (const d of stmt.ignores) {
      for (const id of d.ruleIds) {
        if (!used.has(id)) findings.push(unusedIgnore(d, id, stmt, opts.migration, rules));
      }
    }
  }
  findings.sort(
    (a, b) =>
      a.line - b.line || a.column - b.column || SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity],
  );
  return {
    result: {
      migration: opts.migration,
      findings,
      suppressed,
      statementCount: parsed.statements.length,
      parsed: true,
    },
    context: ctx,
  };
}

/** A statement's kind: the type of its parse node (`AlterTableStmt`, `IndexStmt`, …). */
function statementKind(stmt: ParsedStatement): string {
  for (const key in stmt.node) return key;
  return '';
}

const dispatch = new WeakMap<readonly RuleModule[], (kind: string) => readonly RuleModule[]>();

/**
 * The rules to run on a statement of a given kind, in their order: those that declare the kind among
 * their `statements`, and those that declare none. Built once per rule list: a file of ALTER TABLEs
 * calls the 20-odd rules that read them, not all 43, on each statement.
 */
function rulesByKind(rules: readonly RuleModule[]): (kind: string) => readonly RuleModule[] {
  let of = dispatch.get(rules);
  if (!of) {
    const cache = new Map<string, readonly RuleModule[]>();
    of = (kind) => {
      let list = cache.get(kind);
      if (!list) {
        list = rules.filter((r) => !r.statements || r.statements.includes(kind));
        cache.set(kind, list);
      }
      return list;
    };
    dispatch.set(rules, of);
  }
  return of;
}

function runRules(
  rules: readonly RuleModule[],
  stmt: ParsedStatement,
  ctx: FileContext,
  migration: string,
): Finding[] {
  const out: Finding[] = [];
  for (const rule of rules) {
    let hits;
    try {
      hits = rule.check(stmt, ctx);
    } catch (err) {
      hits = [
        {
          message: `Rule ${rule.meta.id} failed on this statement: ${err instanceof Error ? err.message : String(err)}.`,
          help: 'Review this statement by hand and report the failure to the Drawbridge maintainers.',
        },
      ];
      out.push(
        ...hits.map((h) =>
          toFinding({ ...rule.meta, id: RULE_FAILED_RULE, severity: 'warning' }, h, stmt, migration),
        ),
      );
      continue;
    }
    for (const hit of hits) out.push(toFinding(rule.meta, hit, stmt, migration));
  }
  return out;
}

function toFinding(
  meta: RuleModule['meta'],
  hit: { message: string; help: string; table?: string },
  stmt: ParsedStatement,
  migration: string,
): Finding {
  const finding: Finding = {
    ruleId: meta.id,
    severity: meta.severity,
    category: meta.category,
    message: hit.message,
    help: hit.help,
    migration,
    statement: stmt.text,
    line: stmt.line,
    column: stmt.column,
  };
  if (hit.table !== undefined) finding.table = hit.table;
  return finding;
}

function unusedIgnore(
  d: IgnoreDirective,
  ruleId: string,
  stmt: ParsedStatement,
  migration: string,
  rules: readonly RuleModule[],
): Finding {
  const known = rules.some((r) => r.meta.id === ruleId);
  return {
    ruleId: UNUSED_IGNORE_RULE,
    severity: 'warning',
    category: 'other',
    message: known
      ? `The ignore for ${ruleId} suppresses nothing: the statement below it has no ${ruleId} finding.`
      : `The ignore names ${ruleId}, which is not a Drawbridge rule, so it suppresses nothing.`,
    help: 'Remove the drawbridge-ignore comment, or correct the rule id.',
    migration,
    statement: stmt.text,
    line: d.line,
    column: d.column,
  };
}
