import { backoffDelay, decideAfterFailure, formatDuration } from '../../../src/core/outbox/retry-policy.js';

const policy = { baseDelayMs: 1000, maxDelayMs: 60_000, horizonMs: 3_600_000 };
const created = 1_000_000;

describe('backoffDelay', () => {
  it.each([
    // attempt, random, expected: between half and all of min(max, base * 2^(attempt-1))
    [1, 0, 500],
    [1, 0.999999, 1000],
    [2, 0, 1000],
    [3, 0.5, 3000],
    [4, 0, 4000],
    [7, 0, 30_000],
    [8, 0, 30_000],
    [8, 0.999999, 60_000],
    [60, 0.5, 45_000],
  ])('attempt %i with random %f waits %i ms', (attempt, random, expected) => {
    expect(backoffDelay(attempt, policy, () => random)).toBe(expected);
  });

  it('grows with every attempt while the doubling stays under the cap, whatever the jitter', () => {
    // 1, 2, 4, 8, 16, 32 s ceilings; the 7th (64 s) is capped at 60 s.
    for (let attempt = 1; attempt < 6; attempt++) {
      expect(backoffDelay(attempt + 1, policy, () => 0)).toBeGreaterThanOrEqual(
        backoffDelay(attempt, policy, () => 0.999999),
      );
    }
  });
});

describe('decideAfterFailure', () => {
  const decide = (
    failure: { retryable: boolean; error: string; retryAfterMs?: number },
    attempts: number,
    now: number,
  ) => decideAfterFailure(failure, { attempts, createdAt: created }, now, policy, () => 0);

  it.each([
    [
      'a retryable failure waits the backoff',
      { retryable: true, error: 'internal_error' },
      3,
      created + 10,
      created + 10 + 2000,
    ],
    [
      'Retry-After longer than the backoff wins',
      { retryable: true, error: 'ratelimited', retryAfterMs: 30_000 },
      1,
      created,
      created + 30_000,
    ],
    [
      'Retry-After shorter than the backoff does not shorten it',
      { retryable: true, error: 'ratelimited', retryAfterMs: 100 },
      3,
      created,
      created + 2000,
    ],
    [
      'Retry-After beyond the cap is still honoured',
      { retryable: true, error: 'ratelimited', retryAfterMs: 600_000 },
      1,
      created,
      created + 600_000,
    ],
    [
      'the last retry is placed at the horizon',
      { retryable: true, error: 'HTTP 500' },
      20,
      created + 3_590_000,
      created + 3_600_000,
    ],
    [
      'Retry-After past the horizon is honoured, not cut',
      { retryable: true, error: 'ratelimited', retryAfterMs: 60_000 },
      20,
      created + 3_590_000,
      created + 3_650_000,
    ],
  ])('%s', (_name, failure, attempts, now, expected) => {
    expect(decide(failure, attempts, now)).toEqual({ giveUp: false, nextAttemptAt: expected });
  });

  it('gives a non-retryable failure up at once, with its error', () => {
    expect(decide({ retryable: false, error: 'channel_not_found' }, 1, created)).toEqual({
      giveUp: true,
      reason: 'channel_not_found',
    });
  });

  it('gives up a failure at or past the horizon, saying for how long it failed', () => {
    expect(decide({ retryable: true, error: 'HTTP 503' }, 40, created + 3_600_000)).toEqual({
      giveUp: true,
      reason: 'HTTP 503 (still failing 60 min after it was queued)',
    });
  });
});

describe('formatDuration', () => {
  it.each([
    [45_000, '45 s'],
    [300_000, '5 min'],
    [86_400_000, '24 h'],
  ])('%i ms reads %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
