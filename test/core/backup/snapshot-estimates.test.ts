/** The pre-backup snapshot counts exactly only the critical tables and labels the rest as estimates. */
import {
  compareSnapshots,
  describeRowCounts,
  exactTablesOf,
  snapshotDatabase,
} from '../../../src/core/backup/snapshot.js';
import { LocalExecutor } from '../../../src/exec/local-executor.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { seedShop } from './fixture.js';

let db: TestDatabase;
const local = new LocalExecutor();

beforeAll(async () => {
  db = await createTestDatabase('snapest');
  await seedShop(db);
  await db.query('analyze');
});

afterAll(async () => {
  await db?.drop();
  await local.close();
});

describe('snapshotDatabase with exactTables', () => {
  it('counts the named tables exactly and estimates the others from pg_class.reltuples', async () => {
    const snap = await snapshotDatabase({
      executor: local,
      databaseUrl: db.url,
      exactTables: ['"public"."User"', `public."we'ird" `, 'missing_table'],
    });
    expect(snap.rowCounts).toEqual({ 'public."User"': 50 });
    expect(snap.estimatedRowCounts).toEqual({ 'public."Order"': 300, 'public.audit_note': 2 });
    expect(exactTablesOf(snap)).toEqual(['public."User"']);
    const text = describeRowCounts(snap);
    expect(text).toBe(
      'exact: public."User" 50; estimates (pg_class.reltuples, not counted): public."Order" ~300, public.audit_note ~2',
    );
  });

  it('labels a never-analysed table as unknown, and counts nothing exactly for an empty list', async () => {
    await db.query('create table fresh_table (id int); insert into fresh_table values (1), (2)');
    const snap = await snapshotDatabase({ executor: local, databaseUrl: db.url, exactTables: [] });
    expect(snap.rowCounts).toEqual({});
    expect(snap.estimatedRowCounts?.['public.fresh_table']).toBeNull();
    expect(describeRowCounts(snap)).toMatch(
      /^exact: none; estimates .*public\.fresh_table unknown \(never analysed\)/,
    );
    await db.query('drop table fresh_table');
  });

  it('compares only exact counts, whichever side estimated', async () => {
    const critical = await snapshotDatabase({
      executor: local,
      databaseUrl: db.url,
      exactTables: ['"User"'],
    });
    await db.query(`delete from "Order" where id > 290`);
    const all = await snapshotDatabase({ executor: local, databaseUrl: db.url });
    expect(compareSnapshots(critical, all).identical).toBe(true);
    await db.query(`insert into "User"(email) values ('late@example.com')`);
    const after = await snapshotDatabase({ executor: local, databaseUrl: db.url, exactTables: ['"User"'] });
    expect(compareSnapshots(critical, after).rowCountChanges).toEqual([
      { table: 'public."User"', before: 50, after: 51 },
    ]);
  });
});
