import { getJson, h, replace, s } from './dom.js';
import { annotationText, clock, ms } from './format.js';

/** Badges for a trace's (or span's) status flags. */
export function badges(item) {
  return [
    item.fault ? h('span', { class: 'badge fault', title: '5xx: fault' }, 'fault') : null,
    item.error && !item.throttle ? h('span', { class: 'badge error', title: '4xx: error' }, 'error') : null,
    item.throttle ? h('span', { class: 'badge throttle', title: '429: throttled' }, 'throttle') : null,
    item.partial ? h('span', { class: 'badge partial', title: 'still in progress' }, 'partial') : null,
  ];
}

/** The filter with a `responsetime` band in place of any band it had (seconds, 3 decimals). */
export function withResponseBand(filter, from, to) {
  const band = `responsetime >= ${from.toFixed(3)} AND responsetime <= ${to.toFixed(3)}`;
  const rest = filter
    .replace(/\s*(AND\s+)?responsetime >= [\d.]+ AND responsetime <= [\d.]+/g, '')
    .trim()
    .replace(/^AND\s+/, '');
  return rest ? `(${rest}) AND ${band}` : band;
}

const CHART = { width: 600, height: 90, pad: 4 };

/**
 * The response-time distribution of the window's matching traces as bars; dragging across it (or
 * pressing Enter on a bar) filters the list to that band of response times, as the X-Ray console does.
 */
function histogramView(buckets, state) {
  const svg = s('svg', {
    class: 'histogram',
    viewBox: `0 0 ${CHART.width} ${CHART.height + 16}`,
    role: 'group',
    'aria-label': 'Response time distribution: drag across it to filter by response time',
  });
  if (buckets.length === 0) return svg;
  const max = Math.max(...buckets.map((b) => b.count), 1);
  const step = CHART.width / buckets.length;
  const top = buckets[buckets.length - 1].to;
  const seconds = (x) => Math.max(0, Math.min(top, (x / CHART.width) * top));
  buckets.forEach((b, i) => {
    const height = (b.count / max) * CHART.height;
    const bar = s(
      'rect',
      {
        class: 'bar',
        x: i * step + 1,
        y: CHART.height - height,
        width: Math.max(step - 2, 1),
        height: Math.max(height, b.count ? 1 : 0),
        tabindex: '0',
        dataset: { from: String(b.from), to: String(b.to), count: String(b.count) },
      },
      s('title', {}, `${ms(b.from)} – ${ms(b.to)}: ${b.count} traces`),
    );
    bar.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      state.setFilter(withResponseBand(state.filter, b.from, b.to));
    });
    svg.append(bar);
  });
  svg.append(
    s('text', { x: 0, y: CHART.height + 14, class: 'axis-label' }, '0'),
    s('text', { x: CHART.width, y: CHART.height + 14, class: 'axis-label end' }, ms(top)),
  );
  const band = s('rect', { class: 'band', x: 0, y: 0, width: 0, height: CHART.height, visibility: 'hidden' });
  svg.append(band);
  let start;
  const toX = (event) => {
    const box = svg.getBoundingClientRect();
    return ((event.clientX - box.left) / box.width) * CHART.width;
  };
  svg.addEventListener('pointerdown', (event) => {
    start = toX(event);
    svg.setPointerCapture(event.pointerId);
  });
  svg.addEventListener('pointermove', (event) => {
    if (start === undefined) return;
    const x = toX(event);
    band.setAttribute('x', String(Math.min(start, x)));
    band.setAttribute('width', String(Math.abs(x - start)));
    band.setAttribute('visibility', 'visible');
  });
  svg.addEventListener('pointerup', (event) => {
    if (start === undefined) return;
    const x = toX(event);
    const [a, b] = [start, x].sort((p, q) => p - q);
    start = undefined;
    if (b - a < 3) return; // a click, not a drag
    state.setFilter(withResponseBand(state.filter, seconds(a), seconds(b)));
  });
  return svg;
}

/**
 * The trace list: the window's traces matching the filter, newest first, refreshed as they arrive;
 * `ids` (a metric point's example traces) narrows it to those.
 */
export function renderTraces(main, state, ids) {
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' }, 'Loading…');
  const narrowed = ids?.length
    ? h(
        'p',
        { class: 'narrowed' },
        `Example traces of a metric point (${ids.length}). `,
        h('a', { href: '#/traces' }, 'Show every trace'),
        ' · ',
        h('a', { href: '#/metrics' }, 'Back to metrics'),
      )
    : '';
  const distribution = h('div', { class: 'distribution' });
  const body = h('tbody');
  const table = h(
    'table',
    { class: 'traces', 'aria-label': 'Traces' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        [
          'Time',
          'Trace id',
          'Method',
          'URL',
          'Status',
          'Response',
          'Duration',
          'Flags',
          'Fault root cause',
          'Response time root cause',
          'Annotations',
        ].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    body,
  );
  replace(
    main,
    h(
      'section',
      { class: 'view' },
      h('h2', {}, 'Traces'),
      narrowed,
      summary,
      distribution,
      h('div', { class: 'scroll' }, table),
    ),
  );
  let last = '';

  return {
    async refresh() {
      const w = state.window();
      let data;
      try {
        data = await getJson('/console/api/traces', {
          start: w.start,
          end: w.end,
          filter: state.filter,
          ids: ids?.join(','),
        });
      } catch (err) {
        if (err.status === 400) {
          state.showFilterError(err);
          summary.textContent = 'Fix the filter expression to see traces.';
          replace(body); // rows of another filter would mislead
          last = '';
          return;
        }
        throw err;
      }
      state.showFilterError(undefined);
      summary.textContent = `${data.matched} of ${data.processed} traces in the window match${
        data.matched > data.traces.length ? ` (newest ${data.traces.length} shown)` : ''
      }.`;
      const bars = JSON.stringify(data.histogram);
      if (bars !== distribution.dataset.bars) {
        distribution.dataset.bars = bars;
        replace(distribution, histogramView(data.histogram, state));
      }
      const signature = JSON.stringify(data.traces.map((t) => [t.id, t.duration, t.status, t.partial]));
      if (signature === last) return;
      last = signature;
      const focusedId = document.activeElement?.dataset?.traceId;
      replace(
        body,
        data.traces.map((t) =>
          h(
            'tr',
            { class: t.fault ? 'row-fault' : t.error ? 'row-error' : '' },
            h('td', { class: 'num' }, clock(t.startTime)),
            h(
              'td',
              {},
              h(
                'a',
                { href: `#/trace/${encodeURIComponent(t.id)}`, class: 'mono', dataset: { traceId: t.id } },
                t.id,
              ),
            ),
            h('td', {}, t.method ?? ''),
            h('td', { class: 'url', title: t.url ?? '' }, t.url ?? ''),
            h('td', { class: 'num' }, t.status ?? ''),
            h('td', { class: 'num' }, ms(t.responseTime)),
            h('td', { class: 'num' }, ms(t.duration)),
            h('td', {}, badges(t)),
            h('td', { class: 'root-cause' }, t.faultRootCause ?? t.errorRootCause ?? ''),
            h('td', { class: 'root-cause' }, t.responseTimeRootCause ?? ''),
            h(
              'td',
              { class: 'annotations', title: annotationText(t.annotations) },
              annotationText(t.annotations),
            ),
          ),
        ),
      );
      if (data.traces.length === 0)
        body.append(h('tr', {}, h('td', { colspan: 11, class: 'empty' }, 'No traces yet.')));
      if (focusedId) body.querySelector(`a[data-trace-id="${CSS.escape(focusedId)}"]`)?.focus();
    },
    stop() {},
  };
}
