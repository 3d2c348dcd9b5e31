import { SERVICE_METRICS } from '@parcel/config';
import type { VendorStatus } from '@parcel/contract';
import type { EmfSink } from '@parcel/metrics';

export interface VendorStaleEvent {
  parcelId: string;
  /** What the fan-out said of the vendor: why the cached copy was served. */
  vendorStatus: Extract<VendorStatus, 'timeout' | 'error'>;
  /** Age of the copy served. */
  ageSeconds: number;
  /** X-Ray trace id of the request, so a metric spike leads to example traces. */
  traceId?: string;
}

export interface VendorStaleMetric {
  /** Emits one EMF line counting one stale answer. Never throws, never waits on I/O. */
  record(event: VendorStaleEvent): void;
  /** Stale answers recorded since start (for /__tracing-style stats and tests). */
  readonly count: number;
}

/**
 * The `vendor_stale` counter (SERVICE_METRICS in @parcel/config, which the `vendor-stale` alarm reads
 * too): one EMF line per stale answer, rare by nature, so each names its own parcel and trace. Published
 * without dimensions, because an alarm matches a metric's dimension set exactly.
 */
export function createVendorStaleMetric(sink: EmfSink): VendorStaleMetric {
  let count = 0;
  return {
    record(event) {
      count++;
      sink.emit({
        namespace: SERVICE_METRICS.namespace,
        dimensions: {},
        metrics: [{ ...SERVICE_METRICS.vendorStale, values: [1] }],
        properties: {
          parcelId: event.parcelId,
          vendorStatus: event.vendorStatus,
          ageSeconds: event.ageSeconds,
          ...(event.traceId ? { traceId: event.traceId } : {}),
        },
      });
    },
    get count() {
      return count;
    },
  };
}
