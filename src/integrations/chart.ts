/**
 * Line charts as PNG, for the 24-hour watch summary posted in a run's Slack thread.
 *
 * Apache ECharts draws the chart server-side as an SVG string (no DOM, no canvas); `@resvg/resvg-js`
 * rasterises it. resvg is given the DejaVu Sans files of the `dejavu-fonts-ttf` package and never the
 * system's fonts, so the labels look the same on a laptop, in CI and in the slim Docker image (which
 * has no fonts at all).
 *
 * {@link buildChartOption} is pure (input → ECharts option); {@link renderLineChartSvg} and
 * {@link renderLineChart} are the thin shells around the two libraries.
 */
import { createRequire } from 'node:module';
import { renderAsync } from '@resvg/resvg-js';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';

echarts.use([LineChart, GridComponent, LegendComponent, MarkLineComponent, TitleComponent, SVGRenderer]);

/** One point of a series: `t` in epoch milliseconds, `v` the value, or null for a gap (the line breaks). */
export interface ChartPoint {
  t: number;
  v: number | null;
}

/** A line. Series of the first unit seen use the left y-axis, those of a second unit the right one. */
export interface ChartSeries {
  name: string;
  /** e.g. `ms`, `%`; shown on its axis. Series without a unit share the axis of the first series without one. */
  unit?: string;
  points: ChartPoint[];
}

/** A labelled vertical line across the chart, e.g. `{ t: deployedAt, label: 'deploy' }`. */
export interface ChartMarker {
  t: number;
  label: string;
}

/** What {@link renderLineChart} draws. */
export interface ChartInput {
  title: string;
  series: ChartSeries[];
  markers: ChartMarker[];
  /** Pixels; default {@link DEFAULT_CHART_WIDTH}. */
  width?: number;
  /** Pixels; default {@link DEFAULT_CHART_HEIGHT}. */
  height?: number;
}

export const DEFAULT_CHART_WIDTH = 1200;
export const DEFAULT_CHART_HEIGHT = 480;

/** The family every label is drawn in; resvg gets exactly the files of {@link CHART_FONT_FILES}. */
export const CHART_FONT_FAMILY = 'DejaVu Sans';

const require = createRequire(import.meta.url);

/** The font files given to resvg (regular for labels, bold for the title). */
export const CHART_FONT_FILES: readonly string[] = [
  require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
  require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
];

/**
 * The y-axis (0 left, 1 right) of each series, by unit in order of first appearance. A third distinct
 * unit is a caller's mistake (two axes at most) and throws a RangeError.
 */
export function axisIndexByUnit(series: readonly ChartSeries[]): number[] {
  const units: (string | undefined)[] = [];
  return series.map((s) => {
    let i = units.indexOf(s.unit);
    if (i < 0) {
      if (units.length === 2) {
        throw new RangeError(`a chart has two y-axes; "${s.name}" brings a third unit (${s.unit ?? 'none'})`);
      }
      i = units.push(s.unit) - 1;
    }
    return i;
  });
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Time-axis label: `HH:MM` in UTC, with the UTC date under it at midnight. */
export function utcAxisLabel(ms: number): string {
  const d = new Date(ms);
  const hhmm = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  if (d.getUTCHours() !== 0 || d.getUTCMinutes() !== 0) return hhmm;
  return `${hhmm}\n${d.toISOString().slice(0, 10)}`;
}

function unitsOf(series: readonly ChartSeries[], axes: readonly number[]): (string | undefined)[] {
  const units: (string | undefined)[] = [];
  series.forEach((s, i) => {
    const axis = axes[i] ?? 0;
    if (!(axis in units)) units[axis] = s.unit;
  });
  return units.length === 0 ? [undefined] : units;
}

/** The ECharts option for `input` (pure). Animation off: there is one frame. */
export function buildChartOption(input: ChartInput): echarts.EChartsCoreOption {
  const axes = axisIndexByUnit(input.series);
  const units = unitsOf(input.series, axes);
  const lines = input.series.map((s, i) => ({
    type: 'line',
    name: s.name,
    yAxisIndex: axes[i] ?? 0,
    showSymbol: false,
    connectNulls: false,
    data: s.points.map((p) => [p.t, p.v]),
  }));
  // The markers ride on a series of their own, so that they show with no data and stay out of the legend.
  const markers = {
    type: 'line',
    id: 'markers',
    data: [],
    yAxisIndex: 0,
    markLine: {
      silent: true,
      symbol: ['none', 'none'],
      lineStyle: { type: 'dashed', color: '#d62728', width: 1.5 },
      label: { position: 'end', color: '#d62728' },
      data: input.markers.map((m) => ({ xAxis: m.t, name: m.label, label: { formatter: m.label } })),
    },
  };
  return {
    animation: false,
    useUTC: true,
    backgroundColor: '#ffffff',
    textStyle: { fontFamily: CHART_FONT_FAMILY },
    title: { text: input.title, left: 'center', top: 8 },
    color: ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b'],
    legend: { top: 36, itemGap: 24, data: input.series.map((s) => s.name) },
    grid: { left: 64, right: units.length > 1 ? 64 : 32, top: 80, bottom: 72 },
    xAxis: {
      type: 'time',
      name: 'time (UTC)',
      nameLocation: 'middle',
      nameGap: 48,
      axisLabel: { formatter: (value: number) => utcAxisLabel(value), hideOverlap: true },
      splitLine: { show: false },
    },
    yAxis: units.map((unit, i) => ({
      type: 'value',
      position: i === 0 ? 'left' : 'right',
      name: unit ?? '',
      scale: false,
      splitLine: { show: i === 0 },
      axisLabel: { hideOverlap: true },
    })),
    series: [...lines, markers],
  };
}

/** The chart as an SVG document (ECharts server-side rendering). */
export function renderLineChartSvg(input: ChartInput): string {
  const width = input.width ?? DEFAULT_CHART_WIDTH;
  const height = input.height ?? DEFAULT_CHART_HEIGHT;
  const option = buildChartOption(input);
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption(option);
    return chart.renderToSVGString();
  } finally {
    chart.dispose();
  }
}

/**
 * The chart as a PNG of exactly `width` × `height` pixels. The rasterising runs on libuv's thread pool
 * (resvg's `renderAsync`), not on the event loop; building the SVG is synchronous.
 */
export async function renderLineChart(input: ChartInput): Promise<Buffer> {
  const svg = renderLineChartSvg(input);
  const image = await renderAsync(svg, {
    font: { fontFiles: [...CHART_FONT_FILES], loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY },
  });
  return image.asPng();
}
