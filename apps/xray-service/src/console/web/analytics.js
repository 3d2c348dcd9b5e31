import { getJson, h, replace } from './dom.js';
import { ms, pct } from './format.js';

const COLUMNS = [
  { key: 'key', label: 'Group', type: 'text' },
  { key: 'count', label: 'Count', type: 'count' },
  { key: 'p50', label: 'p50', type: 'time' },
  { key: 'p90', label: 'p90', type: 'time' },
  { key: 'p99', label: 'p99', type: 'time' },
  { key: 'max', label: 'Max', type: 'time' },
  { key: 'errorRate', label: 'Error rate', type: 'rate' },
  { key: 'p99Contribution', label: 'p99 contribution', type: 'time' },
];
const MIN_REFRESH_MS = 5000;

const show = (type, value) =>
  value === undefined ? '—' : type === 'time' ? ms(value) : type === 'rate' ? pct(value) : String(value);

/**
 * Analytics: `analyze()` of @parcel/trace-analysis over the window (the numbers `npm run traces -- analyze`
 * prints), grouped by hop name, service or annotation, sortable, optionally next to the window before.
 */
export function renderAnalytics(main, state) {
  const groupSelect = h(
    'select',
    { id: 'group-by' },
    h('option', { value: 'name' }, 'Subsegment name'),
    h('option', { value: 'service' }, 'Service'),
    h('option', { value: 'annotation' }, 'Annotation…'),
    h('option', { value: 'rootcause:fault' }, 'Fault root cause'),
    h('option', { value: 'rootcause:responsetime' }, 'Response-time root cause'),
  );
  const annotationKey = h('input', {
    id: 'annotation-key',
    value: 'cache',
    size: 14,
    spellcheck: 'false',
    'aria-label': 'Annotation key',
  });
  const annotationLabel = h('label', { hidden: true }, 'key ', annotationKey);
  const compare = h('input', { type: 'checkbox', id: 'compare' });
  const summary = h('div', { class: 'compare-summary' });
  const table = h('table', { class: 'analytics', 'aria-label': 'Analytics' });
  const note = h('p', { class: 'muted' });
  replace(
    main,
    h(
      'section',
      { class: 'view' },
      h('h2', {}, 'Analytics'),
      h(
        'div',
        { class: 'controls' },
        h('label', {}, 'Group by ', groupSelect),
        annotationLabel,
        h('label', {}, compare, ' Compare with the window before'),
      ),
      summary,
      note,
      h('div', { class: 'scroll' }, table),
    ),
  );
  let sort = { key: 'p99Contribution', dir: -1 };
  let data;
  let lastFetch = 0;

  const groupBy = () =>
    groupSelect.value === 'annotation' ? `annotation:${annotationKey.value.trim()}` : groupSelect.value;

  const draw = () => {
    if (!data) return;
    const { current, previous } = data;
    const before = new Map((previous?.rows ?? []).map((r) => [r.key, r]));
    const windowCard = (title, a) =>
      h(
        'div',
        { class: 'card' },
        h('h3', {}, title),
        h(
          'p',
          {},
          `${a.traces} traces · p50 ${ms(a.p50)} · p99 ${ms(a.p99)} · max ${ms(a.max)}${a.truncated ? ' (newest 5000)' : ''}`,
        ),
        a.slowTraceIds.length
          ? h(
              'p',
              {},
              'Slowest: ',
              a.slowTraceIds.map((id) => [h('a', { href: `#/trace/${id}`, class: 'mono' }, id), ' ']),
            )
          : null,
      );
    replace(
      summary,
      windowCard(
        `${new Date(current.start * 1000).toLocaleTimeString()} – ${new Date(current.end * 1000).toLocaleTimeString()}`,
        current,
      ),
      previous
        ? windowCard(
            `Before: ${new Date(previous.start * 1000).toLocaleTimeString()} – ${new Date(previous.end * 1000).toLocaleTimeString()}`,
            previous,
          )
        : null,
    );
    note.textContent =
      'Rows ranked by p99 contribution: mean time, per trace at or above the p99, spent in the group itself.';
    const column = COLUMNS.find((c) => c.key === sort.key) ?? COLUMNS[0];
    const rows = [...current.rows].sort((a, b) => {
      const x = a[column.key];
      const y = b[column.key];
      return (typeof x === 'string' ? x.localeCompare(y) : x - y) * sort.dir;
    });
    const header = COLUMNS.map((c) =>
      h(
        'th',
        {
          scope: 'col',
          'aria-sort': c.key === sort.key ? (sort.dir < 0 ? 'descending' : 'ascending') : 'none',
        },
        h(
          'button',
          {
            type: 'button',
            class: 'sort',
            onclick: () => {
              sort = { key: c.key, dir: c.key === sort.key ? -sort.dir : c.type === 'text' ? 1 : -1 };
              draw();
              table.querySelector(`th button[data-key="${c.key}"]`)?.focus();
            },
            dataset: { key: c.key },
          },
          c.label,
          c.key === sort.key ? (sort.dir < 0 ? ' ▼' : ' ▲') : '',
        ),
      ),
    );
    replace(
      table,
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          header,
          previous ? h('th', { scope: 'col' }, 'Δ p99') : null,
          h('th', { scope: 'col' }, 'Example traces'),
        ),
      ),
      h(
        'tbody',
        {},
        rows.map((r) => {
          const old = before.get(r.key);
          return h(
            'tr',
            { class: r.faults ? 'row-fault' : r.errors ? 'row-error' : '', dataset: { group: r.key } },
            COLUMNS.map((c) =>
              c.type === 'text'
                ? h('th', { scope: 'row' }, r.key)
                : h(
                    'td',
                    { class: `num col-${c.key}` },
                    show(c.type, r[c.key]),
                    previous
                      ? h(
                          'span',
                          { class: 'before' },
                          old ? show(c.type, old[c.key]) : c.key === 'count' ? 'new' : '',
                        )
                      : null,
                  ),
            ),
            previous
              ? h(
                  'td',
                  { class: 'num delta' },
                  old ? `${r.p99 >= old.p99 ? '+' : '−'}${ms(Math.abs(r.p99 - old.p99))}` : '—',
                )
              : null,
            h(
              'td',
              {},
              r.exampleTraceIds.map((id) => [
                h('a', { href: `#/trace/${id}`, class: 'mono small' }, id.slice(-12)),
                ' ',
              ]),
            ),
          );
        }),
      ),
    );
    if (rows.length === 0)
      table.append(
        h('tbody', {}, h('tr', {}, h('td', { colspan: 10, class: 'empty' }, 'No traces in the window.'))),
      );
  };

  const refresh = async (force) => {
    if (!force && Date.now() - lastFetch < MIN_REFRESH_MS) return;
    lastFetch = Date.now();
    const w = state.window();
    const span = w.end - w.start;
    try {
      data = await getJson('/console/api/analytics', {
        start: w.start,
        end: w.end,
        filter: state.filter,
        groupBy: groupBy(),
        ...(compare.checked ? { compareStart: w.start - span, compareEnd: w.start } : {}),
      });
    } catch (err) {
      if (err.status === 400) {
        if (err.position !== undefined) state.showFilterError(err);
        else note.textContent = err.message;
        return;
      }
      throw err;
    }
    state.showFilterError(undefined);
    draw();
  };
  groupSelect.addEventListener('change', () => {
    annotationLabel.hidden = groupSelect.value !== 'annotation';
    refresh(true);
  });
  annotationKey.addEventListener('change', () => refresh(true));
  compare.addEventListener('change', () => refresh(true));
  return { refresh: (first) => refresh(first), stop() {} };
}
