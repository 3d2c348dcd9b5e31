import { polyline, SERIES, timeFrame } from './chart.js';
import { getJson, h, replace, s } from './dom.js';
import { ms, pct } from './format.js';

const BOX_W = 172;
const BOX_H = 84;
const COL_GAP = 56;
const ROW_GAP = 22;

/** Columns by call depth: a node sits one column right of the deepest caller that reaches it first. */
export function layoutByDepth(nodes) {
  const incoming = new Map(nodes.map((n) => [n.id, 0]));
  for (const n of nodes) for (const e of n.edges) incoming.set(e.to, (incoming.get(e.to) ?? 0) + 1);
  const depth = new Map();
  const queue = nodes.filter((n) => incoming.get(n.id) === 0).map((n) => n.id);
  for (const id of queue) depth.set(id, 0);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  while (queue.length) {
    const id = queue.shift();
    for (const e of byId.get(id)?.edges ?? []) {
      if (depth.has(e.to)) continue; // first (shallowest) placement wins; cycles stop here
      depth.set(e.to, depth.get(id) + 1);
      queue.push(e.to);
    }
  }
  for (const n of nodes) if (!depth.has(n.id)) depth.set(n.id, 0);
  const columns = [];
  for (const n of nodes) {
    const d = depth.get(n.id);
    if (!columns[d]) columns[d] = [];
    columns[d].push(n);
  }
  const position = new Map();
  for (const [c, col] of columns.entries()) {
    for (const [r, n] of col.entries()) {
      position.set(n.id, { x: 10 + c * (BOX_W + COL_GAP), y: 10 + r * (BOX_H + ROW_GAP) });
    }
  }
  const width = 20 + columns.length * (BOX_W + COL_GAP) - COL_GAP;
  const height = 20 + Math.max(1, ...columns.map((c) => c.length)) * (BOX_H + ROW_GAP) - ROW_GAP;
  return { position, width, height };
}

function health(n) {
  if (n.faultRate > 0) return 'fault';
  if (n.errorRate > 0) return 'error';
  return 'ok';
}

/**
 * One node's time series, a point a minute: p50 and p99 response time as lines, faults as a share of
 * requests as bars, with the CDK stack's alarm thresholds (p99, 5xx %) drawn as dashed lines.
 */
function seriesChart(series) {
  const { points, thresholds } = series;
  if (points.length === 0) return h('p', { class: 'muted' }, `No calls to ${series.node} in the window.`);
  const maxMs = Math.max(thresholds.p99Ms * 1.2, ...points.map((p) => p.p99 * 1000));
  const t0 = points[0].t;
  const frame = timeFrame({
    label: `${series.node}: requests, faults, p50 and p99 per minute`,
    t0,
    t1: points[points.length - 1].t,
    period: series.period,
    max: maxMs,
  });
  const { svg: chart, x, y } = frame;
  const line = (key, cls) => polyline(frame, points, (p) => p[key] * 1000, cls);
  const faultY = (share) => SERIES.height - share * (SERIES.height - 10);
  chart.append(
    ...points.map((p) =>
      s(
        'rect',
        {
          class: 'fault-bar',
          x: x(p.t) - 4,
          y: faultY(p.requests ? p.faults / p.requests : 0),
          width: 8,
          height: SERIES.height - faultY(p.requests ? p.faults / p.requests : 0),
          dataset: { requests: String(p.requests), faults: String(p.faults) },
        },
        s(
          'title',
          {},
          `${new Date(p.t * 1000).toLocaleTimeString()}: ${p.requests} requests, ${p.faults} faults`,
        ),
      ),
    ),
    line('p50', 'p50'),
    line('p99', 'p99'),
    // Dots too: a window of one minute is one point, which a line alone would not show.
    ...points.flatMap((p) =>
      ['p50', 'p99'].map((key) =>
        s('circle', { class: `dot ${key}`, cx: x(p.t), cy: y(p[key] * 1000), r: key === 'p99' ? 3.5 : 2.5 }),
      ),
    ),
    s('line', {
      class: 'threshold',
      x1: SERIES.pad,
      x2: SERIES.width - SERIES.pad,
      y1: y(thresholds.p99Ms),
      y2: y(thresholds.p99Ms),
      dataset: { threshold: 'p99', value: String(thresholds.p99Ms) },
    }),
    s(
      'text',
      { class: 'threshold-label', x: SERIES.width - SERIES.pad, y: y(thresholds.p99Ms) - 4 },
      `p99 alarm ${thresholds.p99Ms} ms`,
    ),
    s('line', {
      class: 'threshold fault-threshold',
      x1: SERIES.pad,
      x2: SERIES.width - SERIES.pad,
      y1: faultY(thresholds.faultPercent / 100),
      y2: faultY(thresholds.faultPercent / 100),
      dataset: { threshold: 'faults', value: String(thresholds.faultPercent) },
    }),
    ...frame.timeAxis(),
  );
  return h(
    'figure',
    { class: 'node-series' },
    chart,
    h(
      'figcaption',
      {},
      `${series.node}: p50 (thin) and p99 (bold) response time per minute; bars: faults as a share of requests; dashed: the stack's alarms (p99 ${thresholds.p99Ms} ms, 5xx ${thresholds.faultPercent} %).`,
    ),
  );
}

export function renderMap(main, state) {
  const figure = h('div', { class: 'map-wrap' });
  const seriesView = h('div', { class: 'series-wrap', 'aria-live': 'polite' });
  let selectedNode;
  const showSeries = async () => {
    if (!selectedNode) return;
    const w = state.window();
    const series = await getJson('/console/api/node-series', {
      start: w.start,
      end: w.end,
      node: selectedNode.name,
      type: selectedNode.type,
    });
    replace(seriesView, h('h3', {}, `Time series: ${selectedNode.name}`), seriesChart(series));
  };
  const summary = h('p', { class: 'summary' }, 'Loading…');
  const body = h('tbody');
  replace(
    main,
    h(
      'section',
      { class: 'view' },
      h('h2', {}, 'Service map'),
      summary,
      figure,
      h('h3', {}, 'Nodes'),
      h(
        'div',
        { class: 'scroll' },
        h(
          'table',
          { class: 'nodes', 'aria-label': 'Service map nodes' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['Node', 'Type', 'Requests', 'Error rate', 'Fault rate', 'p50', 'p99', 'Calls'].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          body,
        ),
      ),
      seriesView,
    ),
  );
  let last = '';
  return {
    async refresh() {
      const w = state.window();
      const data = await getJson('/console/api/service-map', { start: w.start, end: w.end });
      summary.textContent = `${data.traces} traces in the window. Node colour: red = faults, amber = errors.`;
      await showSeries();
      const text = JSON.stringify(data.nodes);
      if (text === last) return;
      last = text;
      const nodes = data.nodes;
      const byId = new Map(nodes.map((n) => [n.id, n]));
      const { position, width, height } = layoutByDepth(nodes);
      const edges = [];
      for (const n of nodes) {
        for (const e of n.edges) {
          const a = position.get(n.id);
          const b = position.get(e.to);
          if (!a || !b) continue;
          const x1 = a.x + BOX_W;
          const y1 = a.y + BOX_H / 2;
          const x2 = b.x;
          const y2 = b.y + BOX_H / 2;
          const mid = (x1 + x2) / 2;
          edges.push(
            s(
              'g',
              { class: `edge edge-${e.faultRate > 0 ? 'fault' : e.errorRate > 0 ? 'error' : 'ok'}` },
              s(
                'title',
                {},
                `${n.name} → ${byId.get(e.to)?.name}: ${e.count} calls, p50 ${ms(e.p50)}, p99 ${ms(e.p99)}`,
              ),
              s('path', {
                d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 4},${y2}`,
                'marker-end': 'url(#arrow)',
              }),
              s('text', { x: mid, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' }, String(e.count)),
            ),
          );
        }
      }
      const boxes = nodes.map((n) => {
        const p = position.get(n.id);
        const lines =
          n.type === 'client'
            ? ['client']
            : [
                `${n.count} req · p50 ${ms(n.p50)}`,
                `p99 ${ms(n.p99)}`,
                `4xx ${pct(n.errorRate)} · 5xx ${pct(n.faultRate)}`,
              ];
        return s(
          'g',
          { class: `node node-${health(n)}`, transform: `translate(${p.x},${p.y})` },
          s('title', {}, `${n.name} (${n.type ?? 'service'})`),
          s('rect', { width: BOX_W, height: BOX_H, rx: 8 }),
          s(
            'text',
            { x: 10, y: 20, class: 'node-name' },
            n.name.length > 22 ? `${n.name.slice(0, 21)}…` : n.name,
          ),
          lines.map((line, i) => s('text', { x: 10, y: 40 + i * 16, class: 'node-stat' }, line)),
        );
      });
      replace(
        figure,
        nodes.length === 0
          ? h('p', { class: 'muted' }, 'No traces in the window.')
          : s(
              'svg',
              {
                viewBox: `0 0 ${width} ${height}`,
                width: '100%',
                role: 'img',
                'aria-label': 'Service map',
                class: 'map',
              },
              s(
                'defs',
                {},
                s(
                  'marker',
                  {
                    id: 'arrow',
                    viewBox: '0 0 10 10',
                    refX: 9,
                    refY: 5,
                    markerWidth: 7,
                    markerHeight: 7,
                    orient: 'auto-start-reverse',
                  },
                  s('path', { d: 'M0,0 L10,5 L0,10 z' }),
                ),
              ),
              edges,
              boxes,
            ),
      );
      // Scales down to the page's width, never up (CSSOM: the CSP forbids style attributes).
      const svg = figure.querySelector('svg');
      if (svg) svg.style.maxWidth = `${width}px`;
      replace(
        body,
        nodes
          .filter((n) => n.type !== 'client')
          .map((n) =>
            h(
              'tr',
              { class: `row-${health(n)}`, dataset: { node: n.name } },
              h(
                'th',
                { scope: 'row' },
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'series-button',
                    title: 'Show this node’s time series',
                    onclick: () => {
                      selectedNode = { name: n.name, type: n.type };
                      void showSeries();
                    },
                  },
                  n.name,
                ),
              ),
              h('td', {}, n.type ?? ''),
              h('td', { class: 'num' }, n.count),
              h('td', { class: 'num' }, pct(n.errorRate)),
              h('td', { class: 'num' }, pct(n.faultRate)),
              h('td', { class: 'num' }, ms(n.p50)),
              h('td', { class: 'num' }, ms(n.p99)),
              h('td', {}, n.edges.map((e) => byId.get(e.to)?.name).join(', ')),
            ),
          ),
      );
    },
    stop() {},
  };
}
