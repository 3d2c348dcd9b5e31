/** Seconds → "123.4 ms" (or "1.234 s" from ten seconds up). */
export function ms(seconds) {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return '—';
  const value = seconds * 1000;
  if (value >= 10_000) return `${(value / 1000).toFixed(3)} s`;
  return `${value.toFixed(1)} ms`;
}

export const pct = (rate) =>
  typeof rate === 'number' ? `${(rate * 100).toFixed(rate > 0 && rate < 0.01 ? 2 : 1)}%` : '—';

/** Epoch seconds → local "HH:MM:SS.mmm". */
export function clock(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  const pad = (n, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function dateTime(epochSeconds) {
  const d = new Date(epochSeconds * 1000);
  return `${d.toLocaleDateString()} ${clock(epochSeconds)}`;
}

/** A value for an `<input type="datetime-local">`, local time. */
export function toLocalInput(epochSeconds) {
  const d = new Date(epochSeconds * 1000 - new Date().getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
}

export const fromLocalInput = (value) => new Date(value).getTime() / 1000;

export function annotationText(annotations) {
  return Object.entries(annotations ?? {})
    .map(([k, values]) => `${k}=${values.map(String).join('|')}`)
    .join('  ');
}
