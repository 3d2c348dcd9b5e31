import { keepOnErrorSuite } from '../../testing/keep-on-error-suite';
import { startOtlpCollector } from '../../testing/otlp-collector';

// The same keep-on-error suite as the lean recorder's, on OpenTelemetry: spans exported over OTLP/HTTP to
// a real local receiver, read back as the X-Ray segments the collector's awsxray exporter would write.
keepOnErrorSuite('otel', async () => {
  const collector = await startOtlpCollector();
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = collector.endpoint;
  return collector;
});
