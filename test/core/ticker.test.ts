/** The ticker: handlers in order on every tick, a failing one logged without stopping the rest; node-cron schedules and stops. */
import { CronTicker, ManualTicker } from '../../src/core/ticker.js';

function logger(): { warnings: unknown[]; warn: (o: unknown) => void } {
  const warnings: unknown[] = [];
  return { warnings, warn: (o) => warnings.push(o) };
}

describe('ticker', () => {
  it('runs every handler in order on tick, logs a failing one and goes on, and records the tick', async () => {
    const log = logger();
    let now = 1000;
    const t = new ManualTicker(log, () => now);
    const seen: string[] = [];
    t.onTick(() => {
      seen.push('a');
    });
    t.onTick(() => {
      throw new Error('boom');
    });
    t.onTick(async () => {
      seen.push('c');
    });
    expect(t.lastTickAt).toBeUndefined();
    await t.tick();
    now = 2000;
    await t.tick();
    expect(seen).toEqual(['a', 'c', 'a', 'c']);
    expect(log.warnings).toHaveLength(2);
    expect(t.lastTickAt).toBe(2000);
  });

  it('schedules with node-cron on start and stops cleanly (fires on demand in between)', async () => {
    const log = logger();
    const t = new CronTicker(log, () => 5);
    let n = 0;
    t.onTick(() => {
      n += 1;
    });
    t.start();
    t.start();
    await t.tick();
    t.stop();
    t.stop();
    expect(n).toBe(1);
    expect(t.lastTickAt).toBe(5);
  });
});
