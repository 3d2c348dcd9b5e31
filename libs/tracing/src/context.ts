import { AsyncLocalStorage } from 'node:async_hooks';
import type { Span } from './span';

/** What a request carries across every async hop: its trace identity and the span now open. */
export interface TraceContext {
  traceId: string;
  /** The caller's segment id from the incoming header (absent when this service started the trace). */
  incomingParentId?: string;
  sampled: boolean;
  /** Unknown header fields (Lineage, Self, …), carried on verbatim. */
  extra: [string, string][];
  /** The request's segment (annotations go here so the whole trace is found by them). */
  segment: Span;
}

export interface TraceStore {
  trace: TraceContext;
  span: Span;
}

// One AsyncLocalStorage for the whole process: the request context, the logger mixin and the X-Ray SDK's
// "current segment" all read it, so they can never disagree about which request is running.
export const traceStorage = new AsyncLocalStorage<TraceStore>();

export function currentStore(): TraceStore | undefined {
  return traceStorage.getStore();
}

export function currentTraceId(): string | undefined {
  return traceStorage.getStore()?.trace.traceId;
}
