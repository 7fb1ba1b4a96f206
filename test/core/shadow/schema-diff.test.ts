/**
 * `diffSchemas`, pure: every kind of object on one side only, or on both and not alike, and the
 * wording an approver reads.
 */
import { diffSchemas, type IndexShape, type SchemaSnapshot } from '../../../src/core/shadow/schema-diff.js';

const col = (type: string, extra: Partial<{ default: string | null; nullable: boolean }> = {}) => ({
  type,
  default: extra.default ?? null,
  nullable: extra.nullable ?? false,
  identity: '',
  generated: '',
});

function snapshot(over: Partial<SchemaSnapshot> = {}): SchemaSnapshot {
  return {
    schemas: [],
    tables: {
      User: {
        columns: {
          id: col('integer'),
          email: col('text'),
          role: col('"Role"', { default: '\'USER\'::"Role"' }),
        },
      },
      Post: { columns: { id: col('integer'), title: col('character varying(200)') } },
    },
    indexes: {
      User_email_key: {
        table: 'User',
        definition: 'CREATE UNIQUE INDEX "User_email_key" ON public."User" USING btree (email)',
        valid: true,
      },
      Post_title_idx: {
        table: 'Post',
        definition: 'CREATE INDEX "Post_title_idx" ON public."Post" USING btree (title)',
        valid: true,
      },
    },
    constraints: {
      'User.User_pkey': { table: 'User', definition: 'PRIMARY KEY (id)' },
      'Post.Post_pkey': { table: 'Post', definition: 'PRIMARY KEY (id)' },
    },
    enums: { Role: ['USER', 'ADMIN'] },
    sequences: { User_id_seq: 'integer start 1 increment 1 min 1 max 2147483647' },
    views: { Admin: { materialized: false, definition: ' SELECT 1;' } },
    functions: { 'touch_updated_at()': 'abc' },
    triggers: { 'User.User_touch': { table: 'User', definition: 'CREATE TRIGGER "User_touch" …' } },
    extensions: [],
    ...over,
  };
}

describe('diffSchemas', () => {
  it('finds nothing between equal schemas', () => {
    expect(diffSchemas(snapshot(), snapshot())).toEqual([]);
  });

  it('names a column added by hand, and one the migrations create but the database lacks', () => {
    const base = snapshot();
    const live = snapshot({
      tables: {
        ...base.tables,
        User: { columns: { ...base.tables.User?.columns, nickname: col('text', { nullable: true }) } },
      },
    });
    expect(diffSchemas(live, base)).toEqual([
      {
        kind: 'column',
        name: 'User.nickname',
        change: 'extra',
        message: 'column `User.nickname` exists in production but in no migration',
      },
    ]);
    expect(diffSchemas(base, live, 'staging').map((i) => i.message)).toEqual([
      'column `User.nickname` is created by the migrations but missing in staging',
    ]);
  });

  it('says how a column differs: type, nullability, default', () => {
    const base = snapshot();
    const live = snapshot({
      tables: {
        ...base.tables,
        User: {
          columns: { ...base.tables.User?.columns, email: col('character varying(255)', { nullable: true }) },
        },
      },
    });
    expect(diffSchemas(live, base).map((i) => i.message)).toEqual([
      'column `User.email` differs: production has `character varying(255) NULL`; the migrations `text NOT NULL`',
    ]);
  });

  it('reports a table on one side once, without its columns, indexes, constraints and triggers', () => {
    const base = snapshot();
    const { Post: _post, ...tables } = base.tables;
    const { Post_title_idx: _idx, ...indexes } = base.indexes;
    const { 'Post.Post_pkey': _pk, ...constraints } = base.constraints;
    const replayed = snapshot({ tables, indexes, constraints });
    expect(diffSchemas(base, replayed).map((i) => i.message)).toEqual([
      'table `Post` exists in production but in no migration',
    ]);
  });

  it('compares index definitions and validity', () => {
    const base = snapshot();
    const live = snapshot({
      indexes: {
        ...base.indexes,
        User_email_key: {
          table: 'User',
          definition: 'CREATE INDEX "User_email_key" ON public."User" USING btree (email)',
          valid: true,
        },
        Post_title_idx: { ...(base.indexes.Post_title_idx as IndexShape), valid: false },
      },
    });
    expect(diffSchemas(live, base).map((i) => i.message)).toEqual([
      'index `User_email_key` differs: production has `CREATE INDEX "User_email_key" ON public."User" USING btree (email)`; the migrations `CREATE UNIQUE INDEX "User_email_key" ON public."User" USING btree (email)`',
      'index `Post_title_idx` is INVALID in production but valid when built by the migrations (a failed CREATE INDEX CONCURRENTLY?)',
    ]);
  });

  it('lists enum values in order when they differ', () => {
    const live = snapshot({ enums: { Role: ['USER', 'ADMIN', 'GUEST'] } });
    expect(diffSchemas(live, snapshot()).map((i) => i.message)).toEqual([
      'enum `Role` values differ: production has USER, ADMIN, GUEST; the migrations USER, ADMIN',
    ]);
    const reordered = snapshot({ enums: { Role: ['ADMIN', 'USER'] } });
    expect(diffSchemas(reordered, snapshot())).toHaveLength(1);
  });

  it('covers constraints, sequences, views, functions, triggers, extensions and schemas', () => {
    const live = snapshot({
      schemas: ['audit'],
      extensions: ['pgcrypto'],
      constraints: {
        ...snapshot().constraints,
        'Post.Post_title_check': { table: 'Post', definition: 'CHECK (length(title) > 0)' },
      },
      sequences: { User_id_seq: 'bigint start 1 increment 1 min 1 max 9223372036854775807' },
      views: { Admin: { materialized: true, definition: ' SELECT 1;' } },
      functions: { 'touch_updated_at()': 'def' },
      triggers: {},
    });
    const messages = diffSchemas(live, snapshot()).map((i) => i.message);
    expect(messages).toEqual([
      'schema `audit` exists in production but in no migration',
      'extension `pgcrypto` exists in production but in no migration',
      'constraint `Post.Post_title_check` exists in production but in no migration',
      'trigger `User.User_touch` is created by the migrations but missing in production',
      'sequence `User_id_seq` differs: production has `bigint start 1 increment 1 min 1 max 9223372036854775807`; the migrations `integer start 1 increment 1 min 1 max 2147483647`',
      'view `Admin` differs: production has `MATERIALIZED  SELECT 1;`; the migrations ` SELECT 1;`',
      'function `touch_updated_at()` differs: production has `body md5 def`; the migrations `body md5 abc`',
    ]);
  });
});
