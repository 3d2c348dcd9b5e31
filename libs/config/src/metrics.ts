/**
 * The CloudWatch metrics the services print in Embedded Metric Format, defined once: the services write
 * them (`@parcel/metrics`), the CDK stack alarms on and graphs them (infra/src/observability.ts), and the
 * local console charts whatever EMF the pieces print.
 */
export const SERVICE_METRICS = {
  namespace: 'ParcelTracking',
  /**
   * One per parcel served from the cached copy because the vendor timed out or failed; no dimensions,
   * because the `vendor-stale` alarm matches a metric's dimension set exactly.
   */
  vendorStale: { name: 'vendor_stale', unit: 'Count' },
  /** Request latency, aggregated per interval: up to 100 values a line (the EMF limit), per `Service`. */
  latency: { name: 'latency', unit: 'Milliseconds' },
  /** Requests in the same interval, exact (the latency values are a sample once there are more than 100). */
  requests: { name: 'requests', unit: 'Count' },
  /** The dimension naming the service on `latency` and `requests`. */
  serviceDimension: 'Service',
} as const;
