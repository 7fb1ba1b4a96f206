import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { LocalExecutor } from '../../src/exec/local-executor.js';
import type { OutputLine } from '../../src/exec/executor.js';
import { runPrismaDeploy } from '../../src/migrations/prisma-runner.js';
import { deploy } from '../../src/migrations/deploy.js';
import { checksumOf } from '../../src/migrations/checksum.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { TcpProxy } from '../support/tcp-proxy.js';
import { makeFolder, writeMigration } from './folder-helpers.js';

const standin = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'bin',
  'fake-prisma-standin.mjs',
);

describe('prisma runner (with a Prisma CLI stand-in)', () => {
  let db: TestDatabase;
  const executor = new LocalExecutor({ baseEnv: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  beforeAll(async () => {
    db = await createTestDatabase('prunner');
  });
  afterAll(async () => {
    await executor.close();
    await db.drop();
  });

  it('passes DATABASE_URL in the environment only, streams redacted output, and reads the ledger after', async () => {
    const f = makeFolder({ '1_a': 'CREATE TABLE a (id int);' });
    try {
      // Drawbridge applies the first one natively; the Prisma side must then apply only the second.
      expect((await deploy({ databaseUrl: db.url, migrationsDir: f.dir })).applied).toEqual(['1_a']);
      writeMigration(f.dir, '2_b', 'CREATE TABLE b (id int);');
      const lines: OutputLine[] = [];
      const command = ['node', standin, 'migrate', 'deploy', '--migrations', f.dir, '--echo-url'];
      const r = await runPrismaDeploy({
        target: { executor, url: db.url, executorUrl: db.url },
        command,
        migrationsDir: f.dir,
        onOutput: (l) => lines.push(l),
      });
      expect(r.outcome).toBe('succeeded');
      expect(r.exitCode).toBe(0);
      expect(r.applied).toEqual(['2_b']);
      expect(r.status.upToDate).toBe(true);
      const password = new URL(db.url).password;
      const all = lines.map((l) => l.line).join('\n');
      expect(all).toContain('All migrations have been successfully applied.');
      expect(all).toContain('debug: connecting with postgres://postgres:***@');
      expect(all).not.toContain(password);
      expect(r.stderr).not.toContain(password);
      expect(command.join(' ')).not.toContain(password);
    } finally {
      f.cleanup();
    }
  });

  it('does not start the CLI when what is pending is not the approved bytes', async () => {
    const f = makeFolder({ '1_x': 'CREATE TABLE x1 (id int);' });
    try {
      writeMigration(f.dir, '2_y', 'CREATE TABLE y1 (id int);');
      const r = await runPrismaDeploy({
        target: { executor, url: db.url, executorUrl: db.url },
        command: ['node', standin, 'migrate', 'deploy', '--migrations', f.dir],
        migrationsDir: f.dir,
        expected: [{ name: '1_x', checksum: checksumOf('CREATE TABLE x1 (id int);') }],
      });
      expect(r.outcome).toBe('refused');
      expect(r.refusal?.code).toBe('PLAN_CHANGED');
      expect(r.refusal?.message).toContain('2_y is pending but not in the approved plan');
      expect(r.exitCode).toBeNull();
      expect((await db.query(`SELECT to_regclass('x1') AS t`)).rows[0]?.t).toBeNull();
    } finally {
      f.cleanup();
    }
  });

  it('maps a failing run to failed with the Prisma error code and the failed row from the ledger', async () => {
    const f = makeFolder({
      '1_a': 'CREATE TABLE a (id int);',
      '2_b': 'CREATE TABLE b (id int);',
      '3_bad': 'SELECT 1/0;',
    });
    try {
      const r = await runPrismaDeploy({
        target: { executor, url: db.url, executorUrl: db.url },
        command: ['node', standin, 'migrate', 'deploy', '--migrations', f.dir],
        migrationsDir: f.dir,
      });
      expect(r.outcome).toBe('failed');
      expect(r.exitCode).toBe(1);
      expect(r.prismaErrorCode).toBe('P3018');
      expect(r.failed).toEqual(['3_bad']);
      expect(r.applied).toEqual([]);
      // And a native deploy afterwards refuses on Prisma's failed row.
      expect((await deploy({ databaseUrl: db.url, migrationsDir: f.dir })).refusal?.code).toBe('P3009');
    } finally {
      f.cleanup();
    }
  });

  it('gives the command the database as its host sees it, and reads the ledger through the near URL', async () => {
    // This process reaches the database through a forward (as through a bastion tunnel); the
    // command is given the database's own address.
    const own = await createTestDatabase('prunner_split');
    const real = new URL(own.url);
    const proxy = await TcpProxy.start({ host: real.hostname, port: Number(real.port) });
    const near = new URL(own.url);
    near.port = String(proxy.port);
    const f = makeFolder({ '1_a': 'CREATE TABLE a (id int);' });
    try {
      const lines: OutputLine[] = [];
      const r = await runPrismaDeploy({
        target: { executor, url: near.toString(), executorUrl: own.url },
        command: ['node', standin, 'migrate', 'deploy', '--migrations', f.dir, '--print-target'],
        migrationsDir: f.dir,
        onOutput: (l) => lines.push(l),
      });
      expect(r.outcome).toBe('succeeded');
      expect(r.applied).toEqual(['1_a']);
      const all = lines.map((l) => l.line).join('\n');
      expect(all).toContain(`stand-in: DATABASE_URL host=${real.hostname} port=${real.port} over-ssh=`);
      // The ledger reads before and after went through the forward.
      expect(proxy.accepted).toBeGreaterThanOrEqual(2);
    } finally {
      f.cleanup();
      await proxy.close();
      await own.drop();
    }
  });
});
