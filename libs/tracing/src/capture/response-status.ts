import { statusFlags } from '@parcel/xray-protocol';
import type { Span } from '../span';

/** Marks a span from the status of the response it served or received (`statusFlags`: X-Ray's meaning). */
export function markResponseStatus(span: Span, status: number): void {
  const flags = statusFlags(status);
  if (flags.throttle) span.markThrottle();
  if (flags.error) span.markError();
  if (flags.fault) span.markFault();
}
