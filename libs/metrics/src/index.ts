export { createEmfSink, type EmfRecord, type EmfSink, type EmfUnit, type LineWriter } from './emf-sink';
export { createLatencyMetric, type LatencyMetric, measureLatency } from './latency-metric';
export { EXAMPLE_TRACES, type LatencySummary, LatencyWindow, MAX_EMF_VALUES } from './latency-window';
