import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { DrawbridgeError } from '../../src/base/errors.js';
import type { OutputLine } from '../../src/exec/executor.js';
import { DEFAULT_PATH } from '../../src/exec/local-executor.js';
import { SshExecutor } from '../../src/exec/ssh-executor.js';
import { createTestDatabase, type TestDatabase } from '../support/postgres.js';
import { startSshd, type TestSshd } from '../support/sshd.js';
import { allCommandLines, waitGone } from './process-helpers.js';

let sshd: TestSshd;
let ex: SshExecutor;
let db: TestDatabase;

beforeAll(async () => {
  sshd = await startSshd();
  ex = new SshExecutor(sshd.executorConfig, { baseEnv: { PATH: DEFAULT_PATH }, killGraceMs: 1000 });
  db = await createTestDatabase('ssh');
});

afterAll(async () => {
  await ex?.close();
  await db?.drop();
  await sshd?.stop();
});

const tricky = [
  'plain',
  '',
  'two words',
  "it's",
  '"double"',
  '$HOME',
  '`id`',
  '$(id)',
  'a;b',
  'a && b',
  'line1\nline2',
  'back\\slash',
  '*',
  '-n',
  'A=b',
  'ünïcødé ✓',
];

describe('SshExecutor', () => {
  it('describes itself', () => {
    expect(ex.description).toBe(`ssh ${sshd.user}@127.0.0.1:${sshd.port}`);
  });

  it('delivers tricky arguments to the remote command exactly', async () => {
    const script = 'for a; do printf "%s" "$a" | base64 -w0; echo; done';
    const r = await ex.run({ command: 'sh', args: ['-c', script, 'argv0', ...tricky] });
    expect(r.exitCode).toBe(0);
    const decoded = r.stdout.split('\n').map((l) => Buffer.from(l, 'base64').toString('utf8'));
    expect(decoded).toEqual(tricky);
  });

  it('delivers env values exactly, and never on any command line', async () => {
    const secret = `Sekr3t-${Date.now()}-$x 'q' "d" \\n;\`id\` é`;
    // A sleep of a unique length identifies the remote process among all command lines.
    const sleepArg = `2.${String(process.pid).padStart(6, '0')}`;
    const remoteLine = `sleep ${sleepArg}`;
    const seen: string[] = [];
    const run = ex.run({
      command: 'sh',
      args: ['-c', 'printf "%s" "$DB_SECRET" | base64 -w0; echo; exec sleep "$0"', sleepArg],
      env: { DB_SECRET: secret },
    });
    for (let i = 0; i < 150 && !seen.some((l) => l.trim() === remoteLine); i++) {
      seen.push(...allCommandLines());
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await run;
    expect(seen.some((l) => l.trim() === remoteLine)).toBe(true);
    expect(seen.filter((l) => l.includes('Sekr3t'))).toEqual([]);
    expect(Buffer.from(r.stdout.trim(), 'base64').toString('utf8')).toBe(secret);
  });

  it('gives commandEnv to the remote command over stdin, not to the ssh client or a command line', async () => {
    const token = `cmdenv-${process.pid}-token`;
    const withCommandEnv = new SshExecutor(sshd.executorConfig, {
      baseEnv: { PATH: DEFAULT_PATH },
      commandEnv: { RAILWAY_TOKEN: token, SHARED: 'command-env' },
    });
    const seen: string[] = [];
    const run = withCommandEnv.run({
      command: 'sh',
      args: ['-c', 'echo "[$RAILWAY_TOKEN] [$SHARED]"; sleep 1'],
      env: { SHARED: 'spec' },
    });
    let done = false;
    void run.finally(() => (done = true)).catch(() => undefined);
    const clients: string[] = [];
    while (!done) {
      seen.push(...allCommandLines());
      for (const pid of sshClientPids()) clients.push(environOf(pid));
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await run;
    await withCommandEnv.close();
    expect(r.stdout).toBe(`[${token}] [spec]`);
    expect(seen.filter((l) => l.includes(token))).toEqual([]);
    expect(clients.length).toBeGreaterThan(0);
    expect(clients.filter((e) => e.includes(token))).toEqual([]);
  });

  it('passes the caller stdin after the env block, and runs in cwd', async () => {
    const r = await ex.run({
      command: 'sh',
      args: ['-c', 'cat; echo "[$GREETING]"; pwd'],
      env: { GREETING: 'multi\nline' },
      stdin: 'first\nsecond\n',
      cwd: '/tmp',
    });
    expect(r.stdout).toBe('first\nsecond\n[multi\nline]\n/tmp');
  });

  it('reports exit codes and stderr', async () => {
    const r = await ex.run({ command: 'sh', args: ['-c', 'echo oops >&2; exit 7'] });
    expect(r).toMatchObject({ exitCode: 7, stderr: 'oops', timedOut: false, cancelled: false });
  });

  it('streams lines in order and hides its own markers', async () => {
    const lines: OutputLine[] = [];
    const r = await ex.run(
      { command: 'sh', args: ['-c', 'for i in $(seq 1 200); do echo out$i; echo err$i >&2; done'] },
      (l) => lines.push(l),
    );
    const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.line);
    const err = lines.filter((l) => l.stream === 'stderr').map((l) => l.line);
    expect(out).toEqual(Array.from({ length: 200 }, (_, i) => `out${i + 1}`));
    expect(err).toEqual(Array.from({ length: 200 }, (_, i) => `err${i + 1}`));
    expect(r.stderr).toBe(err.join('\n'));
  });

  it('rejects with EXEC_NOT_FOUND for a command missing on the remote host', async () => {
    await expect(ex.run({ command: 'no-such-program-xyz', args: [] })).rejects.toMatchObject({
      code: 'EXEC_NOT_FOUND',
    });
  });

  it('kills the remote command and its children on timeout', async () => {
    let pid = 0;
    const r = await ex.run(
      { command: 'sh', args: ['-c', 'sleep 60 & echo $!; wait'], timeoutMs: 500 },
      (l) => {
        pid = Number(l.line);
      },
    );
    expect(r).toMatchObject({ timedOut: true, cancelled: false, exitCode: null });
    expect(pid).toBeGreaterThan(0);
    expect(await waitGone(pid)).toBe(true);
  });

  it('stops a remote command whose timeout fires before it has even started', async () => {
    let pid = 0;
    const r = await ex.run({ command: 'sh', args: ['-c', 'sleep 60 & echo $!; wait'], timeoutMs: 1 }, (l) => {
      pid = Number(l.line);
    });
    expect(r).toMatchObject({ timedOut: true, exitCode: null });
    expect(pid).toBeGreaterThan(0);
    expect(await waitGone(pid)).toBe(true);
  });

  it('kills the remote command on abort', async () => {
    const ac = new AbortController();
    let pid = 0;
    const r = await ex.run(
      { command: 'sh', args: ['-c', 'echo $$; exec sleep 60'], signal: ac.signal },
      (l) => {
        pid = Number(l.line);
        ac.abort();
      },
    );
    expect(r).toMatchObject({ cancelled: true, timedOut: false, exitCode: null });
    expect(await waitGone(pid)).toBe(true);
  });

  it('refuses a host whose key is not the known one, with a clear error', async () => {
    const wrong = new SshExecutor({ ...sshd.executorConfig, knownHostsFile: sshd.wrongKnownHostsFile });
    const err = await wrong.run({ command: 'true', args: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrawbridgeError);
    expect(err).toMatchObject({ code: 'SSH_HOST_KEY_REJECTED' });
    expect((err as DrawbridgeError).message).toMatch(/host key/i);
    expect((err as DrawbridgeError).hint).toContain(sshd.wrongKnownHostsFile);
    await expect(wrong.openTunnel('127.0.0.1', db.cluster.port)).rejects.toMatchObject({
      code: 'SSH_HOST_KEY_REJECTED',
    });
    await wrong.close();
  });

  it('reports an unreachable bastion as SSH_CONNECT_FAILED', async () => {
    const closedPort = new SshExecutor({ ...sshd.executorConfig, port: 1, connectTimeoutSeconds: 3 });
    await expect(closedPort.run({ command: 'true', args: [] })).rejects.toMatchObject({
      code: 'SSH_CONNECT_FAILED',
    });
  });

  it('forwards a local port to PostgreSQL through the bastion', async () => {
    const tunnel = await ex.openTunnel('127.0.0.1', db.cluster.port);
    expect(tunnel.localHost).toBe('127.0.0.1');
    expect(tunnel.localPort).not.toBe(db.cluster.port);
    const url = new URL(db.url);
    url.port = String(tunnel.localPort);
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    const res = await client.query<{ db: string }>('select current_database() as db');
    await client.end();
    expect(res.rows[0]?.db).toBe(db.name);
    await tunnel.close();
    const after = new pg.Client({ connectionString: url.toString(), connectionTimeoutMillis: 3000 });
    await expect(after.connect()).rejects.toThrow();
    await after.end().catch(() => undefined);
  });
});

/** Pids of `ssh` clients (this user's) that talk to the test sshd. */
function sshClientPids(): string[] {
  const out: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (cmd[0] === 'ssh' && cmd.includes(String(sshd.port))) out.push(entry);
    } catch {
      // Gone already.
    }
  }
  return out;
}

function environOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8');
  } catch {
    return '';
  }
}
