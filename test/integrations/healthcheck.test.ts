import { ManualClock } from '../../src/base/clock.js';
import { DrawbridgeError } from '../../src/base/errors.js';
import { checkHealth, type HealthCheckConfig } from '../../src/integrations/healthcheck.js';
import { startHttpTarget, type HttpTarget } from '../support/http-target.js';
import { runWithClock, waitFor } from './clock-driver.js';

describe('checkHealth against a loopback target', () => {
  let target: HttpTarget;
  let clock: ManualClock;
  let config: HealthCheckConfig;

  beforeAll(async () => {
    target = await startHttpTarget();
  });
  afterAll(() => target.close());
  beforeEach(() => {
    target.setHealthy(true);
    target.failNext(0);
    target.requests.length = 0;
    clock = new ManualClock(1_000_000);
    config = { url: target.healthUrl, expectStatus: 200, timeoutMs: 2000, retries: 3, backoffMs: 100 };
  });

  it('is ok at the first answer with the expected status', async () => {
    const result = await checkHealth(config, clock);
    expect(result.ok).toBe(true);
    expect(result.lastStatus).toBe(200);
    expect(result.attempts).toEqual([{ status: 200, durationMs: 0 }]);
  });

  it('retries failures with exponential backoff on the clock until healthy', async () => {
    target.failNext(2, 502);
    const p = checkHealth(config, clock);
    await waitFor(() => clock.pendingSleepers === 1, 'first backoff');
    await clock.advance(99);
    expect(target.requests).toHaveLength(1);
    await clock.advance(1);
    await waitFor(() => clock.pendingSleepers === 1 && target.requests.length === 2, 'second backoff');
    await clock.advance(199);
    expect(target.requests).toHaveLength(2);
    await clock.advance(1);
    const result = await p;
    expect(result.ok).toBe(true);
    expect(result.attempts.map((a) => a.status)).toEqual([502, 502, 200]);
    expect(result.lastStatus).toBe(200);
  });

  it('returns a failed result (no throw) when the target stays unhealthy', async () => {
    target.setHealthy(false, 503);
    const { outcome, elapsedMs } = await runWithClock(clock, checkHealth(config, clock), 100);
    expect(outcome.ok).toBe(true);
    const result = (outcome as { value: Awaited<ReturnType<typeof checkHealth>> }).value;
    expect(result.ok).toBe(false);
    expect(result.attempts).toHaveLength(4);
    expect(result.attempts.every((a) => a.status === 503)).toBe(true);
    expect(result.lastStatus).toBe(503);
    expect(elapsedMs).toBeGreaterThanOrEqual(100 + 200 + 400);
  });

  it('records a timeout as an attempt error', async () => {
    target.hangNext(1);
    const run = checkHealth({ ...config, timeoutMs: 150, retries: 1 }, clock);
    const { outcome } = await runWithClock(clock, run, 100);
    const result = (outcome as { value: Awaited<typeof run> }).value;
    expect(result.ok).toBe(true);
    expect(result.attempts[0]).toEqual({ error: 'timed out after 150 ms', durationMs: 0 });
    expect(result.attempts[1]?.status).toBe(200);
  });

  it('reports a refused connection with its reason and no status', async () => {
    const gone = await startHttpTarget();
    await gone.close();
    const result = await checkHealth({ ...config, url: gone.healthUrl, retries: 0 }, clock);
    expect(result.ok).toBe(false);
    expect(result.lastStatus).toBeNull();
    expect(result.attempts[0]?.status).toBeUndefined();
    expect(result.attempts[0]?.error).toMatch(/ECONNREFUSED/);
  });

  it('treats a status other than expectStatus as unhealthy', async () => {
    const result = await checkHealth({ ...config, expectStatus: 204, retries: 0 }, clock);
    expect(result).toMatchObject({ ok: false, lastStatus: 200 });
  });

  it('rejects with the signal reason when cancelled during a backoff', async () => {
    target.setHealthy(false);
    const controller = new AbortController();
    const p = checkHealth(config, clock, controller.signal);
    await waitFor(() => clock.pendingSleepers === 1, 'backoff');
    controller.abort(new Error('run cancelled'));
    await expect(p).rejects.toThrow('run cancelled');
  });

  it('throws HEALTHCHECK_CONFIG only for an invalid config', async () => {
    const bad: Partial<HealthCheckConfig>[] = [
      { url: 'not a url' },
      { url: 'ftp://127.0.0.1/health' },
      { expectStatus: 42 },
      { timeoutMs: 0 },
      { retries: -1 },
      { retries: 1.5 },
    ];
    for (const patch of bad) {
      const err = await checkHealth({ ...config, ...patch }, clock).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DrawbridgeError);
      expect((err as DrawbridgeError).code).toBe('HEALTHCHECK_CONFIG');
    }
    expect(target.requests).toHaveLength(0);
  });
});
