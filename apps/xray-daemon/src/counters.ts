import { emptyOtlpStats, type OtlpReceiverStats } from '@parcel/xray-protocol';
import type { InvalidReason } from './datagram-reader';

/** Why an accepted segment never reached X-Ray. */
export type DropReason = 'buffer_full' | 'upload_failed' | 'rejected_by_service';

/**
 * What happened to every datagram. At any moment
 *   received = forwarded + dropped + invalid + buffered + inFlight
 * and once the pipeline is drained (buffered = inFlight = 0), received = forwarded + dropped + invalid.
 */
export interface DaemonStats {
  received: number;
  forwarded: number;
  invalid: number;
  dropped: number;
  /** Segments accepted and waiting for a batch to be sent. */
  buffered: number;
  /** Segments in PutTraceSegments calls not yet answered. */
  inFlight: number;
  /** Bytes of document text held (buffered + in flight), against `bufferCapacityBytes`. */
  bufferedBytes: number;
  bufferCapacityBytes: number;
  invalidByReason: Record<InvalidReason, number>;
  droppedByReason: Record<DropReason, number>;
  batchesSent: number;
  batchesFailed: number;
  /** The OTLP/HTTP receiver: requests, refused ones, spans, and the documents they became (counted in `received`). */
  otlp: OtlpReceiverStats;
}

export function emptyStats(bufferCapacityBytes: number): DaemonStats {
  return {
    received: 0,
    forwarded: 0,
    invalid: 0,
    dropped: 0,
    buffered: 0,
    inFlight: 0,
    bufferedBytes: 0,
    bufferCapacityBytes,
    invalidByReason: {
      missing_header: 0,
      invalid_header: 0,
      invalid_json: 0,
      invalid_segment: 0,
      oversized: 0,
    },
    droppedByReason: { buffer_full: 0, upload_failed: 0, rejected_by_service: 0 },
    batchesSent: 0,
    batchesFailed: 0,
    otlp: emptyOtlpStats(),
  };
}
