/**
 * Parser for the Prometheus text exposition format (version 0.0.4, also the sample lines of
 * OpenMetrics): `# HELP`, `# TYPE`, samples with escaped label values, `NaN`/`+Inf`/`-Inf` and
 * optional timestamps. Pure: text in, samples out. A malformed sample line is a `METRICS_PARSE` fault
 * naming the line, so that pointing the monitor at the wrong URL (an HTML page) is caught at once.
 */
import { DrawbridgeError } from '../base/errors.js';

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One sample line, e.g. `http_request_duration_seconds_bucket{le="0.1",route="/"} 42`. */
export interface Sample {
  name: string;
  labels: Readonly<Record<string, string>>;
  value: number;
  timestampMs?: number;
}

export interface ParsedMetrics {
  samples: Sample[];
  /** Family name → declared type (from `# TYPE`). */
  types: Record<string, MetricType>;
  /** Family name → help text (unescaped). */
  help: Record<string, string>;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES: readonly MetricType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES = ['_bucket', '_sum', '_count', '_total', '_created', '_gcount', '_gsum'];

/** Parses a whole exposition text. */
export function parsePrometheusText(text: string): ParsedMetrics {
  const out: ParsedMetrics = { samples: [], types: {}, help: {} };
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) return parseComment(line, out);
    out.samples.push(parseSample(line, index + 1));
  });
  return out;
}

/** The family a sample belongs to: `foo_bucket` → `foo` when `foo` is a declared histogram. */
export function familyOf(sampleName: string, types: Record<string, MetricType>): string {
  if (types[sampleName]) return sampleName;
  for (const suffix of SUFFIXES) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (types[base]) return base;
    }
  }
  return sampleName;
}

function parseComment(line: string, out: ParsedMetrics): void {
  const m = /^#\s*(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\s+(.*))?$/.exec(line);
  if (!m) return; // any other comment, or `# EOF`
  const [, kind, name = '', rest = ''] = m;
  if (kind === 'HELP')
    out.help[name] = rest.replace(/\\(\\|n)/g, (_s, c: string) => (c === 'n' ? '\n' : '\\'));
  else {
    const type = rest.trim().toLowerCase();
    out.types[name] = TYPES.includes(type as MetricType) ? (type as MetricType) : 'untyped';
  }
}

function parseSample(line: string, lineNo: number): Sample {
  const fail = (why: string): never => {
    const shown = line.length > 80 ? `${line.slice(0, 79)}…` : line;
    throw new DrawbridgeError('METRICS_PARSE', `Metrics line ${lineNo} is not a sample (${why}): ${shown}`, {
      hint: 'Check that the metrics URL serves Prometheus text format.',
    });
  };
  const name = NAME.exec(line)?.[0] ?? fail('no metric name');
  let rest = line.slice(name.length);
  let labels: Record<string, string> = {};
  if (rest.trimStart().startsWith('{')) {
    const parsed = parseLabels(rest.trimStart(), fail);
    labels = parsed.labels;
    rest = parsed.rest;
  }
  if (!/^\s/.test(rest)) fail('no value');
  const [valueText = '', tsText, ...extra] = rest.trim().split(/\s+/);
  if (extra.length > 0 && !extra[0]?.startsWith('#') && tsText !== '#') fail('trailing text');
  const value = parseValue(valueText) ?? fail(`bad value "${valueText}"`);
  const sample: Sample = { name, labels, value };
  if (tsText !== undefined && tsText !== '#') {
    const ts = Number(tsText);
    if (!Number.isFinite(ts)) fail(`bad timestamp "${tsText}"`);
    sample.timestampMs = ts;
  }
  return sample;
}

/** Parses `{a="x",b="y\"z"}` at the start of `text`; returns the labels and what follows. */
function parseLabels(
  text: string,
  fail: (why: string) => never,
): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1;
  const skipWs = (): void => {
    while (text[i] === ' ' || text[i] === '\t') i++;
  };
  for (;;) {
    skipWs();
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const label = LABEL_NAME.exec(text.slice(i))?.[0] ?? fail('bad label name');
    i += label.length;
    skipWs();
    if (text[i] !== '=') fail(`no "=" after label ${label}`);
    i++;
    skipWs();
    if (text[i] !== '"') fail(`label ${label} value is not quoted`);
    i++;
    let value = '';
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] !== '\\') value += text[i];
      else {
        i++;
        value += text[i] === 'n' ? '\n' : (text[i] ?? '');
      }
    }
    if (i >= text.length) fail(`label ${label} value is not closed`);
    labels[label] = value;
    i++;
    skipWs();
    if (text[i] === ',') i++;
    else if (text[i] !== '}') fail('labels are not closed');
  }
}

function parseValue(text: string): number | undefined {
  if (/^[+]?inf$/i.test(text)) return Infinity;
  if (/^-inf$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}
