import { s } from './dom.js';

/** The size every time-series chart is drawn at (SVG units; the CSS scales it to the page). */
export const SERIES = { width: 640, height: 160, pad: 30 };

/**
 * A time-series chart's frame: the SVG (class `series`, as its styles expect) and its scales, x from the
 * first point's time over at least one period, y from 0 to `max`. Both the per-node time series and the
 * EMF metric charts draw into one. `role`: `img` for a chart only looked at, `group` when its points are
 * controls.
 */
export function timeFrame({ label, t0, t1, period, max, className = '', role = 'img' }) {
  const svg = s('svg', {
    class: `series ${className}`.trim(),
    viewBox: `0 0 ${SERIES.width} ${SERIES.height + SERIES.pad}`,
    role,
    'aria-label': label,
  });
  const end = Math.max(t1, t0 + period);
  const x = (t) => SERIES.pad + ((t - t0) / (end - t0)) * (SERIES.width - 2 * SERIES.pad);
  const y = (value) => SERIES.height - (value / (max || 1)) * (SERIES.height - 10);
  const timeAxis = () => [
    s(
      'text',
      { class: 'axis-label', x: SERIES.pad, y: SERIES.height + 16 },
      new Date(t0 * 1000).toLocaleTimeString(),
    ),
    s(
      'text',
      { class: 'axis-label end', x: SERIES.width - SERIES.pad, y: SERIES.height + 16 },
      new Date(end * 1000).toLocaleTimeString(),
    ),
  ];
  return { svg, x, y, timeAxis };
}

/** A line through the points, `value(p)` on the y scale. */
export const polyline = (frame, points, value, cls) =>
  s('polyline', {
    class: cls,
    points: points.map((p) => `${frame.x(p.t).toFixed(1)},${frame.y(value(p)).toFixed(1)}`).join(' '),
  });
