/**
 * The shadow database against a real PostgreSQL: a shadow that is the target (by URL, or by a URL
 * that leads to the same database through a proxy) is refused when opened and at start-up; a
 * database that is neither empty nor marked is refused and left as it was; an empty one is marked on
 * first use, reset empties it, and from then on the marker is required.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { Refusal } from '../../../src/base/errors.js';
import { silentLogger } from '../../../src/base/logger.js';
import { buildCoreDeps, closeCoreDeps } from '../../../src/compose.js';
import { loadConfig, parseFileConfig } from '../../../src/config/load-config.js';
import type { CoreDeps } from '../../../src/core/deps.js';
import { checkShadowConfigs } from '../../../src/core/shadow/shadow-config-check.js';
import { openShadow, shadowMarker, type ShadowDatabase } from '../../../src/core/shadow/shadow-database.js';
import { createTestDatabase, type TestDatabase } from '../../support/postgres.js';
import { TcpProxy } from '../../support/tcp-proxy.js';

const MARKER_SQL =
  "SELECT shobj_description(oid, 'pg_database') AS marker FROM pg_database WHERE datname = current_database()";

describe('the shadow database', () => {
  let target: TestDatabase;
  let used: TestDatabase;
  let fresh: TestDatabase;
  let busy: TestDatabase;
  let proxy: TcpProxy;
  let work: string;
  const depsMade: CoreDeps[] = [];

  beforeAll(async () => {
    target = await createTestDatabase('shadow_target');
    used = await createTestDatabase('shadow_used');
    fresh = await createTestDatabase('shadow_fresh');
    busy = await createTestDatabase('shadow_busy');
    await busy.query('CREATE TABLE "Customer" (id int PRIMARY KEY, name text)');
    await busy.query(`INSERT INTO "Customer" VALUES (1, 'Ada'), (2, 'Grace')`);
    proxy = await TcpProxy.start({ host: target.cluster.host, port: target.cluster.port });
    work = mkdtempSync(join(tmpdir(), 'drawbridge-shadow-'));
  });

  afterAll(async () => {
    for (const deps of depsMade) await closeCoreDeps(deps);
    await proxy?.close();
    for (const db of [target, used, fresh, busy]) await db?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  /** Deps for one environment `staging` whose target is `target` and whose shadow URL is `shadowUrl`. */
  function depsWithShadow(shadowUrl: string, name = 'staging'): CoreDeps {
    const configPath = join(work, `${name}-${depsMade.length}.yml`);
    writeFileSync(
      configPath,
      stringify({
        slack: { channel: 'C0MIGRATE1' },
        environments: {
          [name]: { database: { urlEnv: 'TARGET_URL' }, shadowDatabase: { urlEnv: 'SHADOW_URL' } },
        },
      }),
    );
    const config = loadConfig({
      vars: {
        TARGET_URL: target.url,
        SHADOW_URL: shadowUrl,
        DRAWBRIDGE_CONFIG: configPath,
        DRAWBRIDGE_DATA_DIR: join(work, `data-${depsMade.length}`),
      },
      requireSlack: false,
    });
    const deps = buildCoreDeps(config, silentLogger());
    depsMade.push(deps);
    return deps;
  }

  function asRefusal(value: ShadowDatabase | Refusal): Refusal {
    if (!('kind' in value)) throw new Error(`expected a refusal, got the shadow ${value.display}`);
    return value;
  }

  it('refuses a shadow URL that is the target URL, when opened and at start-up', async () => {
    const deps = depsWithShadow(target.url.replace('127.0.0.1', 'localhost'));
    const refused = asRefusal(await openShadow(deps, 'staging'));
    expect(refused.code).toBe('SHADOW_IS_TARGET');
    expect(refused.message).toContain('is its target database itself');
    await expect(checkShadowConfigs(deps)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining(
        'environments.staging.shadowDatabase: points at the target database itself',
      ) as unknown,
    });
  });

  it('refuses a shadow that leads to the target database by another address (same system identifier)', async () => {
    const deps = depsWithShadow(proxy.url(target.url));
    const refused = asRefusal(await openShadow(deps, 'staging'));
    expect(refused.code).toBe('SHADOW_IS_TARGET');
    expect(refused.message).toContain(`database "${target.name}" on server`);
    await expect(checkShadowConfigs(deps)).rejects.toMatchObject({
      message: expect.stringContaining('leads to the target database itself') as unknown,
    });
    const marker = await target.query<{ marker: string | null }>(MARKER_SQL);
    expect(marker.rows[0]?.marker).toBeNull();
  });

  it('refuses a database that is neither empty nor marked, and leaves it untouched', async () => {
    const deps = depsWithShadow(busy.url);
    const refused = asRefusal(await openShadow(deps, 'staging'));
    expect(refused.code).toBe('SHADOW_NOT_EMPTY');
    expect(refused.message).toContain('table "Customer"');
    const rows = await busy.query<{ name: string }>('SELECT name FROM "Customer" ORDER BY id');
    expect(rows.rows.map((r) => r.name)).toEqual(['Ada', 'Grace']);
    expect((await busy.query<{ marker: string | null }>(MARKER_SQL)).rows[0]?.marker).toBeNull();
    // At start-up a database that is not the target is no configuration error.
    await expect(checkShadowConfigs(deps)).resolves.toBeUndefined();
  });

  it('marks an empty database on first use, and reset empties it but keeps it and its marker', async () => {
    const deps = depsWithShadow(used.url);
    const shadow = await openShadow(deps, 'staging');
    if ('kind' in shadow) throw new Error(shadow.message);
    try {
      expect(shadow.database).toBe(used.name);
      expect(shadow.systemIdentifier).toMatch(/^\d+$/);
      expect(shadow.display).toContain(`/${used.name}`);
      expect((await used.query<{ marker: string }>(MARKER_SQL)).rows[0]?.marker).toBe(
        shadowMarker('staging'),
      );
      await used.query('CREATE SCHEMA app; CREATE TABLE app.t (id int); CREATE TABLE public.u (id int)');
      await used.query('CREATE EXTENSION IF NOT EXISTS pgcrypto');
      await used.query(`CREATE TYPE "Role" AS ENUM ('A', 'B')`);
      await shadow.reset();
      const left = await used.query<{ n: string }>(
        `SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'app')
              + (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public')
              + (SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto')
              + (SELECT count(*) FROM pg_type WHERE typname = 'Role') AS n`,
      );
      expect(Number(left.rows[0]?.n)).toBe(0);
      expect((await used.query(`SELECT 1 FROM pg_namespace WHERE nspname = 'public'`)).rowCount).toBe(1);
      // One user at a time: a second open waits, then says the shadow is busy.
      const busyNow = asRefusal(await openShadow(deps, 'staging', { waitMs: 300 }));
      expect(busyNow.code).toBe('SHADOW_BUSY');
      expect((await used.query<{ marker: string }>(MARKER_SQL)).rows[0]?.marker).toBe(
        shadowMarker('staging'),
      );
    } finally {
      await shadow.close();
    }
    // The marker makes a later use possible even though the shadow holds something now.
    await used.query('CREATE TABLE public.kept (id int)');
    const again = await openShadow(deps, 'staging');
    if ('kind' in again) throw new Error(again.message);
    await again.close();
  });

  it('requires the marker afterwards: without it, reset and open refuse and drop nothing', async () => {
    const deps = depsWithShadow(fresh.url);
    const shadow = await openShadow(deps, 'staging');
    if ('kind' in shadow) throw new Error(shadow.message);
    try {
      await fresh.query('CREATE TABLE public.precious (id int); INSERT INTO public.precious VALUES (7)');
      await fresh.query(`COMMENT ON DATABASE "${fresh.name}" IS NULL`);
      await expect(shadow.reset()).rejects.toMatchObject({ code: 'SHADOW_NOT_VERIFIED' });
      expect((await fresh.query('SELECT id FROM public.precious')).rows).toEqual([{ id: 7 }]);
    } finally {
      await shadow.close();
    }
    expect(asRefusal(await openShadow(deps, 'staging')).code).toBe('SHADOW_NOT_EMPTY');
    await fresh.query(`COMMENT ON DATABASE "${fresh.name}" IS '${shadowMarker('production')}'`);
    const other = asRefusal(await openShadow(deps, 'staging'));
    expect(other.code).toBe('SHADOW_MARKED_OTHERWISE');
    expect((await fresh.query('SELECT id FROM public.precious')).rows).toEqual([{ id: 7 }]);
  });

  it('takes exactly one of urlEnv or urlFile, nothing else, and resolves urlFile against the config', () => {
    const yaml = (shadow: string) =>
      `slack: { channel: C0MIGRATE1 }\nenvironments:\n  staging:\n    database: { urlEnv: T }\n    shadowDatabase: ${shadow}\n`;
    expect(() => parseFileConfig(yaml('{ urlEnv: A, urlFile: b }'), '/etc/db')).toThrow(
      'environments.staging.shadowDatabase: expected exactly one of urlEnv or urlFile',
    );
    expect(() => parseFileConfig(yaml('{ urlEnv: A, via: bastion }'), '/etc/db')).toThrow(/via/);
    const file = parseFileConfig(yaml('{ urlFile: secrets/shadow_url }'), '/etc/db');
    expect(file.environments.staging?.shadowDatabase).toEqual({ urlFile: '/etc/db/secrets/shadow_url' });
  });

  it('refuses an environment without a shadow database', async () => {
    const configPath = join(work, 'none.yml');
    writeFileSync(
      configPath,
      stringify({
        slack: { channel: 'C0MIGRATE1' },
        environments: { staging: { database: { urlEnv: 'T' } } },
      }),
    );
    const deps = buildCoreDeps(
      loadConfig({
        vars: { T: target.url, DRAWBRIDGE_CONFIG: configPath, DRAWBRIDGE_DATA_DIR: join(work, 'data-none') },
        requireSlack: false,
      }),
      silentLogger(),
    );
    depsMade.push(deps);
    expect(asRefusal(await openShadow(deps, 'staging')).code).toBe('NO_SHADOW_DATABASE');
  });
});
