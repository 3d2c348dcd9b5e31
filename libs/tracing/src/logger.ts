import pino, { type DestinationStream, type Logger } from 'pino';
import { currentTraceId } from './context';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/**
 * The one logger factory of every piece (services, stand-ins, the launcher's resources), so every log
 * file reads the same: one JSON object a line, `{"level":"info","time":"2026-12-01T19:00:00.000Z",
 * "service":"gateway",…,"msg":"…"}` with label levels and ISO times. Every line written while a request
 * is running carries its `trace_id` (read from the request context), so a log line and its trace are one
 * search apart. Stand-ins import it as `@parcel/tracing/logger`, which loads no tracing backend.
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
