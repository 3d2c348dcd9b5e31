import pino, { type DestinationStream, type Logger } from 'pino';
import { currentTraceId } from './context';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * The process's one JSON logger. Every line written while a request is running carries its `trace_id`
 * (read from the request context), so a log line and its trace are one search apart.
 */
export function createLogger(opts: {
  service?: string;
  level?: LogLevel;
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.service ? { service: opts.service } : {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      mixin() {
        const traceId = currentTraceId();
        return traceId ? { trace_id: traceId } : {};
      },
    },
    opts.destination,
  );
}
