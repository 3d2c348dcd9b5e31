import { tracingBackendSuite } from './backend-suite';

tracingBackendSuite(
  'TRACING_BACKEND=xray-sdk: the stock X-Ray SDK in both services',
  {
    TRACING_BACKEND: 'xray-sdk',
  },
  { parcelApi: 'xray-sdk', warehouseQuery: 'xray-sdk' },
);
