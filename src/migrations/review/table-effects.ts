/**
 * What each statement does to the pre-existing tables it touches: the table lock it takes and whether
 * it rewrites, scans, builds an index over, or only changes the catalog of the table. The impact
 * estimate combines this with real table sizes. Tables created earlier in the file are left out.
 */
import type { AlterTableCmd, Node, RangeVar } from 'libpg-query';
import {
  addedColumn,
  addedConstraint,
  alterCommands,
  alterTable,
  calledFunctions,
  columnConstraints,
  relationKey,
  relationLabel,
  typeNameOf,
} from './ast.js';
import { LOCK_MODES, strongerLock } from './lock-modes.js';
import type { ParsedStatement } from './parse-sql.js';
import type { FileContext } from './rule.js';
import type { LockMode, TableEffect } from './types.js';

/** One table touched by one statement. */
export interface TableTouch {
  /** `schema.table` (unqualified names are taken as `public`). */
  key: string;
  schema: string;
  name: string;
  lock: LockMode;
  effect: TableEffect;
}

const EFFECT_RANK: Record<TableEffect, number> = {
  metadata: 0,
  scan: 1,
  'index-build': 2,
  'write-all': 3,
  rewrite: 4,
};
const SERIAL = new Set(['serial', 'serial4', 'bigserial', 'serial8', 'smallserial', 'serial2']);
const STABLE_DEFAULTS = new Set(['now', 'transaction_timestamp', 'statement_timestamp', 'current_timestamp']);

function worse(a: TableEffect, b: TableEffect): TableEffect {
  return EFFECT_RANK[a] >= EFFECT_RANK[b] ? a : b;
}

function touch(rv: RangeVar | undefined, lock: LockMode, effect: TableEffect): TableTouch {
  const key = relationKey(rv);
  return { key, schema: rv?.schemaname ?? 'public', name: rv?.relname ?? '', lock, effect };
}

/** Lock and effect of one ALTER TABLE sub-command. */
function commandEffect(cmd: AlterTableCmd): { lock: LockMode; effect: TableEffect } {
  const col = addedColumn(cmd);
  if (col) {
    const cons = columnConstraints(col);
    const def = cons.find((c) => c.contype === 'CONSTR_DEFAULT');
    const volatile = def ? calledFunctions(def.raw_expr).some((f) => !STABLE_DEFAULTS.has(f)) : false;
    const kinds = new Set(cons.map((c) => c.contype));
    if (
      volatile ||
      SERIAL.has(typeNameOf(col.typeName)) ||
      kinds.has('CONSTR_IDENTITY') ||
      kinds.has('CONSTR_GENERATED')
    ) {
      return { lock: 'ACCESS EXCLUSIVE', effect: 'rewrite' };
    }
    if (kinds.has('CONSTR_UNIQUE') || kinds.has('CONSTR_PRIMARY'))
      return { lock: 'ACCESS EXCLUSIVE', effect: 'index-build' };
    if (kinds.has('CONSTR_CHECK') || (kinds.has('CONSTR_FOREIGN') && def))
      return { lock: 'ACCESS EXCLUSIVE', effect: 'scan' };
    return { lock: 'ACCESS EXCLUSIVE', effect: 'metadata' };
  }
  const con = addedConstraint(cmd);
  if (con) {
    if (con.contype === 'CONSTR_FOREIGN')
      return { lock: 'SHARE ROW EXCLUSIVE', effect: con.skip_validation ? 'metadata' : 'scan' };
    if (con.contype === 'CONSTR_CHECK')
      return { lock: 'ACCESS EXCLUSIVE', effect: con.skip_validation ? 'metadata' : 'scan' };
    if (con.indexname) return { lock: 'ACCESS EXCLUSIVE', effect: 'metadata' };
    if (
      con.contype === 'CONSTR_UNIQUE' ||
      con.contype === 'CONSTR_PRIMARY' ||
      con.contype === 'CONSTR_EXCLUSION'
    ) {
      return { lock: 'ACCESS EXCLUSIVE', effect: 'index-build' };
    }
  }
  switch (cmd.subtype) {
    case 'AT_AlterColumnType':
    case 'AT_SetLogged':
    case 'AT_SetUnLogged':
    case 'AT_SetAccessMethod':
    case 'AT_SetTableSpace':
      return { lock: 'ACCESS EXCLUSIVE', effect: 'rewrite' };
    case 'AT_SetNotNull':
      return { lock: 'ACCESS EXCLUSIVE', effect: 'scan' };
    case 'AT_ValidateConstraint':
      return { lock: 'SHARE UPDATE EXCLUSIVE', effect: 'scan' };
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
    case 'AT_SetStatistics':
      return { lock: 'SHARE UPDATE EXCLUSIVE', effect: 'metadata' };
    case 'AT_DetachPartition':
      return cmd.def && 'PartitionCmd' in cmd.def && cmd.def.PartitionCmd.concurrent
        ? { lock: 'SHARE UPDATE EXCLUSIVE', effect: 'metadata' }
        : { lock: 'ACCESS EXCLUSIVE', effect: 'metadata' };
    default:
      return { lock: 'ACCESS EXCLUSIVE', effect: 'metadata' };
  }
}

function alterTouches(node: Node): TableTouch[] {
  const alter = alterTable(node);
  if (!alter) return [];
  let lock: LockMode = LOCK_MODES[0] ?? 'ACCESS SHARE';
  let effect: TableEffect = 'metadata';
  const referenced: TableTouch[] = [];
  for (const cmd of alterCommands(alter)) {
    const e = commandEffect(cmd);
    lock = strongerLock(lock, e.lock);
    effect = worse(effect, e.effect);
    const con = addedConstraint(cmd);
    if (con?.contype === 'CONSTR_FOREIGN' && con.pktable)
      referenced.push(touch(con.pktable, 'SHARE ROW EXCLUSIVE', 'metadata'));
  }
  return [touch(alter.relation, lock, effect), ...referenced];
}

function rangeVars(list: Node[] | undefined): RangeVar[] {
  const out: RangeVar[] = [];
  for (const n of list ?? []) {
    if ('RangeVar' in n) out.push(n.RangeVar);
    else if ('VacuumRelation' in n && n.VacuumRelation.relation) out.push(n.VacuumRelation.relation);
  }
  return out;
}

/** Tables a statement touches (before filtering out the ones created in the file). */
function rawTouches(node: Node): TableTouch[] {
  if ('AlterTableStmt' in node) return alterTouches(node);
  if ('IndexStmt' in node) {
    const s = node.IndexStmt;
    return [touch(s.relation, s.concurrent ? 'SHARE UPDATE EXCLUSIVE' : 'SHARE', 'index-build')];
  }
  if ('UpdateStmt' in node)
    return [
      touch(node.UpdateStmt.relation, 'ROW EXCLUSIVE', node.UpdateStmt.whereClause ? 'scan' : 'write-all'),
    ];
  if ('DeleteStmt' in node)
    return [
      touch(node.DeleteStmt.relation, 'ROW EXCLUSIVE', node.DeleteStmt.whereClause ? 'scan' : 'write-all'),
    ];
  if ('TruncateStmt' in node)
    return rangeVars(node.TruncateStmt.relations).map((r) => touch(r, 'ACCESS EXCLUSIVE', 'metadata'));
  if ('RenameStmt' in node && node.RenameStmt.relation)
    return [touch(node.RenameStmt.relation, 'ACCESS EXCLUSIVE', 'metadata')];
  if ('ClusterStmt' in node && node.ClusterStmt.relation)
    return [touch(node.ClusterStmt.relation, 'ACCESS EXCLUSIVE', 'rewrite')];
  if ('VacuumStmt' in node) {
    const full = (node.VacuumStmt.options ?? []).some((o) => 'DefElem' in o && o.DefElem.defname === 'full');
    return rangeVars(node.VacuumStmt.rels).map((r) =>
      touch(r, full ? 'ACCESS EXCLUSIVE' : 'SHARE UPDATE EXCLUSIVE', full ? 'rewrite' : 'scan'),
    );
  }
  if ('RefreshMatViewStmt' in node) {
    const s = node.RefreshMatViewStmt;
    return [touch(s.relation, s.concurrent ? 'EXCLUSIVE' : 'ACCESS EXCLUSIVE', 'rewrite')];
  }
  if ('LockStmt' in node) {
    const mode = LOCK_MODES[(node.LockStmt.mode ?? 8) - 1] ?? 'ACCESS EXCLUSIVE';
    return rangeVars(node.LockStmt.relations).map((r) => touch(r, mode, 'metadata'));
  }
  if ('ReindexStmt' in node && node.ReindexStmt.relation)
    return [touch(node.ReindexStmt.relation, 'SHARE', 'index-build')];
  if ('CreateTrigStmt' in node)
    return [touch(node.CreateTrigStmt.relation, 'SHARE ROW EXCLUSIVE', 'metadata')];
  if ('DropStmt' in node && node.DropStmt.removeType === 'OBJECT_TABLE') {
    return (node.DropStmt.objects ?? []).flatMap((o) => {
      if (!('List' in o)) return [];
      const parts = (o.List.items ?? []).flatMap((i) =>
        'String' in i && i.String.sval ? [i.String.sval] : [],
      );
      const rv: RangeVar =
        parts.length > 1 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] };
      return [touch(rv, 'ACCESS EXCLUSIVE', 'metadata')];
    });
  }
  return [];
}

/** Pre-existing tables a statement touches, with the lock and effect on each. */
export function statementTouches(stmt: ParsedStatement, ctx: FileContext): TableTouch[] {
  return rawTouches(stmt.node).filter((t) => t.name !== '' && !ctx.isNew(`rel:${t.key}`, stmt.index));
}

/** `"User"`-style label for a touch. */
export function touchLabel(t: TableTouch): string {
  return relationLabel(
    t.schema === 'public' ? { relname: t.name } : { schemaname: t.schema, relname: t.name },
  );
}
