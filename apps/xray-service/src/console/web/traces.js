import { getJson, h, replace } from './dom.js';
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

/** The trace list: the window's traces matching the filter, newest first, refreshed as they arrive. */
export function renderTraces(main, state) {
  const summary = h('p', { class: 'summary', 'aria-live': 'polite' }, 'Loading…');
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
    h('section', { class: 'view' }, h('h2', {}, 'Traces'), summary, h('div', { class: 'scroll' }, table)),
  );
  let last = '';

  return {
    async refresh() {
      const w = state.window();
      let data;
      try {
        data = await getJson('/console/api/traces', { start: w.start, end: w.end, filter: state.filter });
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
