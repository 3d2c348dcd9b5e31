import http from 'node:http';
import https from 'node:https';
import { syncBuiltinESMExports } from 'node:module';
import {
  formatTraceHeader,
  STEP_FUNCTIONS_TRACE_HEADER_LIMIT,
  traceHeaderWithin,
} from '@parcel/xray-protocol';
import { currentStore, type TraceStore } from './context';
import type { AwsClientLike } from './span';

export const TRACE_HEADER_NAME = 'X-Amzn-Trace-Id';

/**
 * The trace header for a call made now: Parent is the open span (so the callee parents to it) when it
 * records; otherwise the caller's parent is carried on, as a pass-through hop would.
 */
export function traceHeaderFor(store: TraceStore | undefined = currentStore()): string | undefined {
  if (!store) return undefined;
  return traceHeaderIn(store, store.span.id ?? store.trace.incomingParentId);
}

/** The trace header of a call in `store`'s trace whose callee parents to `parent`: same root, decision and extras. */
export function traceHeaderIn(store: TraceStore, parent: string | undefined): string {
  return formatTraceHeader({
    root: store.trace.traceId,
    ...(parent ? { parent } : {}),
    sampled: store.trace.sampled ? '1' : '0',
    extra: store.trace.extra,
  });
}

function hasTraceHeader(headers: unknown): boolean {
  if (!headers || typeof headers !== 'object') return false;
  for (const key of Object.keys(headers)) if (key.toLowerCase() === 'x-amzn-trace-id') return true;
  return false;
}

/** True when the options of an `http.request(...)` call already carry a trace header. */
export function callHasTraceHeader(args: unknown[]): boolean {
  const [first, second] = args;
  const opts = typeof first === 'string' || first instanceof URL ? second : first;
  return typeof opts === 'object' && opts !== null && hasTraceHeader((opts as { headers?: unknown }).headers);
}

/** The arguments of an `http.request(...)` call with the trace header added (unless one is there). */
export function withTraceHeader(args: unknown[], header: string): unknown[] {
  const [first, second, ...rest] = args;
  if (typeof first === 'string' || first instanceof URL) {
    if (second && typeof second === 'object') {
      const opts = second as { headers?: Record<string, unknown> };
      if (hasTraceHeader(opts.headers)) return args;
      return [first, { ...opts, headers: { ...opts.headers, [TRACE_HEADER_NAME]: header } }, ...rest];
    }
    return [first, { headers: { [TRACE_HEADER_NAME]: header } }, ...args.slice(1)];
  }
  if (first && typeof first === 'object') {
    const opts = first as { headers?: Record<string, unknown> };
    if (hasTraceHeader(opts.headers)) return args;
    return [{ ...opts, headers: { ...opts.headers, [TRACE_HEADER_NAME]: header } }, ...args.slice(1)];
  }
  return args;
}

type RequestFn = (...args: unknown[]) => unknown;

/**
 * Wraps `request`/`get` of a module (outside the provider's own patch) so that a call made under a span
 * that does not write the header itself (backend off, unsampled fast path) still carries the trace on.
 */
function wrapModule(mod: typeof http | typeof https): void {
  const target = mod as unknown as Record<string, RequestFn> & { __parcelPropagation?: boolean };
  if (target.__parcelPropagation) return;
  for (const method of ['request', 'get'] as const) {
    const original = target[method] as RequestFn;
    const wrapped: RequestFn = (...args) => {
      const store = currentStore();
      if (!store || store.span.propagates) return original(...args);
      const header = traceHeaderFor(store);
      if (!header) return original(...args);
      return original(...withTraceHeader(args, header));
    };
    Object.defineProperty(target, method, {
      value: wrapped,
      configurable: true,
      enumerable: true,
      writable: true,
    });
  }
  target.__parcelPropagation = true;
}

export function wrapHttpModulesForPropagation(): void {
  wrapModule(http);
  wrapModule(https);
  // ESM named imports (`import { request } from 'node:https'`) see the patched functions only after this.
  syncBuiltinESMExports();
}

interface BuildArgs {
  input?: Record<string, unknown>;
  request?: { headers?: Record<string, string>; body?: unknown };
}

/**
 * AWS SDK v3 middleware that runs after the provider's: it writes the header when the provider did not,
 * and rewrites a `traceHeader` input field (Step Functions' StartExecution / StartSyncExecution) to the
 * header actually sent, cut to the field's limit, so the callee parents to the AWS subsegment of this call.
 */
export function addAwsPropagation(client: AwsClientLike, providerMiddleware: string | undefined): void {
  const name = 'ParcelTracePropagation';
  client.middlewareStack.remove(name);
  const middleware =
    (next: (args: BuildArgs) => Promise<unknown>) =>
    async (args: BuildArgs): Promise<unknown> => {
      const request = args.request;
      const store = currentStore();
      if (!request?.headers || !store) return next(args);
      let header = request.headers[TRACE_HEADER_NAME];
      if (!header) {
        header = traceHeaderFor(store);
        if (header) request.headers[TRACE_HEADER_NAME] = header;
      }
      if (header && typeof args.input?.traceHeader === 'string') {
        const raw = request.body;
        // JSON protocols hand over a byte view; decode it without calling string methods on it.
        const text =
          typeof raw === 'string'
            ? raw
            : raw instanceof Uint8Array
              ? new TextDecoder().decode(raw)
              : undefined;
        try {
          if (text === undefined) return next(args);
          const body = JSON.parse(text) as Record<string, unknown>;
          if (typeof body.traceHeader === 'string') {
            // The field is Step Functions' (StartExecution / StartSyncExecution): 256 characters at most,
            // so a caller's long Lineage or extra fields cannot make the call fail.
            body.traceHeader = traceHeaderWithin(header, STEP_FUNCTIONS_TRACE_HEADER_LIMIT) ?? '';
            request.body = JSON.stringify(body);
            for (const key of Object.keys(request.headers)) {
              if (key.toLowerCase() === 'content-length') {
                request.headers[key] = String(Buffer.byteLength(request.body as string));
              }
            }
          }
        } catch {
          // Not a JSON protocol body: leave the caller's traceHeader as it was.
        }
      }
      return next(args);
    };
  if (providerMiddleware) {
    client.middlewareStack.addRelativeTo(middleware, {
      relation: 'after',
      toMiddleware: providerMiddleware,
      name,
    });
  } else {
    client.middlewareStack.add(middleware, { step: 'build', name });
  }
}
