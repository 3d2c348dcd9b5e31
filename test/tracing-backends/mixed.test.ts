import { tracingBackendSuite } from './backend-suite';

// One trace, three recorders: parcel-api on OpenTelemetry, warehouse-query on the stock SDK, the stand-ins
// on the lean recorder; the per-service variables override TRACING_BACKEND for that service alone.
tracingBackendSuite(
  'mixed backends: parcel-api on otel, warehouse-query on xray-sdk, the rest on xray',
  {
    TRACING_BACKEND: 'xray',
    PARCEL_API_TRACING_BACKEND: 'otel',
    WAREHOUSE_QUERY_TRACING_BACKEND: 'xray-sdk',
  },
  { parcelApi: 'otel', warehouseQuery: 'xray-sdk' },
);
