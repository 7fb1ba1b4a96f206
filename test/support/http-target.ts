/**
 * A tiny loopback application for health-check, metrics and deploy-scenario tests: `GET /health`
 * whose answer can be switched or made to fail/hang for the next N requests (or answers 503 while a
 * maintenance flag file exists), and `GET /metrics`
 * serving Prometheus text exposition (version 0.0.4) built from settable counters, gauges and
 * histograms, or a raw text given by the test.
 */
import { existsSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Labels = Record<string, string>;

export interface TargetRequest {
  method: string;
  path: string;
  /** What the target answered, or 0 for a request left hanging. */
  status: number;
}

export interface HttpTarget {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  healthUrl: string;
  metricsUrl: string;
  requests: TargetRequest[];
  /** `/health` answers 200 when healthy, else `status` (default 503). */
  setHealthy(healthy: boolean, status?: number): void;
  /** The next `n` health requests answer `status` (default 500), whatever the healthy flag says. */
  failNext(n: number, status?: number): void;
  /** The next `n` health requests never answer (until close): for timeout tests. */
  hangNext(n: number): void;
  /** Sets a counter or gauge sample (type default `counter`). */
  setMetric(name: string, value: number, labels?: Labels, type?: 'counter' | 'gauge'): void;
  /** Adds to a counter sample. */
  incMetric(name: string, by?: number, labels?: Labels): void;
  /** Declares a histogram's bucket upper bounds (default: the Prometheus client defaults). */
  defineHistogram(name: string, buckets: number[]): void;
  /** Records one observation in a histogram. */
  observe(name: string, value: number, labels?: Labels): void;
  /** Serve this exact text at `/metrics` instead of the settable metrics (null: back to them). */
  setMetricsText(text: string | null): void;
  close(): Promise<void>;
}

export const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  labels: Labels;
  value: number;
}
interface HistSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

const key = (labels: Labels): string =>
  JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const fmtLabels = (labels: Labels): string => {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};
const fmtNum = (n: number): string => (n === Infinity ? '+Inf' : n === -Infinity ? '-Inf' : String(n));

/** The settable metrics and their rendering as text exposition 0.0.4. */
class MetricRegistry {
  private readonly scalars = new Map<string, { type: 'counter' | 'gauge'; series: Map<string, Series> }>();
  private readonly histograms = new Map<string, { buckets: number[]; series: Map<string, HistSeries> }>();

  scalar(name: string, labels: Labels, type: 'counter' | 'gauge'): Series {
    const m = this.scalars.get(name) ?? { type, series: new Map<string, Series>() };
    this.scalars.set(name, m);
    const s = m.series.get(key(labels)) ?? { labels: { ...labels }, value: 0 };
    m.series.set(key(labels), s);
    return s;
  }

  define(name: string, buckets: number[]): void {
    this.histograms.set(name, { buckets: [...buckets].sort((a, b) => a - b), series: new Map() });
  }

  observe(name: string, value: number, labels: Labels): void {
    const h = this.histograms.get(name) ?? {
      buckets: DEFAULT_BUCKETS,
      series: new Map<string, HistSeries>(),
    };
    this.histograms.set(name, h);
    const empty = { labels: { ...labels }, counts: h.buckets.map(() => 0).concat(0), sum: 0, count: 0 };
    const s = h.series.get(key(labels)) ?? empty;
    h.series.set(key(labels), s);
    [...h.buckets, Infinity].forEach((le, i) => {
      if (value <= le) s.counts[i] = (s.counts[i] ?? 0) + 1;
    });
    s.sum += value;
    s.count += 1;
  }

  render(): string {
    const lines: string[] = [];
    for (const [name, m] of this.scalars) {
      lines.push(`# HELP ${name} ${name} (set by the test)`, `# TYPE ${name} ${m.type}`);
      for (const s of m.series.values()) lines.push(`${name}${fmtLabels(s.labels)} ${fmtNum(s.value)}`);
    }
    for (const [name, h] of this.histograms) {
      lines.push(`# HELP ${name} ${name} (set by the test)`, `# TYPE ${name} histogram`);
      for (const s of h.series.values()) {
        [...h.buckets, Infinity].forEach((le, i) => {
          lines.push(`${name}_bucket${fmtLabels({ ...s.labels, le: fmtNum(le) })} ${s.counts[i] ?? 0}`);
        });
        lines.push(
          `${name}_sum${fmtLabels(s.labels)} ${s.sum}`,
          `${name}_count${fmtLabels(s.labels)} ${s.count}`,
        );
      }
    }
    return lines.join('\n') + '\n';
  }
}

/** What `/health` answers next. */
class HealthSwitch {
  healthy = true;
  unhealthyStatus = 503;
  failing = 0;
  failStatus = 500;
  hanging = 0;

  /** Answers one request; returns the status, or 0 when the request is left hanging. */
  answer(res: ServerResponse): number {
    if (this.hanging > 0) {
      this.hanging--;
      return 0;
    }
    let status = this.healthy ? 200 : this.unhealthyStatus;
    if (this.failing > 0) {
      this.failing--;
      status = this.failStatus;
    }
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ status: status === 200 ? 'ok' : 'unhealthy' }));
    return status;
  }
}

/** Starts the target on 127.0.0.1 (random port). Close it in afterAll. */
/** Options of `startHttpTarget`. */
export interface HttpTargetOptions {
  /**
   * A maintenance page: while this file exists, `/health` answers 503 whatever else is set (the
   * maintenance on/off commands of a scenario create and remove it).
   */
  maintenanceFile?: string;
}

export async function startHttpTarget(options: HttpTargetOptions = {}): Promise<HttpTarget> {
  const requests: TargetRequest[] = [];
  const metrics = new MetricRegistry();
  const health = new HealthSwitch();
  let rawText: string | null = null;

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const record: TargetRequest = { method: req.method ?? 'GET', path, status: 0 };
    requests.push(record);
    req.resume();
    if (path === '/health' && options.maintenanceFile && existsSync(options.maintenanceFile)) {
      record.status = 503;
      res.writeHead(503, { 'Content-Type': 'text/html' }).end('<h1>Down for maintenance</h1>\n');
    } else if (path === '/health') {
      record.status = health.answer(res);
    } else if (path === '/metrics') {
      record.status = 200;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(rawText ?? metrics.render());
    } else {
      record.status = 404;
      res.writeHead(404).end('not found\n');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    healthUrl: `${url}/health`,
    metricsUrl: `${url}/metrics`,
    requests,
    setHealthy: (healthy, status = 503) => Object.assign(health, { healthy, unhealthyStatus: status }),
    failNext: (n, status = 500) => Object.assign(health, { failing: n, failStatus: status }),
    hangNext: (n) => Object.assign(health, { hanging: n }),
    setMetric: (name, value, labels = {}, type = 'counter') =>
      void (metrics.scalar(name, labels, type).value = value),
    incMetric: (name, by = 1, labels = {}) => void (metrics.scalar(name, labels, 'counter').value += by),
    defineHistogram: (name, buckets) => metrics.define(name, buckets),
    observe: (name, value, labels = {}) => metrics.observe(name, value, labels),
    setMetricsText: (text) => void (rawText = text),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
