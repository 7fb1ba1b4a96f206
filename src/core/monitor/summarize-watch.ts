/**
 * The summary of a watch from its recorded samples: per series the baseline, min, median, p95, max
 * and trend, the use of the new indexes, table growth, gaps and what sampling cost, then the same in
 * plain words. Also the chart's input. Pure: the same samples always give the same summary.
 * Longer than most files: the series table, the numbers and their wording belong together.
 */
import type { SampleRecord } from '../../store/monitor-store.js';
import type {
  Baseline,
  ChartInput,
  IndexUse,
  MetricSummary,
  SampleData,
  WatchSummary,
  WatchTargets,
} from './types.js';

/** What the summary needs of the watch itself. */
export interface WatchFacts {
  readonly runId: string;
  readonly environment: string;
  readonly startedAt: number;
  readonly endsAt: number;
  readonly endedAt: number | null;
  readonly endReason: string | null;
  readonly everyMs: number;
  readonly baseline: Baseline | null;
  readonly targets: WatchTargets;
  readonly alerts: number;
}

interface SeriesDef {
  key: string;
  label: string;
  unit: MetricSummary['unit'];
  of: (d: SampleData) => number | null | undefined;
  base: (b: Baseline) => number | null | undefined;
}

const sum = (r: Readonly<Record<string, number>>): number => Object.values(r).reduce((a, b) => a + b, 0);

/** Every series the watch follows, in the order the summary lists them. */
export const SERIES: readonly SeriesDef[] = [
  {
    key: 'error_rate',
    label: 'error rate',
    unit: '%',
    of: (d) => pctOf(d.http?.errorRate),
    base: (b) => pctOf(b.http?.errorRate),
  },
  {
    key: 'p95',
    label: 'p95 latency',
    unit: 'ms',
    of: (d) => msOf(d.http?.p95),
    base: (b) => msOf(b.http?.p95),
  },
  {
    key: 'p99',
    label: 'p99 latency',
    unit: 'ms',
    of: (d) => msOf(d.http?.p99),
    base: (b) => msOf(b.http?.p99),
  },
  {
    key: 'request_rate',
    label: 'request rate',
    unit: 'req/s',
    of: (d) => d.http?.requestRate,
    base: () => null,
  },
  {
    key: 'health_latency',
    label: 'health check latency',
    unit: 'ms',
    of: (d) => d.health?.latencyMs,
    base: (b) => b.health?.latencyMs,
  },
  {
    key: 'connections',
    label: 'connections to the database',
    unit: 'count',
    of: (d) => (d.db ? sum(d.db.connections) : null),
    base: (b) => (b.db ? sum(b.db.connections) : null),
  },
  {
    key: 'connections_percent',
    label: 'share of max_connections',
    unit: '%',
    of: (d) => d.db?.connectionsPercent,
    base: (b) => b.db?.connectionsPercent,
  },
  {
    key: 'idle_in_transaction',
    label: 'sessions idle in transaction',
    unit: 'count',
    of: (d) => d.db?.idleInTransaction,
    base: (b) => b.db?.idleInTransaction,
  },
  {
    key: 'lock_waiters',
    label: 'sessions waiting on locks',
    unit: 'count',
    of: (d) => d.db?.lockWaiters,
    base: (b) => b.db?.lockWaiters,
  },
  {
    key: 'longest_query',
    label: 'longest running query',
    unit: 'ms',
    of: (d) => (d.db ? (d.db.longestQuery?.seconds ?? 0) * 1000 : null),
    base: (b) => (b.db ? (b.db.longestQuery?.seconds ?? 0) * 1000 : null),
  },
  {
    key: 'deadlocks',
    label: 'deadlocks per sample',
    unit: 'count',
    of: (d) => d.db?.deadlocks,
    base: () => null,
  },
  {
    key: 'rollbacks',
    label: 'rollbacks per sample',
    unit: 'count',
    of: (d) => d.db?.rollbacks,
    base: () => null,
  },
  {
    key: 'temp_files',
    label: 'temp files per sample',
    unit: 'count',
    of: (d) => d.db?.tempFiles,
    base: () => null,
  },
];

function pctOf(f: number | null | undefined): number | null {
  return f === null || f === undefined ? null : f * 100;
}
function msOf(s: number | null | undefined): number | null {
  return s === null || s === undefined ? null : s * 1000;
}

/** Linear interpolation between closest ranks (numpy's default): q in 0..1 of the sorted values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] as number;
  const b = s[hi] as number;
  return a + (b - a) * (pos - lo);
}

/** First third against last third: more than 10 % apart is a trend. */
export function trendOf(values: readonly number[]): MetricSummary['trend'] {
  if (values.length < 3) return 'unknown';
  const third = Math.max(1, Math.floor(values.length / 3));
  const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(values.slice(0, third));
  const last = mean(values.slice(-third));
  const scale = Math.max(Math.abs(first), Math.abs(last));
  if (scale === 0 || Math.abs(last - first) / scale <= 0.1) return 'flat';
  return last > first ? 'rising' : 'falling';
}

const dataOf = (s: SampleRecord): SampleData | null => (s.kind === 'sample' ? (s.data as SampleData) : null);

function summarizeSeries(
  def: SeriesDef,
  samples: readonly SampleRecord[],
  baseline: Baseline | null,
): MetricSummary {
  const values: number[] = [];
  for (const s of samples) {
    const d = dataOf(s);
    const v = d ? def.of(d) : null;
    if (typeof v === 'number' && Number.isFinite(v)) values.push(v);
  }
  const base = baseline ? def.base(baseline) : null;
  return {
    key: def.key,
    label: def.label,
    unit: def.unit,
    baseline: typeof base === 'number' ? base : null,
    samples: values.length,
    min: values.length ? Math.min(...values) : null,
    median: quantile(values, 0.5),
    p95: quantile(values, 0.95),
    max: values.length ? Math.max(...values) : null,
    trend: trendOf(values),
  };
}

/** The latest reading of each new index, counted from when the watch began. */
function indexUse(samples: readonly SampleRecord[], facts: WatchFacts): IndexUse[] {
  const latest = new Map<string, number>();
  for (const s of samples) for (const i of dataOf(s)?.db?.indexes ?? []) latest.set(i.name, i.scans);
  const start = facts.baseline?.indexScansAtStart ?? {};
  return facts.targets.indexes.map((name) => {
    const now = latest.get(name);
    return { name, scans: now === undefined ? null : Math.max(0, now - (start[name] ?? 0)) };
  });
}

function tableGrowth(samples: readonly SampleRecord[], facts: WatchFacts): WatchSummary['tables'] {
  const last = [...samples]
    .reverse()
    .map(dataOf)
    .find((d) => d?.db)?.db;
  return facts.targets.tables.map((name) => {
    const before = facts.baseline?.db?.tables.find((t) => t.name === name);
    const now = last?.tables.find((t) => t.name === name);
    return {
      name,
      bytesBefore: before?.bytes ?? null,
      bytesNow: now?.bytes ?? null,
      seqScans: now && before ? now.seqScan - before.seqScan : null,
      idxScans: now && before ? now.idxScan - before.idxScan : null,
    };
  });
}

/** The summary of the samples recorded so far (the final one once the watch has ended). */
export function summarizeWatch(samples: readonly SampleRecord[], facts: WatchFacts): WatchSummary {
  const taken = samples.filter((s) => s.kind === 'sample');
  const costs = taken.map((s) => s.costMs).filter((c): c is number => typeof c === 'number');
  const lastStatements = [...taken]
    .reverse()
    .map(dataOf)
    .find((d) => d?.db)?.db;
  const base = {
    runId: facts.runId,
    environment: facts.environment,
    startedAt: facts.startedAt,
    endsAt: facts.endsAt,
    endedAt: facts.endedAt,
    endReason: facts.endReason,
    slots: samples.length,
    samples: taken.length,
    gaps: samples.length - taken.length,
    alerts: facts.alerts,
    metrics: SERIES.map((d) => summarizeSeries(d, samples, facts.baseline)),
    indexes: indexUse(samples, facts),
    tables: tableGrowth(samples, facts),
    cost: { medianMs: quantile(costs, 0.5), maxMs: costs.length ? Math.max(...costs) : null },
    slowest: lastStatements?.statements ?? null,
    ...(lastStatements?.statementsNote ? { statementsNote: lastStatements.statementsNote } : {}),
  };
  return { ...base, sentences: describeSummary({ ...base, sentences: [] }, samples, facts) };
}

/** "0.12 %", "340 ms", "12.5 req/s", "3" */
export function formatValue(v: number | null, unit: MetricSummary['unit']): string {
  if (v === null) return 'n/a';
  const n = (x: number, digits: number): string =>
    x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  if (unit === '%') return `${n(v, v < 1 ? 2 : 1)} %`;
  if (unit === 'ms') return `${n(v, v < 10 ? 1 : 0)} ms`;
  if (unit === 'req/s') return `${n(v, 2)} req/s`;
  return n(v, 2);
}

const hours = (msv: number): string =>
  `${(msv / 3_600_000).toLocaleString('en-US', { maximumFractionDigits: 1 })} h`;

/** A change smaller than this is noise, however large relative to a tiny baseline. */
const MEANINGFUL: Record<MetricSummary['unit'], number> = { '%': 0.5, ms: 5, 'req/s': 0, count: 1 };

/** "p95 up 40 % in the first hour, back to baseline after 3 h" for a series that spiked and recovered. */
function recovery(
  def: SeriesDef,
  samples: readonly SampleRecord[],
  facts: WatchFacts,
  baseline: number,
): string | undefined {
  const points = samples
    .map((s) => ({
      t: (s.takenAt ?? s.dueAt) - facts.startedAt,
      v: dataOf(s) ? def.of(dataOf(s) as SampleData) : null,
    }))
    .filter((p): p is { t: number; v: number } => typeof p.v === 'number');
  const firstHour = points.filter((p) => p.t <= 3_600_000);
  const peak = Math.max(...firstHour.map((p) => p.v));
  if (!firstHour.length || baseline <= 0 || peak < baseline * 1.25) return undefined;
  if (peak - baseline < MEANINGFUL[def.unit]) return undefined;
  const up = Math.round((peak / baseline - 1) * 100);
  let back: number | undefined;
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i] as { t: number; v: number };
    if (p.v > baseline * 1.1) break;
    back = p.t;
  }
  const tail = back === undefined ? ', not back to baseline yet' : `, back to baseline after ${hours(back)}`;
  return `${def.label} up ${up} % in the first hour${tail}`;
}

function describeSummary(s: WatchSummary, samples: readonly SampleRecord[], facts: WatchFacts): string[] {
  const out: string[] = [];
  const span =
    (facts.endedAt ?? samples.at(-1)?.takenAt ?? samples.at(-1)?.dueAt ?? facts.startedAt) - facts.startedAt;
  out.push(
    `Watched ${facts.environment} for ${hours(Math.max(0, span))}: ${s.samples} sample(s), ${s.gaps} gap(s), ${s.alerts} alert(s).`,
  );
  for (const m of s.metrics) {
    if (m.median === null) continue;
    const def = SERIES.find((d) => d.key === m.key) as SeriesDef;
    const key = [
      'error_rate',
      'p95',
      'p99',
      'request_rate',
      'lock_waiters',
      'connections_percent',
      'deadlocks',
    ];
    if (
      !key.includes(m.key) &&
      !(m.max !== null && m.baseline !== null && m.max > m.baseline * 2 && m.max > 0)
    )
      continue;
    if (m.key === 'deadlocks') {
      const total = samples.reduce((a, x) => a + (dataOf(x)?.db?.deadlocks ?? 0), 0);
      out.push(total ? `${total} deadlock(s) during the watch.` : 'No deadlocks.');
      continue;
    }
    const rec = m.baseline !== null ? recovery(def, samples, facts, m.baseline) : undefined;
    if (rec) {
      out.push(`${capital(rec)}.`);
      continue;
    }
    if (m.baseline === null) {
      out.push(
        `${capital(m.label)} median ${formatValue(m.median, m.unit)} (max ${formatValue(m.max, m.unit)}), ${m.trend}.`,
      );
      continue;
    }
    const near =
      Math.abs(m.median - m.baseline) <= Math.max(m.unit === '%' ? 0.1 : 0, Math.abs(m.baseline) * 0.1);
    out.push(
      near
        ? `${capital(m.label)} unchanged at ${formatValue(m.median, m.unit)} (max ${formatValue(m.max, m.unit)}).`
        : `${capital(m.label)} ${m.median > m.baseline ? 'up' : 'down'} from ${formatValue(m.baseline, m.unit)} to ${formatValue(m.median, m.unit)} (median; max ${formatValue(m.max, m.unit)}), ${m.trend}.`,
    );
  }
  for (const i of s.indexes)
    out.push(
      i.scans === null
        ? `New index \`${i.name}\` was not found in the statistics.`
        : i.scans > 0
          ? `New index \`${i.name}\` used ${i.scans.toLocaleString('en-US')} times.`
          : `New index \`${i.name}\` not used (0 scans): check the queries meant to use it.`,
    );
  for (const t of s.tables)
    if (t.bytesBefore !== null && t.bytesNow !== null && t.bytesNow !== t.bytesBefore)
      out.push(`Table \`${t.name}\` went from ${mb(t.bytesBefore)} to ${mb(t.bytesNow)}.`);
  if (s.gaps)
    out.push(`${s.gaps} of ${s.slots} sample(s) missing (gaps: a failed sample or the bot not running).`);
  if (s.cost.medianMs !== null)
    out.push(`Sampling cost ${s.cost.medianMs} ms per sample (median; max ${s.cost.maxMs ?? 0} ms).`);
  if (s.slowest?.length)
    out.push(
      `Slowest statement: ${truncate(s.slowest[0]?.query ?? '', 80)} (${Math.round(s.slowest[0]?.meanMs ?? 0)} ms mean).`,
    );
  else if (s.statementsNote) out.push(`${s.statementsNote}.`);
  return out;
}

const capital = (x: string): string => x.charAt(0).toUpperCase() + x.slice(1);
const truncate = (x: string, n: number): string => (x.length > n ? `${x.slice(0, n)}…` : x);
const mb = (b: number): string =>
  b < 1_048_576 ? `${Math.round(b / 1024)} kB` : `${(b / 1_048_576).toFixed(1)} MB`;

/**
 * The chart of the main series, the deploy marked: error rate and p95 when the metrics endpoint
 * gave them, else health latency and connections (a chart has two y-axes: two units at most).
 */
export function chartOf(samples: readonly SampleRecord[], facts: WatchFacts): ChartInput {
  const order = ['error_rate', 'p95', 'p99', 'health_latency', 'lock_waiters', 'connections'];
  const units: string[] = [];
  const series: ChartInput['series'][number][] = [];
  for (const key of order) {
    const d = SERIES.find((x) => x.key === key) as SeriesDef;
    const unit = d.unit === 'count' ? '' : d.unit;
    const points = samples.map((s) => {
      const data = dataOf(s);
      const v = data ? d.of(data) : null;
      return { t: s.takenAt ?? s.dueAt, v: typeof v === 'number' && Number.isFinite(v) ? v : null };
    });
    if (!points.some((p) => p.v !== null)) continue;
    if (!units.includes(unit)) {
      if (units.length === 2) continue;
      units.push(unit);
    }
    series.push({ name: d.label, ...(unit ? { unit } : {}), points });
  }
  return {
    title: `Run ${facts.runId} on ${facts.environment}: after the deploy`,
    series,
    markers: [{ t: facts.startedAt, label: 'deploy' }],
  };
}
