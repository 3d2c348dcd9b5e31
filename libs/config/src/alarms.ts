/**
 * The alarm thresholds the CDK stack sets, defined once: infra's CloudWatch alarms and the console's
 * time-series charts (drawn as threshold lines) read these.
 */
export const ALARM_THRESHOLDS = {
  /** API p99 latency, milliseconds (alarm `parcel-api-p99-latency`). */
  apiP99Ms: 500,
  /** API 5xx share of requests, percent (alarm `parcel-api-5xx-rate`). */
  api5xxPercent: 1,
  /** Parcels served with a stale vendor part per minute (alarm `parcel-vendor-stale`, EMF `vendor_stale`). */
  vendorStalePerMinute: 50,
} as const;
