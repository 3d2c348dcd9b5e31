import { tracingBackendSuite } from './backend-suite';

tracingBackendSuite(
  'TRACING_BACKEND=otel: OpenTelemetry in both services, OTLP/HTTP to the sidecar',
  {
    TRACING_BACKEND: 'otel',
  },
  { parcelApi: 'otel', warehouseQuery: 'otel' },
);
