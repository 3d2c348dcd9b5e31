import type { TraceModel } from '@parcel/trace-model';
import type { Analysis } from './analyze';

/**
 * Trace data is whatever a sender put in it: control characters (an ESC starting a terminal escape
 * sequence, a carriage return that overwrites the line) are shown as `\u{…}` escapes, never sent raw.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

export const ms = (seconds: number): string => `${(seconds * 1000).toFixed(seconds < 0.01 ? 2 : 1)} ms`;

function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(headers), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The per-hop table the CLI prints (the console shows the same numbers). */
export function formatAnalysis(analysis: Analysis, limit = 20): string {
  if (analysis.traces === 0) return 'No traces in this window.';
  const head = `${analysis.traces} traces · response time p50 ${ms(analysis.p50)} · p99 ${ms(analysis.p99)} · max ${ms(analysis.max)}`;
  const rows = analysis.rows
    .slice(0, limit)
    .map((r) => [
      printable(r.key),
      String(r.count),
      ms(r.p50),
      ms(r.p99),
      ms(r.max),
      String(r.errors + r.faults),
      ms(r.p99Contribution),
      r.exampleTraceIds.slice(0, 2).join(' '),
    ]);
  const body = table(['hop', 'count', 'p50', 'p99', 'max', 'errors', 'at p99', 'slowest traces'], rows);
  const culprit = analysis.rows[0];
  const verdict = culprit
    ? `\nMost of the p99 is spent in: ${printable(culprit.key)} (${ms(culprit.p99Contribution)} of ${ms(analysis.p99)})`
    : '';
  return `${head}\n\n${body}${verdict}\nSlowest traces: ${analysis.slowTraceIds.join(' ')}`;
}

/** A trace as a text waterfall: one line per segment or subsegment, bars on a shared time axis. */
export function formatWaterfall(model: TraceModel, width = 48): string {
  if (model.entities.length === 0) return `Trace ${printable(model.id)}: no segments.`;
  const scale = model.duration > 0 ? width / model.duration : 0;
  const lines = [`Trace ${printable(model.id)} · ${ms(model.duration)}`];
  for (const n of model.entities) {
    const offset = Math.floor((n.start - model.startTime) * scale);
    const length = Math.max(1, Math.round((n.end - n.start) * scale));
    const bar = `${' '.repeat(offset)}${'█'.repeat(Math.min(length, width - offset))}`.padEnd(width);
    const flags = [n.fault && 'FAULT', n.error && 'ERROR', n.throttle && 'THROTTLE']
      .filter(Boolean)
      .join(' ');
    const status = typeof n.doc.http?.response?.status === 'number' ? n.doc.http.response.status : undefined;
    const label = `${'  '.repeat(Math.min(n.depth, 16))}${n.kind === 'segment' ? '▸ ' : ''}${printable(n.name)}`;
    lines.push(
      `${label.slice(0, 40).padEnd(40)} ${bar} ${ms(n.end - n.start).padStart(10)}${status ? ` ${status}` : ''}${flags ? ` ${flags}` : ''}`,
    );
  }
  return lines.join('\n');
}
