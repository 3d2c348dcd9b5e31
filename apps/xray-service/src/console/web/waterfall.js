import { getJson, h, replace } from './dom.js';
import { annotationText, clock, dateTime, ms } from './format.js';
import { badges } from './traces.js';

function section(title, content) {
  if (content === undefined || content === null) return null;
  return h('section', { class: 'detail' }, h('h4', {}, title), content);
}

const json = (value) => h('pre', { class: 'json' }, JSON.stringify(value, null, 2));

function pairs(object) {
  const entries = Object.entries(object ?? {});
  if (entries.length === 0) return undefined;
  return h(
    'dl',
    { class: 'pairs' },
    entries.map(([k, v]) => [
      h('dt', {}, k),
      h('dd', {}, typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)),
    ]),
  );
}

function causeView(cause) {
  if (!cause) return undefined;
  if (typeof cause === 'string') return h('p', {}, `exception id ${cause}`);
  return h(
    'div',
    {},
    (cause.exceptions ?? []).map((ex) =>
      h(
        'div',
        { class: 'exception' },
        h(
          'p',
          {},
          h('strong', {}, ex.type ?? 'Exception'),
          ex.remote ? ' (remote)' : '',
          ': ',
          ex.message ?? '',
        ),
        ex.stack?.length
          ? h(
              'pre',
              { class: 'stack' },
              ex.stack.map((f) => `at ${f.label ?? '?'} (${f.path ?? '?'}:${f.line ?? '?'})`).join('\n'),
            )
          : null,
      ),
    ),
    cause.working_directory
      ? h('p', { class: 'muted' }, `working directory: ${cause.working_directory}`)
      : null,
  );
}

/** The detail panel of one row (rows come assembled from the API: the trace model's tree, in order). */
function details(row) {
  const d = row.doc;
  return [
    h(
      'h3',
      {},
      row.name,
      ' ',
      badges({ fault: row.fault, error: row.error, throttle: row.throttle, partial: row.inProgress }),
    ),
    pairs({
      kind: row.kind,
      ...(row.service ? { service: row.service } : {}),
      id: row.id,
      ...(row.parentId ? { parent: row.parentId } : {}),
      ...(row.namespace ? { namespace: row.namespace } : {}),
      ...(row.origin ? { origin: row.origin } : {}),
      start: dateTime(row.start),
      duration: ms(row.end - row.start),
    }),
    section('Annotations', pairs(d.annotations)),
    section('HTTP', d.http ? json(d.http) : undefined),
    section('SQL', d.sql ? json(d.sql) : undefined),
    section('AWS', d.aws ? json(d.aws) : undefined),
    section('Cause', causeView(d.cause)),
    section('Metadata', d.metadata ? json(d.metadata) : undefined),
  ];
}

function logsView(trace) {
  if (!trace.logsAvailable) return h('p', { class: 'muted' }, 'No log folder configured (LOCAL_LOG_DIR).');
  if (trace.logs.length === 0) return h('p', { class: 'muted' }, 'No log line carries this trace id.');
  return h(
    'table',
    { class: 'logs', 'aria-label': 'Log lines of this trace' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ['Time', 'Piece', 'Level', 'Message'].map((t) => h('th', { scope: 'col' }, t)),
      ),
    ),
    h(
      'tbody',
      {},
      trace.logs.map((line) =>
        h(
          'tr',
          { class: `log-${line.level ?? 'info'}` },
          h('td', { class: 'num' }, line.time ? clock(line.time / 1000) : ''),
          h('td', {}, line.piece),
          h('td', {}, line.level ?? ''),
          h(
            'td',
            {},
            h(
              'details',
              {},
              h('summary', {}, line.msg ?? '(no message)'),
              h('pre', { class: 'json' }, line.raw),
            ),
          ),
        ),
      ),
    ),
  );
}

/** "Fault root cause: … · Response time: …", from the summary fields the API computed. */
function rootCauseLine(trace) {
  const parts = [
    trace.faultRootCause && `Fault root cause: ${trace.faultRootCause}`,
    trace.errorRootCause && `Error root cause: ${trace.errorRootCause}`,
    trace.responseTimeRootCause && `Response time spent in: ${trace.responseTimeRootCause}`,
  ].filter(Boolean);
  return parts.length ? h('p', { class: 'root-causes' }, parts.join(' · ')) : null;
}

/** One trace: the waterfall of every segment and subsegment, the selected span's details, and its logs. */
export function renderTrace(main, _state, traceId) {
  const view = h('section', { class: 'view trace-view' }, h('p', {}, 'Loading trace…'));
  replace(main, view);
  let lastText = '';
  let selected;

  const draw = (trace) => {
    const rows = trace.rows;
    const t0 = trace.startTime;
    const t1 = trace.endTime;
    const span = Math.max(t1 - t0, 1e-6);
    const panel = h('aside', { class: 'panel', 'aria-label': 'Selected segment', 'aria-live': 'polite' });
    const rowButtons = [];
    const select = (node, button) => {
      selected = node.id;
      for (const b of rowButtons) b.setAttribute('aria-pressed', String(b === button));
      replace(panel, details(node));
    };
    const list = h(
      'ol',
      { class: 'waterfall', 'aria-label': 'Segments and subsegments' },
      rows.map((node) => {
        const left = ((node.start - t0) / span) * 100;
        const width = Math.max(((node.end - node.start) / span) * 100, 0.3);
        const status = node.fault ? 'fault' : node.throttle ? 'throttle' : node.error ? 'error' : 'ok';
        const button = h(
          'button',
          {
            type: 'button',
            class: `span span-${status} span-${node.kind}`,
            'aria-pressed': 'false',
            dataset: { spanId: node.id, name: node.name },
          },
          h(
            'span',
            { class: 'span-name', title: node.name },
            h('span', { class: 'indent' }),
            h('span', { class: 'label' }, node.name),
          ),
          h(
            'span',
            { class: 'span-service' },
            node.kind === 'segment' ? (node.origin ?? 'segment') : (node.namespace ?? ''),
          ),
          h('span', { class: 'span-track' }, h('span', { class: 'span-bar' })),
          h('span', { class: 'span-duration num' }, ms(node.end - node.start)),
        );
        // Positions through CSSOM, not a style attribute: the page's CSP forbids inline styles.
        button.querySelector('.indent').style.width = `${Math.min(node.depth, 16) * 10}px`;
        const bar = button.querySelector('.span-bar');
        bar.style.left = `${left}%`;
        bar.style.width = `${width}%`;
        button.addEventListener('click', () => select(node, button));
        button.addEventListener('keydown', (event) => {
          const index = rowButtons.indexOf(button);
          if (event.key === 'ArrowDown') rowButtons[index + 1]?.focus();
          else if (event.key === 'ArrowUp') rowButtons[index - 1]?.focus();
          else return;
          event.preventDefault();
        });
        rowButtons.push(button);
        return h('li', {}, button);
      }),
    );
    const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
      const tick = h('span', { class: 'tick' }, ms(span * f));
      tick.style.left = `${f * 100}%`;
      return tick;
    });
    replace(
      view,
      h('p', {}, h('a', { href: '#/traces' }, '← Traces'), h('span', { class: 'muted' }, '  (Esc)')),
      h('h2', {}, 'Trace ', h('span', { class: 'mono' }, trace.id), ' ', badges(trace)),
      h(
        'p',
        { class: 'summary' },
        `${trace.method ?? ''} ${trace.url ?? ''} → ${trace.status ?? '?'} · response ${ms(trace.responseTime)} · duration ${ms(trace.duration)} · started ${dateTime(trace.startTime)}`,
      ),
      rootCauseLine(trace),
      Object.keys(trace.annotations).length
        ? h('p', { class: 'annotations' }, annotationText(trace.annotations))
        : null,
      h(
        'div',
        { class: 'trace-grid' },
        h(
          'div',
          { class: 'waterfall-wrap' },
          h(
            'div',
            { class: 'axis', 'aria-hidden': 'true' },
            h('span', {}),
            h('span', {}),
            h('span', { class: 'axis-track' }, ticks),
            h('span', {}),
          ),
          list,
        ),
        panel,
      ),
      h('h3', {}, `Logs of this trace, every service (${trace.logs.length})`),
      h('div', { class: 'scroll' }, logsView(trace)),
    );
    const again = rows.findIndex((r) => r.id === selected);
    const initial = Math.max(again, 0);
    if (rows[initial]) select(rows[initial], rowButtons[initial]);
    if (again < 0) panel.prepend(h('p', { class: 'muted' }, 'Click a row, or Tab to it and press Enter.'));
  };

  return {
    // A trace is complete once its segments are in; poll only while something may still arrive.
    async refresh() {
      let trace;
      try {
        trace = await getJson(`/console/api/traces/${encodeURIComponent(traceId)}`);
      } catch (err) {
        if (err.status === 404 || err.status === 400) {
          replace(
            view,
            h('p', {}, h('a', { href: '#/traces' }, '← Traces')),
            h('p', {}, `Trace ${traceId}: ${err.message}`),
          );
          return;
        }
        throw err;
      }
      const text = JSON.stringify(trace);
      if (text === lastText) return;
      lastText = text;
      const focused = document.activeElement?.dataset?.spanId;
      draw(trace);
      if (focused) view.querySelector(`button[data-span-id="${CSS.escape(focused)}"]`)?.focus();
    },
    stop() {},
  };
}
