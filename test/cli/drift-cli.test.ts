/**
 * `drawbridge drift --env X` on real databases, each with a shadow database the test creates:
 * exit 0 without drift, 1 with (the differences listed, or as JSON), 2 on bad usage.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { runCli } from '../../src/cli/main.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { seedLedger } from '../support/seed-ledger.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = join(here, '../fixtures/drift/migrations');
const ALL = ['20250101000000_init', '20250102000000_view_fn', '20250103000000_concurrent_index'];

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('drawbridge drift', () => {
  const dbs: Record<string, TestDatabase> = {};
  let dir: string;

  beforeAll(async () => {
    for (const name of ['clean', 'production', 'clean_shadow', 'production_shadow'])
      dbs[name] = await createTestDatabase(`cli_drift_${name}`);
    for (const name of ['clean', 'production'])
      await seedLedger((dbs[name] as TestDatabase).url, fixture, { applied: ALL });
    await (dbs.production as TestDatabase).query('ALTER TABLE "User" ADD COLUMN "nickname" TEXT');
    dir = mkdtempSync(join(tmpdir(), 'drawbridge-cli-drift-'));
    const env = (name: string) => ({
      database: { urlEnv: `CLI_DRIFT_${name.toUpperCase()}_URL` },
      shadowDatabase: { urlEnv: `CLI_DRIFT_${name.toUpperCase()}_SHADOW_URL` },
      migrations: fixture,
    });
    writeFileSync(
      join(dir, 'drawbridge.yml'),
      stringify({
        slack: { channel: 'C0MIGRATE1' },
        environments: {
          clean: env('clean'),
          production: env('production'),
          noshadow: { database: { urlEnv: 'CLI_DRIFT_CLEAN_URL' }, migrations: fixture },
        },
      }),
    );
    process.env.DRAWBRIDGE_CONFIG = join(dir, 'drawbridge.yml');
    process.env.DRAWBRIDGE_DATA_DIR = join(dir, 'data');
    for (const [name, db] of Object.entries(dbs)) process.env[`CLI_DRIFT_${name.toUpperCase()}_URL`] = db.url;
  });

  afterAll(async () => {
    for (const db of Object.values(dbs)) await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 1 and lists the drift', async () => {
    const r = await cli(['drift', '--env', 'production']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('Schema drift in production: 1 difference(s) (3 applied migration(s) replayed');
    expect(r.out).toContain('  column `User.nickname` exists in production but in no migration');
    const json = await cli(['drift', '--env', 'production', '--json']);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.out) as { drift: boolean; items: { name: string }[]; replayed: string[] };
    expect(parsed.drift).toBe(true);
    expect(parsed.items.map((i) => i.name)).toEqual(['User.nickname']);
    expect(parsed.replayed).toEqual(ALL);
    expect(json.out).not.toContain(new URL((dbs.production as TestDatabase).url).password);
  });

  it('exits 0 without drift', async () => {
    const r = await cli(['drift', '--env', 'clean']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('No drift: the live schema of clean is what its applied migrations make');
  });

  it('exits 2 on bad usage: no --env, an unknown environment, no shadow database', async () => {
    expect((await cli(['drift'])).err).toContain('--env <name> is required');
    expect((await cli(['drift', '--env', 'nope'])).code).toBe(2);
    const none = await cli(['drift', '--env', 'noshadow']);
    expect(none.code).toBe(2);
    expect(none.err).toContain('noshadow has no shadow database');
    expect((await cli(['--help'])).out).toContain('drawbridge drift --env <name>');
  });
});
