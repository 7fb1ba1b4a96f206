import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { watchTargets } from '../../../src/core/monitor/watch-targets.js';

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'drawbridge-targets-'));
  for (const [name, sql] of Object.entries(files)) {
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

describe('watchTargets', () => {
  it('finds the tables the migrations touch and the indexes they create', async () => {
    const dir = folder({
      '1_orders': `CREATE TABLE "Order" ("id" SERIAL PRIMARY KEY, "userId" INT);
        CREATE INDEX "Order_userId_idx" ON "Order"("userId");
        CREATE UNIQUE INDEX CONCURRENTLY "User_email_key" ON app."User"("email");`,
      '2_backfill': `ALTER TABLE "User" ADD COLUMN "name" TEXT; UPDATE "User" SET "name" = 'x' WHERE id < 10;`,
      '3_broken': 'CREATE TABLE (',
    });
    expect(await watchTargets(dir, ['1_orders', '2_backfill', '3_broken', '4_missing'])).toEqual({
      tables: ['app.User', 'public.Order', 'public.User'],
      indexes: ['Order_userId_idx', 'app.User_email_key'],
    });
  });
});
