import {
  axisIndexByUnit,
  buildChartOption,
  renderLineChart,
  renderLineChartSvg,
  utcAxisLabel,
  type ChartInput,
} from '../../src/integrations/chart.js';

const T0 = Date.UTC(2026, 0, 10, 2, 0);
const STEP_MS = 5 * 60_000;
const DEPLOY_AT = T0 + 144 * STEP_MS;

/** 288 five-minute samples (24 h); samples 100..109 are missing in both series. */
function samples(f: (i: number) => number): { t: number; v: number | null }[] {
  return Array.from({ length: 288 }, (_, i) => ({
    t: T0 + i * STEP_MS,
    v: i >= 100 && i < 110 ? null : f(i),
  }));
}

const input: ChartInput = {
  title: 'orders-api, 24 h after run 42',
  series: [
    {
      name: 'p95 latency',
      unit: 'ms',
      points: samples((i) => 120 + 40 * Math.sin(i / 20) + (i > 144 ? 30 : 0)),
    },
    { name: 'error rate', unit: '%', points: samples((i) => 0.5 + 0.3 * Math.cos(i / 15)) },
  ],
  markers: [{ t: DEPLOY_AT, label: 'deploy' }],
  width: 1000,
  height: 420,
};

/** The text content of every <text> element. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');
}

describe('renderLineChart', () => {
  it('returns a PNG of exactly the requested size', async () => {
    const png = await renderLineChart(input);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.toString('ascii', 12, 16)).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBe(1000);
    expect(png.readUInt32BE(20)).toBe(420);
  });

  it('uses the default size when none is given', async () => {
    const png = await renderLineChart({ ...input, width: undefined, height: undefined });
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([1200, 480]);
  });

  it('renders a chart with no series and no markers', async () => {
    const png = await renderLineChart({
      title: 'nothing yet',
      series: [],
      markers: [],
      width: 300,
      height: 200,
    });
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([300, 200]);
  });
});

describe('renderLineChartSvg', () => {
  const svg = renderLineChartSvg(input);

  it('names the series, the marker, the units and the UTC axis', () => {
    const labels = texts(svg);
    expect(labels).toEqual(
      expect.arrayContaining(['p95 latency', 'error rate', 'deploy', 'ms', '%', 'time (UTC)', input.title]),
    );
    expect(svg).toContain('width="1000"');
    expect(svg).toContain('height="420"');
  });

  it('breaks each line at the gap', () => {
    // A line is one <path> with many segments; a gap starts a new sub-path (a second M).
    const lines = [...svg.matchAll(/<path d="([^"]*)"/g)]
      .map((m) => m[1] ?? '')
      .filter((d) => (d.match(/L/g) ?? []).length > 100);
    expect(lines).toHaveLength(2);
    for (const d of lines) expect((d.match(/M/g) ?? []).length).toBe(2);
  });

  it('labels the time axis in UTC', () => {
    // Ticks are placed in UTC only with useUTC (else in the process time zone, e.g. 02:30, 06:30 in
    // Asia/Kolkata); the zone cannot be changed inside jest, so the option is checked as well.
    expect(buildChartOption(input)).toMatchObject({ useUTC: true });
    expect(texts(svg)).toEqual(expect.arrayContaining(['04:00', '12:00', '00:00', '2026-01-11']));
  });
});

describe('buildChartOption', () => {
  it('puts the deploy marker on a vertical line at its time, outside the legend', () => {
    const option = buildChartOption(input) as {
      legend: { data: string[] };
      series: { markLine?: { data: { xAxis: number; name: string }[] } }[];
    };
    expect(option.legend.data).toEqual(['p95 latency', 'error rate']);
    const marks = option.series.flatMap((s) => s.markLine?.data ?? []);
    expect(marks).toEqual([expect.objectContaining({ xAxis: DEPLOY_AT, name: 'deploy' })]);
  });

  it('gives one y-axis per unit', () => {
    const option = buildChartOption(input) as { yAxis: { name: string; position: string }[] };
    expect(option.yAxis.map((a) => [a.name, a.position])).toEqual([
      ['ms', 'left'],
      ['%', 'right'],
    ]);
  });
});

describe('axisIndexByUnit', () => {
  const s = (name: string, unit?: string) => ({ name, ...(unit === undefined ? {} : { unit }), points: [] });

  it.each([
    [[], []],
    [[s('a', 'ms')], [0]],
    [
      [s('a', 'ms'), s('b', 'ms')],
      [0, 0],
    ],
    [
      [s('a', 'ms'), s('b', '%'), s('c', 'ms')],
      [0, 1, 0],
    ],
    [
      [s('a'), s('b', '%'), s('c')],
      [0, 1, 0],
    ],
  ])('%#', (series, expected) => {
    expect(axisIndexByUnit(series)).toEqual(expected);
  });

  it('refuses a third unit', () => {
    expect(() => axisIndexByUnit([s('a', 'ms'), s('b', '%'), s('c', 'rps')])).toThrow(RangeError);
  });
});

describe('utcAxisLabel', () => {
  it.each([
    [Date.UTC(2026, 0, 10, 14, 5), '14:05'],
    [Date.UTC(2026, 0, 11, 0, 0), '00:00\n2026-01-11'],
  ])('%s → %j', (ms, label) => {
    expect(utcAxisLabel(ms)).toBe(label);
  });
});
