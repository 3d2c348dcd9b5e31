import { renderAnalytics } from './analytics.js';
import { h, replace } from './dom.js';
import { fromLocalInput, toLocalInput } from './format.js';
import { renderMetrics } from './metrics.js';
import { renderMap } from './service-map.js';
import { renderTraces } from './traces.js';
import { renderTrace } from './waterfall.js';

const POLL_MS = 2000;

const el = (id) => document.getElementById(id);
const main = el('main');
const windowSelect = el('window');
const filterInput = el('filter');
const filterError = el('filter-error');
const live = el('live');

/** What every view reads: the time window (epoch seconds, recomputed per poll) and the filter text. */
const state = {
  filter: '',
  window() {
    if (windowSelect.value === 'custom') {
      const start = fromLocalInput(el('from').value);
      const end = fromLocalInput(el('to').value);
      if (Number.isFinite(start) && Number.isFinite(end)) return { start, end, live: false };
    }
    const span = Number(windowSelect.value) || 900;
    const end = Date.now() / 1000;
    return { start: end - span, end, live: true };
  },
  /** A filter error from the server: shows the expression with a caret under the position. */
  showFilterError(err) {
    if (!err) {
      filterError.hidden = true;
      filterInput.removeAttribute('aria-invalid');
      return;
    }
    const position = typeof err.position === 'number' ? err.position : undefined;
    const children = [
      h('strong', {}, 'Filter error'),
      position === undefined ? '' : ` at position ${position}`,
      `: ${err.message}`,
    ];
    if (position !== undefined) {
      children.push(
        h(
          'pre',
          { class: 'caret' },
          state.filter,
          '\n',
          `${' '.repeat(Math.min(position, state.filter.length))}^`,
        ),
      );
    }
    replace(filterError, children);
    filterError.hidden = false;
    filterInput.setAttribute('aria-invalid', 'true');
  },
  /** Puts an expression in the filter box and applies it (what a dragged histogram band does). */
  setFilter(text) {
    filterInput.value = text;
    state.filter = text;
    tick(true);
  },
  openTrace(id) {
    location.hash = `#/trace/${id}`;
  },
  /** The trace list narrowed to these traces (a metric point's examples), in the same window. */
  openTraceList(ids) {
    location.hash = `#/traces/${ids.map(encodeURIComponent).join(',')}`;
  },
};

let current = { name: '', stop: () => {} };
let timer;

function route() {
  const hash = location.hash || '#/traces';
  const [, view = 'traces', arg] = hash.split('/');
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.view === (view === 'trace' ? 'traces' : view)) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  current.stop();
  clearTimeout(timer);
  replace(main);
  const views = {
    traces: () => renderTraces(main, state, arg ? decodeURIComponent(arg).split(',') : undefined),
    trace: () => renderTrace(main, state, decodeURIComponent(arg ?? '')),
    map: () => renderMap(main, state),
    analytics: () => renderAnalytics(main, state),
    metrics: () => renderMetrics(main, state),
  };
  current = (views[view] ?? views.traces)() ?? { stop: () => {} };
  current.name = view;
  tick(true);
}

/** Refreshes the view now and every POLL_MS while the window is live and the tab visible. */
async function tick(first) {
  clearTimeout(timer);
  const w = state.window();
  if (first || (w.live && document.visibilityState === 'visible' && current.poll !== false)) {
    try {
      await current.refresh?.(first);
      live.textContent = w.live ? `live · ${new Date().toLocaleTimeString()}` : 'fixed window';
    } catch (err) {
      live.textContent = `update failed: ${err.message}`;
    }
  }
  timer = setTimeout(() => tick(false), POLL_MS);
}

el('query').addEventListener('submit', (event) => {
  event.preventDefault();
  // As typed: an error's position must point into the text on screen.
  state.filter = filterInput.value;
  tick(true);
});
windowSelect.addEventListener('change', () => {
  const custom = windowSelect.value === 'custom';
  el('custom').hidden = !custom;
  if (custom && !el('from').value) {
    const now = Date.now() / 1000;
    el('from').value = toLocalInput(now - 900);
    el('to').value = toLocalInput(now);
  }
  tick(true);
});
for (const id of ['from', 'to']) el(id).addEventListener('change', () => tick(true));

// `/` focuses the filter from anywhere but a text field; Escape in a trace goes back to the list.
document.addEventListener('keydown', (event) => {
  const target = event.target;
  const typing =
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement;
  if (event.key === '/' && !typing && !event.ctrlKey && !event.metaKey && !event.altKey) {
    event.preventDefault();
    filterInput.focus();
    filterInput.select();
  } else if (event.key === 'Escape' && !typing && current.name === 'trace') {
    location.hash = '#/traces';
  }
});

window.addEventListener('hashchange', route);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') tick(false);
});
route();
