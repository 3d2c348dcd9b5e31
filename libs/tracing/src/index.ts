export { NOOP_SPAN } from './backends/off';
export { recordResponseStatus, TRACE_KEPT_HEADER, traceErrors, traceRequests } from './capture/express';
export { currentTraceId, type TraceContext } from './context';
export {
  addMetadata,
  annotate,
  currentSegment,
  currentSpan,
  currentTraceHeader,
  type ParcelAnnotations,
  withSubsegment,
} from './helpers';
export { createLogger, type LogLevel } from './logger';
export { TRACE_HEADER_NAME } from './propagation';
export type { AnnotationValue, KeepReason, Span, SpanNamespace, TracingProvider } from './span';
export { type KeepStatsSnapshot, keepStatsFor, logKeepStatsPeriodically, tracingStats } from './stats';
export {
  activeTracing,
  DEFAULT_KEEP_SLOW_MS,
  initTracing,
  nameForHost,
  nameRemoteHost,
  type Tracing,
  type TracingBackend,
  type TracingOptions,
  traceAwsClient,
  tracePg,
} from './tracing';
