/**
 * Choosing the PostgreSQL client tools: the newest pg_dump (with its pg_restore beside it) whose major
 * is at least the server's, from DRAWBRIDGE_PG_BINDIR, the per-major directories and PATH, on the
 * executor's host. The versions are STAND-INS: small scripts written into a temp directory that
 * print `pg_dump (PostgreSQL) 14.9` and the like (they are not PostgreSQL's tools). One test looks
 * at this host's real installation (PostgreSQL 15 clients, as the test cluster).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  choosePgClient,
  clientMajorOf,
  rankCandidates,
  type ClientCandidate,
} from '../../../src/core/backup/pg-client.js';
import { LocalExecutor } from '../../../src/exec/local-executor.js';

const SERVER_15 = 150004;

describe('PostgreSQL client selection', () => {
  let work: string;

  /** A stand-in `<dir>/<tool>` printing `<tool> (PostgreSQL) <version>`. */
  function standIn(dir: string, version: string, tools = ['pg_dump', 'pg_restore', 'psql']): string {
    mkdirSync(dir, { recursive: true });
    for (const tool of tools) {
      const file = join(dir, tool);
      writeFileSync(
        file,
        `#!/bin/sh\n# STAND-IN for ${tool} ${version} (a test script, not PostgreSQL's ${tool})\necho "${tool} (PostgreSQL) ${version}"\n`,
      );
      chmodSync(file, 0o755);
    }
    return dir;
  }

  /** A local executor whose PATH starts with `bin` (then the system's, for ls). */
  function executorWithPath(bin: string): LocalExecutor {
    return new LocalExecutor({ baseEnv: { PATH: `${bin}:/usr/bin:/bin` } });
  }

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'drawbridge-pgclient-'));
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('reads the major of a version line', () => {
    expect(clientMajorOf('pg_dump (PostgreSQL) 16.2')).toBe(16);
    expect(clientMajorOf('pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toBe(15);
    expect(clientMajorOf('pg_dump (PostgreSQL) 9.6.24')).toBe(9);
    expect(clientMajorOf('garbage')).toBeNull();
  });

  it('ranks by newest major that can serve the server, search order breaking ties', () => {
    const c = (binDir: string, major: number | null): ClientCandidate => ({
      binDir,
      source: 'standard',
      major,
    });
    const ranked = rankCandidates([c('a', 14), c('b', 16), c('c', 17), c('d', 17), c('e', null)], 15);
    expect(ranked.map((x) => x.binDir)).toEqual(['c', 'd', 'b']);
    expect(rankCandidates([c('a', 14)], 15)).toEqual([]);
  });

  it('chooses the newer of a 14 on PATH and a 16 in a per-major directory for a 15 server', async () => {
    const path = standIn(join(work, 'a/path-bin'), '14.9');
    const root = join(work, 'a/usr-lib-postgresql');
    standIn(join(root, '16/bin'), '16.2');
    const choice = await choosePgClient(executorWithPath(path), SERVER_15, {
      roots: [{ dir: root, entry: /^(\d+)$/ }],
    });
    expect(choice.kind).toBe('chosen');
    if (choice.kind !== 'chosen') return;
    expect(choice.client).toMatchObject({
      major: 16,
      source: 'standard',
      pgDump: `${root}/16/bin/pg_dump`,
      pgRestore: `${root}/16/bin/pg_restore`,
      psql: `${root}/16/bin/psql`,
      version: 'pg_dump (PostgreSQL) 16.2',
    });
    expect(choice.message).toBe(
      `pg_dump 16.2 (${root}/16/bin) can dump a PostgreSQL 15 server; the backup and a restore use it (also found: 14.9 (on PATH))`,
    );
  });

  it('refuses when the only pg_dump is a 14, naming what it found and what to install', async () => {
    const path = standIn(join(work, 'b/path-bin'), '14.9');
    const choice = await choosePgClient(executorWithPath(path), SERVER_15, {
      roots: [{ dir: join(work, 'b/no-such-root'), entry: /^(\d+)$/ }],
    });
    expect(choice).toMatchObject({
      kind: 'none',
      serverMajor: 15,
      message:
        'No pg_dump here can dump a PostgreSQL 15 server (pg_dump refuses a newer server): found 14.9 (on PATH)',
      hint: 'Install postgresql-client-15 (or newer) on local, or point DRAWBRIDGE_PG_BINDIR at the bin directory of one.',
    });
  });

  it('looks in DRAWBRIDGE_PG_BINDIR first, and skips a pg_dump without its pg_restore', async () => {
    const path = standIn(join(work, 'c/path-bin'), '14.9');
    const lonely = standIn(join(work, 'c/lonely-17'), '17.0', ['pg_dump']);
    const configured = standIn(join(work, 'c/configured-16'), '16.4');
    const root = join(work, 'c/root');
    standIn(join(root, '16/bin'), '16.2');
    const choice = await choosePgClient(executorWithPath(path), SERVER_15, {
      binDirs: [lonely, configured],
      roots: [{ dir: root, entry: /^(\d+)$/ }],
    });
    expect(choice.kind === 'chosen' && choice.client).toMatchObject({
      binDir: configured,
      source: 'DRAWBRIDGE_PG_BINDIR',
      major: 16,
    });
    expect(choice.candidates.map((c) => c.major)).toEqual([17, 16, 16, 14]);
  });

  it('finds nothing at all and says where it looked', async () => {
    const nothing = new LocalExecutor({ baseEnv: { PATH: join(work, 'd/empty') } });
    const choice = await choosePgClient(nothing, SERVER_15, {
      roots: [],
      binDirs: [join(work, 'd/none')],
    });
    expect(choice.kind).toBe('none');
    expect(choice.message).toBe(
      `No pg_dump found (looked in ${join(work, 'd/none')}, the per-major directories, PATH)`,
    );
  });

  it("finds this host's PostgreSQL 15 clients in the standard directories", async () => {
    const choice = await choosePgClient(new LocalExecutor(), SERVER_15);
    expect(choice.kind).toBe('chosen');
    if (choice.kind === 'chosen') expect(choice.client.major).toBeGreaterThanOrEqual(15);
  });
});
