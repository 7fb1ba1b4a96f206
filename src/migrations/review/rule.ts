/**
 * The contract of a review rule and the per-file context every rule reads. Each rule lives in
 * `rules/<rule-id>.ts` and exports `meta`, `check` and `examples`.
 */
import type { Node, RangeVar } from 'libpg-query';
import { qualifiedKey, relationKey } from './ast.js';
import type { ParsedStatement } from './parse-sql.js';
import type { Category, Severity } from './types.js';

/** What a rule is. */
export interface RuleMeta {
  id: string;
  category: Category;
  severity: Severity;
  /** One line: what the rule detects. */
  summary: string;
}

/** One hit of a rule on a statement; the engine adds position, migration and rule metadata. */
export interface RuleHit {
  message: string;
  help: string;
  table?: string;
}

/** SQL that must not (good) and must (bad) trigger the rule; run by one shared test. */
export interface RuleExamples {
  good: string[];
  bad: string[];
}

/** A rule module as imported from `rules/<rule-id>.ts`. */
export interface RuleModule {
  meta: RuleMeta;
  check: (stmt: ParsedStatement, ctx: FileContext) => RuleHit[];
  examples: RuleExamples;
  /**
   * The statement kinds (the parse node's type, e.g. `AlterTableStmt`) `check` can report on: the
   * engine calls it on these only. Absent: every statement. test/migrations/review/rule-dispatch.test.ts
   * runs every rule on every statement of the examples and fixtures and checks that this loses nothing.
   */
  statements?: readonly string[];
}

/** Where a statement sits in the file's transactions. */
export interface StatementPlace {
  /** Transaction segment number: explicit BEGIN/COMMIT/ROLLBACK start a new one. */
  segment: number;
  /** True between an explicit BEGIN and its COMMIT/ROLLBACK. */
  explicit: boolean;
}

/** Facts about a whole migration file that rules consult. */
export class FileContext {
  /** Statement places, by statement index. */
  readonly places: StatementPlace[];
  private readonly created = new Map<string, number>();

  constructor(
    readonly statements: ParsedStatement[],
    /** `schema.table` keys whose constraints were validated by earlier migrations. */
    readonly priorValidatedTables: ReadonlySet<string> = new Set(),
  ) {
    this.places = computePlaces(statements);
    for (const s of statements) {
      for (const key of createdObjects(s.node)) if (!this.created.has(key)) this.created.set(key, s.index);
    }
  }

  /** True when the relation was created earlier in this file (exempt from lock/rewrite rules). */
  isNewTable(rv: RangeVar | undefined, before: number): boolean {
    return this.isNew(`rel:${relationKey(rv)}`, before);
  }

  /** True when an object (`rel:`, `type:`, `schema:`, `index:` key) was created before `before`. */
  isNew(key: string, before: number): boolean {
    const at = this.created.get(key);
    return at !== undefined && at < before;
  }

  /** Statements before `index` in the same transaction segment. */
  sameSegmentBefore(index: number): ParsedStatement[] {
    const seg = this.places[index]?.segment;
    return this.statements.slice(0, index).filter((s) => this.places[s.index]?.segment === seg);
  }

  /** Statements other than transaction control (BEGIN/COMMIT/...). */
  get workStatements(): ParsedStatement[] {
    return this.statements.filter((s) => !('TransactionStmt' in s.node));
  }
}

function computePlaces(statements: ParsedStatement[]): StatementPlace[] {
  let segment = 0;
  let explicit = false;
  return statements.map((s) => {
    if ('TransactionStmt' in s.node) {
      const kind = s.node.TransactionStmt.kind;
      if (kind === 'TRANS_STMT_BEGIN' || kind === 'TRANS_STMT_START') {
        segment++;
        explicit = true;
        return { segment, explicit };
      }
      if (kind === 'TRANS_STMT_COMMIT' || kind === 'TRANS_STMT_ROLLBACK') {
        const place = { segment, explicit };
        segment++;
        explicit = false;
        return place;
      }
    }
    return { segment, explicit };
  });
}

/** Keys of objects a statement creates. */
function createdObjects(node: Node): string[] {
  if ('CreateStmt' in node) return [`rel:${relationKey(node.CreateStmt.relation)}`];
  if ('CreateTableAsStmt' in node) return [`rel:${relationKey(node.CreateTableAsStmt.into?.rel)}`];
  if ('ViewStmt' in node) return [`rel:${relationKey(node.ViewStmt.view)}`];
  if ('IndexStmt' in node) {
    const schema = node.IndexStmt.relation?.schemaname ?? 'public';
    return node.IndexStmt.idxname ? [`index:${schema}.${node.IndexStmt.idxname}`] : [];
  }
  if ('CreateEnumStmt' in node) return [`type:${qualifiedKey(node.CreateEnumStmt.typeName)}`];
  if ('CompositeTypeStmt' in node) return [`type:${relationKey(node.CompositeTypeStmt.typevar)}`];
  if ('CreateDomainStmt' in node) return [`type:${qualifiedKey(node.CreateDomainStmt.domainname)}`];
  if ('CreateSchemaStmt' in node) return [`schema:${node.CreateSchemaStmt.schemaname ?? ''}`];
  return [];
}
