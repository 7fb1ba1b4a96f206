/**
 * Splitting a migration file into statements with the real PostgreSQL parser (libpg-query, PG 15
 * grammar), and spotting statements that refuse to run inside a transaction block.
 */

/** One top-level statement of a file. */
export interface SqlStatement {
  /** The statement text (leading comments included), without the trailing semicolon. */
  sql: string;
  /** AST node type, e.g. `IndexStmt`. */
  kind: string;
  /** True when PostgreSQL refuses it inside a transaction block (SQLSTATE 25001). */
  nonTransactional: boolean;
  /** Whether it is a CONCURRENTLY index operation (may leave an INVALID index when it fails). */
  concurrentIndex: boolean;
  /** Explicit transaction control (BEGIN, COMMIT, ROLLBACK, SAVEPOINT …). */
  transactionControl: boolean;
  /** For transaction control: which one (`begin`, `commit`, `rollback`, `savepoint`, `prepare` …). */
  txn?: TxnKind;
  /** `COMMIT AND CHAIN` / `ROLLBACK AND CHAIN`: a new transaction starts at once. */
  chain?: boolean;
  /** `CALL`: a procedure may commit or roll back by itself, so it is never wrapped in a transaction. */
  call: boolean;
}

/** The transaction control statements, by what they do to the session's transaction. */
export type TxnKind = 'begin' | 'commit' | 'rollback' | 'savepoint' | 'prepare' | 'other';

const TXN_KINDS: Record<string, TxnKind> = {
  TRANS_STMT_BEGIN: 'begin',
  TRANS_STMT_START: 'begin',
  TRANS_STMT_COMMIT: 'commit',
  TRANS_STMT_ROLLBACK: 'rollback',
  TRANS_STMT_SAVEPOINT: 'savepoint',
  TRANS_STMT_RELEASE: 'savepoint',
  TRANS_STMT_ROLLBACK_TO: 'savepoint',
  TRANS_STMT_PREPARE: 'prepare',
  TRANS_STMT_COMMIT_PREPARED: 'prepare',
  TRANS_STMT_ROLLBACK_PREPARED: 'prepare',
};

type Node = Record<string, unknown>;

function hasConcurrentlyOption(params: unknown): boolean {
  return (
    Array.isArray(params) &&
    params.some((p) => ((p as Node).DefElem as Node | undefined)?.defname === 'concurrently')
  );
}

function detachConcurrently(stmt: Node): boolean {
  const cmds = Array.isArray(stmt.cmds) ? (stmt.cmds as Node[]) : [];
  return cmds.some((c) => {
    const cmd = c.AlterTableCmd as Node | undefined;
    const def = (cmd?.def as Node | undefined)?.PartitionCmd as Node | undefined;
    return cmd?.subtype === 'AT_DetachPartition' && def?.concurrent === true;
  });
}

/** Classifies one AST statement. */
function classifyNode(kind: string, stmt: Node): Pick<SqlStatement, 'nonTransactional' | 'concurrentIndex'> {
  switch (kind) {
    case 'IndexStmt':
      return { nonTransactional: stmt.concurrent === true, concurrentIndex: stmt.concurrent === true };
    case 'DropStmt': {
      const c = stmt.concurrent === true;
      return { nonTransactional: c, concurrentIndex: c };
    }
    case 'ReindexStmt': {
      const conc = hasConcurrentlyOption(stmt.params);
      const wide = stmt.kind === 'REINDEX_OBJECT_DATABASE' || stmt.kind === 'REINDEX_OBJECT_SYSTEM';
      return { nonTransactional: conc || wide, concurrentIndex: conc };
    }
    case 'AlterTableStmt':
      return { nonTransactional: detachConcurrently(stmt), concurrentIndex: false };
    case 'VacuumStmt':
      return { nonTransactional: stmt.is_vacuumcmd === true, concurrentIndex: false };
    case 'CreatedbStmt':
    case 'DropdbStmt':
    case 'AlterSystemStmt':
    case 'CreateTableSpaceStmt':
    case 'DropTableSpaceStmt':
      return { nonTransactional: true, concurrentIndex: false };
    default:
      return { nonTransactional: false, concurrentIndex: false };
  }
}

/**
 * Splits `script` into statements. Locations from the parser are UTF-8 byte offsets, so slicing is
 * done on the bytes. Throws the parser's error on invalid SQL.
 */
export async function splitStatements(script: string): Promise<SqlStatement[]> {
  // Importing libpg-query compiles its WebAssembly at once: only when a file needs splitting.
  const { parse } = await import('libpg-query');
  const tree = (await parse(script)) as {
    stmts?: { stmt: Node; stmt_location?: number; stmt_len?: number }[];
  };
  const bytes = Buffer.from(script, 'utf8');
  return (tree.stmts ?? []).map((s) => {
    const start = s.stmt_location ?? 0;
    const end = s.stmt_len === undefined || s.stmt_len === 0 ? bytes.length : start + s.stmt_len;
    const kind = Object.keys(s.stmt)[0] ?? 'Unknown';
    const node = (s.stmt[kind] ?? {}) as Node;
    const sql = bytes
      .subarray(start, end)
      .toString('utf8')
      .replace(/^\s*\n/, '');
    const control = kind === 'TransactionStmt';
    return {
      sql,
      kind,
      ...classifyNode(kind, node),
      transactionControl: control,
      call: kind === 'CallStmt',
      ...(control ? { txn: TXN_KINDS[String(node.kind)] ?? 'other', chain: node.chain === true } : {}),
    };
  });
}

/**
 * How Drawbridge runs a file so that "its SQL committed" and "the ledger says finished" are one fact:
 * - `atomic`: only ordinary transactional statements. The file goes as one simple-query script inside
 *   a transaction Drawbridge opens, and the ledger's finish is written in that same transaction.
 * - `steps`: explicit transaction control, statements that refuse transaction blocks, or CALL. Each
 *   statement is sent on its own; ordinary ones outside the file's own transactions are wrapped in one
 *   of Drawbridge's, and the transaction id of every transaction is journaled before its work is sent.
 * - `opaque`: the parser rejected the file. It goes as one script, Prisma's way, and its outcome after
 *   a lost connection can only be read from the ledger.
 * `statements` is the parser's split ([] when the cheap pre-check found nothing to split, null when
 * the parser rejected the file). Pure.
 */
export function applyMode(statements: SqlStatement[] | null): 'atomic' | 'steps' | 'opaque' {
  if (statements === null) return 'opaque';
  return statements.some((s) => s.nonTransactional || s.transactionControl || s.call) ? 'steps' : 'atomic';
}

/**
 * How a file must be run: `script` (Prisma's way: the whole file as one simple query) unless it holds
 * a statement that cannot run in a transaction block together with anything else, then `statements`.
 */
export function executionMode(statements: SqlStatement[]): 'script' | 'statements' {
  return statements.length > 1 && statements.some((s) => s.nonTransactional) ? 'statements' : 'script';
}

/**
 * Cheap pre-check: false when the script cannot contain a non-transactional statement or explicit
 * transaction control (none of the keywords those need appear), so parsing it can be skipped.
 */
export function mayNeedSplit(script: string): boolean {
  return /\b(concurrently|vacuum|database|system|tablespace|begin|commit|rollback|savepoint|start|end|abort|prepare)\b/i.test(
    script,
  );
}
