import { polyline, SERIES, timeFrame } from './chart.js';
import { getJson, h, replace, s } from './dom.js';

/** Periods a window is bucketed by: the shortest that draws at most this many points. */
const PERIODS = [10, 30, 60, 300, 900, 3600];
const MAX_POINTS = 180;

export function periodFor(window) {
  const span = window.end - window.start;
  return PERIODS.find((p) => span / p <= MAX_POINTS) ?? PERIODS[PERIODS.length - 1];
}

/** What a point shows: a count's sum per bucket, any other unit's p99 (max and avg in its title). */
const plotted = (metric) => (metric.unit === 'Count' ? (p) => p.sum : (p) => p.p99);
const statName = (metric) => (metric.unit === 'Count' ? 'sum' : 'p99');

const dimensionText = (dimensions) =>
  Object.entries(dimensions)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');

/** The metric's identity as one attribute value (namespace/name[, dimensions]). */
const metricKey = (metric) =>
  `${metric.namespace}/${metric.name}${Object.keys(metric.dimensions).length ? ` ${dimensionText(metric.dimensions)}` : ''}`;

function pointTitle(metric, p, period) {
  const when = `${new Date(p.t * 1000).toLocaleTimeString()} (+${period} s)`;
  const stats =
    metric.unit === 'Count'
      ? `${p.sum} in ${p.count} line${p.count === 1 ? '' : 's'}`
      : `p99 ${p.p99.toFixed(1)}, max ${p.max.toFixed(1)}, avg ${p.avg.toFixed(1)} ${metric.unit} over ${p.count} values`;
  const traces = p.traceIds.length
    ? `; ${p.traceIds.length} example trace${p.traceIds.length === 1 ? '' : 's'}: Enter or click to list`
    : '; no example traces';
  return `${when}: ${stats}${traces}`;
}

/**
 * One metric's chart: a point per bucket (its sum for a count, its p99 otherwise); a point whose lines
 * named traces is a control: click it (or Enter) to list those traces, as ServiceLens leads from a
 * metric's spike to its traces.
 */
function metricChart(metric, window, period, state) {
  const value = plotted(metric);
  const points = metric.points;
  const highest = Math.max(...points.map(value));
  const frame = timeFrame({
    label: `${metricKey(metric)}: ${statName(metric)} per ${period} s; points with example traces open them`,
    // The whole window, the same for every chart: a spike in one lines up with the others.
    t0: window.start,
    t1: window.end,
    period,
    max: Math.max(highest, 1) * 1.1,
    className: 'metric-chart',
    role: 'group',
  });
  const open = (p) => state.openTraceList(p.traceIds);
  frame.svg.append(
    polyline(frame, points, value, 'metric-line'),
    s('line', {
      class: 'threshold highest',
      x1: SERIES.pad,
      x2: SERIES.width - SERIES.pad,
      y1: frame.y(highest),
      y2: frame.y(highest),
    }),
    s(
      'text',
      { class: 'threshold-label', x: SERIES.width - SERIES.pad, y: frame.y(highest) - 4 },
      `highest ${statName(metric)}: ${Number(highest.toFixed(1))} ${metric.unit}`,
    ),
    ...frame.timeAxis(),
    // The points last: drawn over the lines, nothing covers them for the pointer.
    ...points.map((p) => {
      const linked = p.traceIds.length > 0;
      const dot = s(
        'circle',
        {
          class: linked ? 'point linked' : 'point',
          cx: frame.x(p.t),
          cy: frame.y(value(p)),
          r: linked ? 5 : 3,
          ...(linked ? { tabindex: '0', role: 'button' } : {}),
          'aria-label': pointTitle(metric, p, period),
          dataset: { t: String(p.t), value: String(value(p)), traceIds: p.traceIds.join(',') },
        },
        s('title', {}, pointTitle(metric, p, period)),
      );
      if (linked) {
        dot.addEventListener('click', () => open(p));
        dot.addEventListener('keydown', (event) => {
          if (event.key !== 'Enter' && event.key !== ' ') return;
          event.preventDefault();
          open(p);
        });
      }
      return dot;
    }),
  );
  return h(
    'figure',
    { class: 'metric', dataset: { metric: metric.name, key: metricKey(metric) } },
    h('h3', {}, metric.name, ' ', h('span', { class: 'muted' }, `${metric.namespace} · ${metric.unit}`)),
    Object.keys(metric.dimensions).length ? h('p', { class: 'muted' }, dimensionText(metric.dimensions)) : '',
    frame.svg,
    h(
      'figcaption',
      {},
      `${statName(metric)} per ${period} s from the EMF lines the pieces printed; larger points name example traces.`,
    ),
  );
}

/** The EMF metrics the pieces print (vendor_stale, latency, requests), one chart each. */
export function renderMetrics(main, state) {
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' }, 'Loading…');
  const charts = h('div', { class: 'metric-charts' });
  replace(main, h('section', { class: 'view' }, h('h2', {}, 'Metrics'), summary, charts));
  let last = '';
  return {
    async refresh() {
      const w = state.window();
      const period = periodFor(w);
      const data = await getJson('/console/api/metrics', { start: w.start, end: w.end, period });
      if (!data.available) {
        summary.textContent = 'No log folder (LOCAL_LOG_DIR): the pieces’ EMF lines cannot be read.';
        return;
      }
      summary.textContent = data.metrics.length
        ? `${data.metrics.length} metrics in the window, by ${period} s.`
        : 'No EMF metrics printed in the window yet.';
      const text = JSON.stringify(data.metrics);
      if (text === last) return;
      last = text;
      // Keep the keyboard where it was across a refresh.
      const focused = document.activeElement?.closest?.('figure.metric')?.dataset.key;
      const focusedT = document.activeElement?.dataset?.t;
      replace(
        charts,
        data.metrics.map((m) => metricChart(m, w, period, state)),
      );
      if (focused && focusedT)
        charts
          .querySelector(`figure[data-key="${CSS.escape(focused)}"] circle[data-t="${CSS.escape(focusedT)}"]`)
          ?.focus();
    },
    stop() {},
  };
}
