/**
 * Issue 14, part 5: a Prisma 8 project (TypeScript migrations applied by `prisma db migrate`:
 * `migrations/app/<name>/{migration.ts, ops.json, migration.json}`, `contract.prisma`, a
 * `prisma.config.ts` with `definePrismaConfig`) is recognised from its folder layout, and status,
 * plan and deploy answer with a clear refusal instead of a wrong status.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deploy } from '../../src/migrations/deploy.js';
import { readMigrationsFolder } from '../../src/migrations/folder.js';
import { getStatus } from '../../src/migrations/get-status.js';
import {
  detectPrisma8Layout,
  isPrisma8Config,
  prisma8PackageFiles,
} from '../../src/migrations/prisma8-layout.js';
import { CHANNEL, startTestBot, type TestBot } from '../support/bot.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { blocksText } from '../support/run-scenario.js';

const here = dirname(fileURLToPath(import.meta.url));
const prisma7 = join(here, '../fixtures/rehearsal/migrations');
const ALICE = 'U0ALICE01';
const MESSAGE = 'This looks like a Prisma 8 project (';
const TAIL = "Drawbridge's native engine serves Prisma 5–7 migration folders.";

/** A Prisma 8 project as `prisma orm init` and `prisma migration plan` leave it. */
function prisma8Project(withConfig = true): { root: string; migrations: string } {
  const root = mkdtempSync(join(tmpdir(), 'drawbridge-prisma8-'));
  const pkg = join(root, 'prisma', 'migrations', 'app', '20260707T1008_add_display_name');
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'migration.ts'),
    "import { Migration } from '@prisma/orm-postgres/migration';\nexport default new Migration();\n",
  );
  writeFileSync(join(pkg, 'ops.json'), '[]\n');
  writeFileSync(join(pkg, 'migration.json'), '{"migrationHash":"sha256:00"}\n');
  writeFileSync(join(root, 'prisma', 'contract.prisma'), 'model User {\n  id Int @id\n}\n');
  if (withConfig)
    writeFileSync(
      join(root, 'prisma.config.ts'),
      "import { definePrismaConfig } from '@prisma/orm-postgres/config';\nexport default definePrismaConfig({});\n",
    );
  return { root, migrations: join(root, 'prisma', 'migrations') };
}

describe('Prisma 8 layout', () => {
  const made: string[] = [];
  afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('reads the signs, purely', () => {
    expect(prisma8PackageFiles(['migration.ts', 'ops.json', 'migration.json'])).toEqual([
      'migration.ts',
      'ops.json',
      'migration.json',
    ]);
    expect(prisma8PackageFiles(['migration.sql', 'migration.ts'])).toEqual([]);
    expect(isPrisma8Config("import { definePrismaConfig } from '@prisma/orm-postgres/config'")).toBe(true);
    expect(isPrisma8Config("import { defineConfig } from 'prisma/config'")).toBe(false);
  });

  it('recognises a Prisma 8 project from its migrations folder or from the folder itself', async () => {
    const p = prisma8Project();
    made.push(p.root);
    const layout = await detectPrisma8Layout(p.migrations);
    expect(layout?.evidence[0]).toBe(
      'app/20260707T1008_add_display_name/ holds migration.ts and ops.json and migration.json and no migration.sql',
    );
    expect(layout?.evidence.join('; ')).toContain('contract.prisma exists');
    const appOnly = await detectPrisma8Layout(join(p.migrations, 'app'));
    expect(appOnly?.evidence[0]).toContain('20260707T1008_add_display_name/ holds migration.ts');
  });

  it('leaves Prisma 5–7 folders alone, a Prisma 7 prisma.config.ts included', async () => {
    expect(await detectPrisma8Layout(prisma7)).toBeUndefined();
    const root = mkdtempSync(join(tmpdir(), 'drawbridge-prisma7-'));
    made.push(root);
    mkdirSync(join(root, 'prisma', 'migrations', '20250101000000_init'), { recursive: true });
    writeFileSync(join(root, 'prisma', 'migrations', '20250101000000_init', 'migration.sql'), 'SELECT 1;');
    writeFileSync(join(root, 'prisma.config.ts'), "import { defineConfig } from 'prisma/config';\n");
    expect(await detectPrisma8Layout(join(root, 'prisma', 'migrations'))).toBeUndefined();
    expect(await detectPrisma8Layout(join(root, 'nowhere'))).toBeUndefined();
  });

  it('finds a package among Prisma 5–7 migrations when reading the folder, as when asked alone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'drawbridge-prisma8-mixed-'));
    made.push(root);
    for (const n of ['20250101000000_a', '20250102000000_b']) {
      mkdirSync(join(root, n));
      writeFileSync(join(root, n, 'migration.sql'), 'SELECT 1;\n');
    }
    const folder = await readMigrationsFolder(root);
    expect(folder.prisma8).toBeUndefined();
    // A package beside them, and a migration.sql that is a directory (no file): both are found.
    mkdirSync(join(root, '20250103000000_pkg'));
    writeFileSync(join(root, '20250103000000_pkg', 'ops.json'), '[]\n');
    mkdirSync(join(root, '20250104000000_odd', 'migration.sql'), { recursive: true });
    writeFileSync(join(root, '20250104000000_odd', 'migration.json'), '{}\n');
    const mixed = await readMigrationsFolder(root);
    expect(mixed.prisma8?.evidence[0]).toBe('20250103000000_pkg/ holds ops.json and no migration.sql');
    rmSync(join(root, '20250103000000_pkg'), { recursive: true });
    const odd = await readMigrationsFolder(root);
    expect(odd.prisma8?.evidence[0]).toBe('20250104000000_odd/ holds migration.json and no migration.sql');
    // What readMigrationsFolder answers, detectPrisma8Layout answers alone.
    expect(await detectPrisma8Layout(root)).toEqual(odd.prisma8);
  });

  describe('status, plan and deploy', () => {
    let db: TestDatabase;
    let bot: TestBot;
    let project: { root: string; migrations: string };

    beforeAll(async () => {
      db = await createTestDatabase('prisma8');
      project = prisma8Project(false);
      made.push(project.root);
      bot = await startTestBot({
        mode: 'http',
        emulator: { users: [{ id: ALICE, name: 'alice' }] },
        environments: { next: { database: { urlEnv: 'NEXT_URL' }, migrations: project.migrations } },
        vars: { NEXT_URL: db.url },
        logLevel: 'info',
      });
    }, 60_000);

    afterAll(async () => {
      await bot?.stop();
      await db?.drop();
    });

    it('the engine refuses to deploy it and writes nothing; status blocks with the same words', async () => {
      const result = await deploy({ databaseUrl: db.url, migrationsDir: project.migrations });
      expect(result.outcome).toBe('refused');
      expect(result.refusal?.code).toBe('PRISMA8_LAYOUT');
      expect(result.refusal?.message).toContain(MESSAGE);
      expect(result.refusal?.message).toContain(TAIL);
      const ledger = await db.query(`SELECT to_regclass('"_prisma_migrations"') AS t`);
      expect(ledger.rows[0]).toEqual({ t: null });
      const status = await getStatus({ databaseUrl: db.url, migrationsDir: project.migrations });
      expect(status.migrations).toEqual([]);
      expect(status.toApply).toEqual([]);
      expect(status.blocking.map((b) => b.code)).toEqual(['PRISMA8_LAYOUT']);
    });

    it.each(['status next', 'plan next', 'deploy next'])(
      '/migrate %s answers with the clear message',
      async (text) => {
        const seen = bot.emu.ephemerals({ user: ALICE }).length;
        await bot.emu.slashCommand({ user: ALICE, channel: CHANNEL, text });
        const said = await bot.emu.waitFor(
          () =>
            bot.emu
              .ephemerals({ user: ALICE })
              .slice(seen)
              .map((m) => blocksText(m))
              .find((t) => t.includes('Prisma 8')),
          { what: `the answer to /migrate ${text}` },
        );
        expect(said).toContain(MESSAGE);
        expect(said).toContain('20260707T1008_add_display_name');
        expect(said).toContain(TAIL);
        expect(bot.app.runs.runs.listRecentRuns('next')).toEqual([]);
      },
    );
  });
});
