import type { CacheOutcome, VendorStatus } from '@parcel/contract';
import { NOOP_SPAN } from './backends/off';
import { currentStore, traceStorage } from './context';
import { traceHeaderFor } from './propagation';
import type { Span, SpanNamespace } from './span';

/** The annotations this project indexes, with their types (X-Ray allows 50 per trace). */
export interface ParcelAnnotations {
  parcel_id: string;
  cache: CacheOutcome;
  vendor_status: VendorStatus;
}

/** The span now open in this request (the segment, or the innermost subsegment); a no-op outside one. */
export function currentSpan(): Span {
  return currentStore()?.span ?? NOOP_SPAN;
}

/** The request's segment, wherever in its subsegments the caller is. */
export function currentSegment(): Span {
  return currentStore()?.trace.segment ?? NOOP_SPAN;
}

/** Indexed annotation on the request's segment (so filter expressions find the trace by it). */
export function annotate<K extends keyof ParcelAnnotations>(key: K, value: ParcelAnnotations[K]): void {
  currentSegment().annotate(key, value);
}

/** Metadata (not indexed) on the current span. */
export function addMetadata(key: string, value: unknown, namespace?: string): void {
  currentSpan().addMetadata(key, value, namespace);
}

/**
 * Runs `fn` inside a new subsegment `name`. Calls made in `fn` nest under it. When `fn` throws, the
 * subsegment closes with the exception as its cause (fault) and the error is rethrown. `fn` gets the span
 * to mark error/fault/throttle explicitly or to add http fields.
 */
export async function withSubsegment<T>(
  name: string,
  fn: (span: Span) => Promise<T> | T,
  namespace?: SpanNamespace,
): Promise<T> {
  const store = currentStore();
  if (!store) return fn(NOOP_SPAN);
  const sub = store.span.startChild(name, namespace);
  return traceStorage.run({ trace: store.trace, span: sub }, () =>
    sub.activate(async () => {
      try {
        const result = await fn(sub);
        sub.end();
        return result;
      } catch (err) {
        sub.end(err);
        throw err;
      }
    }),
  );
}

/** The header a call made now should carry (Parent = the open span), or undefined outside a request. */
export function currentTraceHeader(): string | undefined {
  return traceHeaderFor();
}
