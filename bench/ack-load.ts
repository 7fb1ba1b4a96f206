/**
 * Load side of the ack benchmark: an open-loop sender (requests leave on a fixed schedule, never
 * waiting for earlier answers), the figures of one run, and the bare Bolt 5.1 app used as the baseline.
 */
import { App, LogLevel } from '@slack/bolt';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Delivery } from '../test/support/slack-emulator/types.js';

/** What one open-loop run saw. Latencies are ack times (send → HTTP response) of 200 answers. */
export interface LoadResult {
  sent: number;
  /** Answers with HTTP 200 inside the ack window. */
  ok: number;
  /** Non-200 answers, ack-window timeouts, connection errors and requests still open at the bound. */
  failed: number;
  latencies: number[];
  /** Largest delay between a request's scheduled and actual send time (event-loop lag of the sender). */
  maxSendLagMs: number;
}

/**
 * Sends `rate × seconds` requests on a fixed schedule (open loop) with `send`, then waits at most
 * `boundMs` for the answers still outstanding; those that do not come count as failed.
 */
export async function runOpenLoop(
  send: () => Promise<Delivery>,
  rate: number,
  seconds: number,
  boundMs = 10_000,
): Promise<LoadResult> {
  const total = Math.round(rate * seconds);
  const result: LoadResult = { sent: 0, ok: 0, failed: 0, latencies: [], maxSendLagMs: 0 };
  const outstanding: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < total; i += 1) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    result.maxSendLagMs = Math.max(result.maxSendLagMs, performance.now() - due);
    result.sent += 1;
    outstanding.push(
      send().then(
        (d) => {
          if (d.status === 200 && !d.timedOut) {
            result.ok += 1;
            result.latencies.push(d.ackMs);
          } else result.failed += 1;
        },
        () => {
          result.failed += 1;
        },
      ),
    );
  }
  const bound = new AbortController();
  const allDone = Promise.all(outstanding).then(() => true);
  const done = await Promise.race([
    allDone,
    sleep(boundMs, false, { signal: bound.signal }).catch(() => false),
  ]);
  bound.abort();
  if (!done) result.failed = result.sent - result.ok;
  return { ...result, latencies: [...result.latencies] };
}

/** Adds run `b` into `a` (rounds of the same app). */
export function mergeResults(a: LoadResult, b: LoadResult): LoadResult {
  return {
    sent: a.sent + b.sent,
    ok: a.ok + b.ok,
    failed: a.failed + b.failed,
    latencies: [...a.latencies, ...b.latencies],
    maxSendLagMs: Math.max(a.maxSendLagMs, b.maxSendLagMs),
  };
}

export const emptyResult = (): LoadResult => ({ sent: 0, ok: 0, failed: 0, latencies: [], maxSendLagMs: 0 });

/** Nearest-rank percentile (p in 0..1) of the samples; NaN when there are none. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const s = [...samples].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** A running bare Bolt app: its request URL and how to stop it. */
export interface BareBolt {
  url: string;
  stop(): Promise<void>;
}

/**
 * The baseline: a bare Bolt 5.1 app in HTTP mode on 127.0.0.1 whose `/migrate` listener only acks
 * (ephemeral text), with its Web API client pointed at the emulator.
 */
export async function startBareBolt(opts: {
  signingSecret: string;
  token: string;
  apiUrl: string;
}): Promise<BareBolt> {
  const app = new App({
    signingSecret: opts.signingSecret,
    token: opts.token,
    clientOptions: { slackApiUrl: opts.apiUrl },
    deferInitialization: true,
    logLevel: LogLevel.ERROR,
  });
  app.command('/migrate', async ({ ack }) => {
    await ack({ response_type: 'ephemeral', text: ':mag: Reading the migration status…' });
  });
  await app.init();
  const server = (await app.start({ port: 0, host: '127.0.0.1' })) as Server;
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/slack/events`,
    async stop() {
      await app.stop();
    },
  };
}
