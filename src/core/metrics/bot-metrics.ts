/**
 * The bot's own Prometheus metrics (`GET /metrics`): one prom-client registry per composed bot (never
 * the global default, so several bots in one test process do not clash), fed from the event bus, the
 * outbox deliverers and the slash-command listener; the outbox and the ticker are read at scrape time.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../../base/clock.js';
import { redact } from '../../base/redact.js';
import type { OutboxStore } from '../../store/outbox-store.js';
import type { RunRecord } from '../../store/run-types.js';
import { delivererKey, type Deliverer } from '../outbox/outbox-worker.js';
import type { PipelineEvent } from '../pipeline/types.js';
import type { Ticker } from '../ticker.js';

/** What the metrics read at scrape time or look up when an event arrives. */
export interface MetricsSources {
  readonly clock: Clock;
  readonly outbox: Pick<OutboxStore, 'pending'>;
  readonly ticker: Pick<Ticker, 'lastTickAt'>;
  /** A run by id (approval wait time, backup size). */
  readonly findRun: (runId: string) => RunRecord | undefined;
}

/** Seconds buckets for steps and approval waits: a second to a day. */
const LONG_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400];
/** Seconds buckets for acks: Slack gives up after 3 s. */
const ACK_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5];

/**
 * A short, bounded error code for a failed delivery's error text: a Slack error code
 * (`channel_not_found`), an HTTP status (`http_503`), a Node error code (`ECONNREFUSED`), else `other`.
 */
export function errorCode(error: string): string {
  const slack = /\b([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\b/.exec(error) ?? /^(ratelimited|timeout)\b/i.exec(error);
  if (slack) return (slack[1] as string).toLowerCase();
  const errno = /\b(E[A-Z]{3,}[A-Z_]*)\b/.exec(error);
  if (errno) return errno[1] as string;
  const http = /\b(?:HTTP|status)\s*(\d{3})\b/i.exec(error);
  if (http) return `http_${http[1] as string}`;
  return 'other';
}

/** The metrics of one bot. Every method is cheap and never throws into its caller. */
export class BotMetrics {
  /** This bot's registry (prom-client's default process metrics included). */
  readonly registry = new Registry();
  private readonly runs: Counter<'environment' | 'state'>;
  private readonly steps: Histogram<'step' | 'state'>;
  private readonly approvalWait: Histogram<'environment'>;
  private readonly backupBytes: Gauge<'environment'>;
  private readonly backupSeconds: Gauge<'environment'>;
  private readonly deliveryErrors: Counter<'service' | 'code'>;
  private readonly ack: Histogram<'command'>;
  private readonly environments = new Map<string, string>();

  constructor(private readonly sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.runs = new Counter({
      name: 'drawbridge_runs_total',
      help: 'Runs that ended, by environment and final state.',
      labelNames: ['environment', 'state'],
      registers,
    });
    this.steps = new Histogram({
      name: 'drawbridge_step_duration_seconds',
      help: 'How long each pipeline step took, by step and how it ended.',
      labelNames: ['step', 'state'],
      buckets: LONG_BUCKETS,
      registers,
    });
    this.approvalWait = new Histogram({
      name: 'drawbridge_approval_wait_seconds',
      help: 'From the approval request to the approval, by environment.',
      labelNames: ['environment'],
      buckets: LONG_BUCKETS,
      registers,
    });
    this.backupBytes = new Gauge({
      name: 'drawbridge_backup_size_bytes',
      help: 'Size of the latest backup taken by a run, by environment.',
      labelNames: ['environment'],
      registers,
    });
    this.backupSeconds = new Gauge({
      name: 'drawbridge_backup_duration_seconds',
      help: 'How long the latest backup step took, by environment.',
      labelNames: ['environment'],
      registers,
    });
    this.deliveryErrors = new Counter({
      name: 'drawbridge_delivery_errors_total',
      help: 'Failed outbound calls (Slack, Statuspage, webhooks, chart uploads), by service and error code.',
      labelNames: ['service', 'code'],
      registers,
    });
    this.ack = new Histogram({
      name: 'drawbridge_command_ack_seconds',
      help: 'From a slash command reaching its listener to its ack, by subcommand.',
      labelNames: ['command'],
      buckets: ACK_BUCKETS,
      registers,
    });
    this.outboxGauges(registers);
    new Gauge({
      name: 'drawbridge_ticker_last_tick_timestamp_seconds',
      help: 'When the scheduled-work ticker last finished a tick (0 before the first).',
      registers,
      collect() {
        const at = sources.ticker.lastTickAt;
        this.set(at === undefined ? 0 : at / 1000);
      },
    });
  }

  private outboxGauges(registers: Registry[]): void {
    const { outbox, clock } = this.sources;
    const age = new Gauge({
      name: 'drawbridge_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest pending delivery, by destination.',
      labelNames: ['destination'],
      registers: [],
    });
    // Registered first, it reads the outbox for both gauges at scrape time (one query per scrape).
    new Gauge({
      name: 'drawbridge_outbox_pending',
      help: 'Deliveries waiting in the outbox, by destination (lanes with nothing pending are absent).',
      labelNames: ['destination'],
      registers,
      collect() {
        this.reset();
        age.reset();
        const now = clock.now();
        for (const lane of outbox.pending()) {
          const destination = redact(lane.destination);
          this.set({ destination }, lane.count);
          age.set({ destination }, Math.max(0, now - lane.oldestCreatedAt) / 1000);
        }
      },
    });
    for (const r of registers) r.registerMetric(age);
  }

  /** Subscribe this to the event bus (`bus.onAny`). */
  readonly observe = (event: PipelineEvent): void => {
    switch (event.kind) {
      case 'run:started':
        this.environments.set(event.runId, event.environment);
        return;
      case 'run:finished':
        this.runs.inc({ environment: event.environment, state: event.state });
        this.environments.delete(event.runId);
        return;
      case 'run:approved': {
        const run = this.sources.findRun(event.runId);
        if (run?.approvalRequestedAt == null) return;
        const waited = Math.max(0, this.sources.clock.now() - run.approvalRequestedAt) / 1000;
        this.approvalWait.observe({ environment: run.environment }, waited);
        return;
      }
      case 'step:finished':
        this.steps.observe({ step: event.step, state: event.state }, event.durationMs / 1000);
        if (event.step === 'backup' && event.state === 'succeeded') this.backupFinished(event);
        return;
      default:
        return;
    }
  };

  private backupFinished(event: Extract<PipelineEvent, { kind: 'step:finished' }>): void {
    const run = this.sources.findRun(event.runId);
    const environment = run?.environment ?? this.environments.get(event.runId);
    if (environment === undefined) return;
    this.backupSeconds.set({ environment }, event.durationMs / 1000);
    const size = (run?.backup as { sizeBytes?: unknown } | null | undefined)?.sizeBytes;
    if (typeof size === 'number') this.backupBytes.set({ environment }, size);
  }

  /** Counts a failed outbound call of `kind` (`slack.post`, `statuspage.incident`, …). */
  deliveryFailed(kind: string, error: string): void {
    this.deliveryErrors.inc({ service: delivererKey(kind), code: errorCode(error) });
  }

  /** The same deliverer, with every failed attempt counted. */
  countFailures(deliverer: Deliverer): Deliverer {
    return async (msg, signal) => {
      try {
        const result = await deliverer(msg, signal);
        if (!result.ok) this.deliveryFailed(msg.kind, result.error);
        return result;
      } catch (err) {
        this.deliveryFailed(msg.kind, err instanceof Error ? err.message : String(err));
        throw err;
      }
    };
  }

  /** Starts timing a slash command; call the result right after its ack. */
  ackTimer(): (command: string) => void {
    const t0 = performance.now();
    return (command) => this.ack.observe({ command }, (performance.now() - t0) / 1000);
  }

  /** The exposition text. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Its content type (Prometheus text 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }
}
