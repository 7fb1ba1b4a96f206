import { DrawbridgeError } from '../../src/base/errors.js';
import { clearRegisteredSecrets, registerSecret } from '../../src/base/redact.js';
import type { OutputLine } from '../../src/exec/executor.js';
import { DEFAULT_PATH, LocalExecutor, minimalEnvironment } from '../../src/exec/local-executor.js';
import { waitGone } from './process-helpers.js';

const ex = new LocalExecutor({ baseEnv: { PATH: DEFAULT_PATH }, killGraceMs: 300 });

afterAll(async () => {
  await ex.close();
  clearRegisteredSecrets();
});

describe('LocalExecutor', () => {
  it('passes arguments as they are, without a shell', async () => {
    const args = ['$(id)', 'a b', "it's", '`x`;y', 'l1\nl2'];
    const r = await ex.run({ command: 'printf', args: ['[%s]', ...args] });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe(args.map((a) => `[${a}]`).join(''));
    expect(r).toMatchObject({ timedOut: false, cancelled: false });
  });

  it('gives the child only the base environment plus spec.env', async () => {
    const r = await ex.run({ command: 'env', args: [], env: { EXTRA_VAR: 'one two' } });
    const names = r.stdout.split('\n').map((l) => l.split('=')[0]);
    expect(names.sort()).toEqual(['EXTRA_VAR', 'PATH']);
    expect(r.stdout).toContain('EXTRA_VAR=one two');
  });

  it('adds commandEnv to the base environment of every command; spec.env wins over it', async () => {
    const withCommandEnv = new LocalExecutor({
      baseEnv: { PATH: DEFAULT_PATH },
      commandEnv: { RAILWAY_TOKEN: 'from-command-env', SHARED: 'command-env' },
    });
    const r = await withCommandEnv.run({ command: 'env', args: [], env: { SHARED: 'spec' } });
    expect(r.stdout.split('\n').sort()).toEqual([
      `PATH=${DEFAULT_PATH}`,
      'RAILWAY_TOKEN=from-command-env',
      'SHARED=spec',
    ]);
    await withCommandEnv.close();
  });

  it('picks only the minimal keys out of a full environment', () => {
    expect(
      minimalEnvironment({ PATH: '/bin', HOME: '/root', SLACK_BOT_TOKEN: 'xoxb-1', AWS_SECRET: 'x' }),
    ).toEqual({
      PATH: '/bin',
      HOME: '/root',
    });
  });

  it('writes stdin and runs in cwd', async () => {
    const r = await ex.run({ command: 'sh', args: ['-c', 'cat; pwd'], stdin: 'hello\nworld\n', cwd: '/tmp' });
    expect(r.stdout).toBe('hello\nworld\n/tmp');
  });

  it('streams lines in order on both streams and collects them', async () => {
    const lines: OutputLine[] = [];
    const r = await ex.run(
      { command: 'sh', args: ['-c', 'for i in $(seq 1 300); do echo out$i; echo err$i >&2; done'] },
      (l) => lines.push(l),
    );
    const out = lines.filter((l) => l.stream === 'stdout').map((l) => l.line);
    const err = lines.filter((l) => l.stream === 'stderr').map((l) => l.line);
    expect(out).toEqual(Array.from({ length: 300 }, (_, i) => `out${i + 1}`));
    expect(err).toEqual(Array.from({ length: 300 }, (_, i) => `err${i + 1}`));
    expect(r.stdout).toBe(out.join('\n'));
    expect(r.stderr).toBe(err.join('\n'));
  });

  it('redacts registered secrets and secret shapes in streamed and collected output', async () => {
    registerSecret('s3cr3t-value-42');
    const lines: string[] = [];
    const r = await ex.run(
      { command: 'sh', args: ['-c', 'echo "pw s3cr3t-value-42"; echo postgres://u:hunter22@db/x >&2'] },
      (l) => lines.push(l.line),
    );
    expect(r.stdout).toBe('pw ***');
    expect(r.stderr).toBe('postgres://u:***@db/x');
    expect(lines.join('\n')).not.toMatch(/s3cr3t|hunter22/);
  });

  it('resolves with the exit code of a failing command', async () => {
    const r = await ex.run({ command: 'sh', args: ['-c', 'echo bad >&2; exit 7'] });
    expect(r).toMatchObject({ exitCode: 7, stderr: 'bad', timedOut: false, cancelled: false });
  });

  it('rejects with EXEC_NOT_FOUND when the executable does not exist', async () => {
    const err = await ex.run({ command: 'no-such-program-xyz', args: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DrawbridgeError);
    expect(err).toMatchObject({ code: 'EXEC_NOT_FOUND' });
    expect((err as DrawbridgeError).hint).toMatch(/PATH/);
  });

  it('rejects with EXEC_BAD_CWD for a missing working directory', async () => {
    await expect(ex.run({ command: 'true', args: [], cwd: '/nonexistent/dir' })).rejects.toMatchObject({
      code: 'EXEC_BAD_CWD',
    });
  });

  it('kills the whole process group on timeout', async () => {
    let childPid = 0;
    const r = await ex.run(
      { command: 'sh', args: ['-c', 'sleep 60 & echo $!; wait'], timeoutMs: 300 },
      (l) => {
        childPid = Number(l.line);
      },
    );
    expect(r).toMatchObject({ timedOut: true, cancelled: false, exitCode: null });
    expect(childPid).toBeGreaterThan(0);
    expect(await waitGone(childPid)).toBe(true);
  });

  it('sends SIGKILL after the grace period to a command that ignores SIGTERM', async () => {
    const r = await ex.run({
      command: 'sh',
      args: ['-c', 'trap "" TERM; sleep 60 & wait; sleep 60'],
      timeoutMs: 200,
    });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
  });

  it('stops the command when the signal aborts', async () => {
    const ac = new AbortController();
    let pid = 0;
    const r = await ex.run(
      { command: 'sh', args: ['-c', 'echo $$; exec sleep 60'], signal: ac.signal },
      (l) => {
        pid = Number(l.line);
        ac.abort();
      },
    );
    expect(r).toMatchObject({ cancelled: true, timedOut: false, exitCode: null, signal: 'SIGTERM' });
    expect(await waitGone(pid)).toBe(true);
  });

  it('does not start a command whose signal is already aborted', async () => {
    const r = await ex.run({ command: 'touch', args: ['/tmp/never'], signal: AbortSignal.abort() });
    expect(r.cancelled).toBe(true);
  });

  it('opens a no-op tunnel to the same address', async () => {
    const t = await ex.openTunnel('db.internal', 5432);
    expect(t).toMatchObject({ localHost: 'db.internal', localPort: 5432 });
    await t.close();
  });
});
