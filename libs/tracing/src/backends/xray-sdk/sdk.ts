import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import type * as XRay from 'aws-xray-sdk-core';
import { traceStorage } from '../../context';

const require = createRequire(import.meta.url);

export type XRaySdk = typeof XRay;
/** A segment or subsegment of the SDK. */
export type SdkEntity = XRay.Segment | XRay.Subsegment;

interface SdkNamespace {
  get(key: string): unknown;
  set(key: string, value: unknown): unknown;
  run(fn: () => void): void;
  runAndReturn<T>(fn: () => T): T;
  bind<F extends (...args: never[]) => unknown>(fn: F): F;
  bindEmitter(emitter: unknown): void;
}

interface ContextUtils {
  getNamespace: () => SdkNamespace;
  contextMissingStrategy: { contextMissing: (message: string) => void };
  enableAutomaticMode(): void;
}

/**
 * How the SDK's "current segment" is read: the SDK resolves it through a cls-hooked namespace. We hand it
 * a namespace backed by our AsyncLocalStorage instead, so (1) the SDK, our helpers and the logger share
 * one context, (2) no cls-hooked async hook taxes every promise in the process, and (3) a span that is
 * not an SDK entity (the unsampled fast path, the no-op backend) simply reads as "no segment" to the SDK.
 */
export function makeNamespace(
  entityOf: (span: unknown) => SdkEntity | undefined,
  wrap: (entity: SdkEntity) => unknown,
): SdkNamespace {
  const ns: SdkNamespace = {
    get(key) {
      if (key !== 'segment') return undefined;
      const store = traceStorage.getStore();
      return store ? entityOf(store.span) : undefined;
    },
    set(key, value) {
      const store = traceStorage.getStore();
      if (!store || key !== 'segment' || value == null) return undefined;
      store.span = wrap(value as SdkEntity) as typeof store.span;
      return value;
    },
    run(fn) {
      ns.runAndReturn(fn);
    },
    runAndReturn(fn) {
      const store = traceStorage.getStore();
      // A copy, so that `set` inside `fn` (the SDK does this in response callbacks) stays inside `fn`.
      return store ? traceStorage.run({ trace: store.trace, span: store.span }, fn) : fn();
    },
    bind(fn) {
      return AsyncLocalStorage.bind(fn);
    },
    bindEmitter() {
      // Not needed: the request context is entered before Express handlers run.
    },
  };
  return ns;
}

let loaded: { sdk: XRaySdk; contextUtils: ContextUtils } | undefined;

/**
 * Loads aws-xray-sdk-core in manual mode (so it never creates its cls-hooked namespace), then switches it
 * to automatic mode on our namespace. The only place in the repository that loads the SDK.
 */
export function loadXraySdk(namespace: SdkNamespace): { sdk: XRaySdk; contextUtils: ContextUtils } {
  if (loaded) return loaded;
  const previous = process.env.AWS_XRAY_MANUAL_MODE;
  process.env.AWS_XRAY_MANUAL_MODE = '1';
  let sdk: XRaySdk;
  let contextUtils: ContextUtils;
  try {
    sdk = require('aws-xray-sdk-core') as XRaySdk;
    contextUtils = require('aws-xray-sdk-core/dist/lib/context_utils') as ContextUtils;
  } finally {
    if (previous === undefined) delete process.env.AWS_XRAY_MANUAL_MODE;
    else process.env.AWS_XRAY_MANUAL_MODE = previous;
  }
  const getNamespace = () => namespace;
  contextUtils.getNamespace = getNamespace;
  // The SDK's facade copied the original function at load time; patchers (pg) call it through the facade.
  (sdk as unknown as { getNamespace: () => SdkNamespace }).getNamespace = getNamespace;
  contextUtils.enableAutomaticMode();
  // A missing context is never an error for the request (even if AWS_XRAY_CONTEXT_MISSING says so).
  contextUtils.contextMissingStrategy.contextMissing = () => {};
  loaded = { sdk, contextUtils };
  return loaded;
}

/**
 * The SDK's centralised sampler (rules and quotas through the daemon's TCP proxy), for a service that
 * records with the lean recorder: the SDK is loaded on the first local decision only.
 */
export function sdkSampler(
  logger: { warn(obj: object, msg: string): void },
  daemonAddress: string,
): (req: { serviceName: string; host?: string; method: string; path: string }) => boolean | string {
  const { sdk } = loadXraySdk(
    makeNamespace(
      () => undefined,
      (entity) => entity,
    ),
  );
  sdk.setLogger({
    error: (msg: string) => logger.warn({ component: 'xray-sdk' }, msg),
    warn: () => {},
    info: () => {},
    debug: () => {},
  });
  sdk.setDaemonAddress(daemonAddress);
  const sampler = (sdk.middleware as unknown as { sampler: { shouldSample(r: object): unknown } }).sampler;
  return (req) => {
    const decision = sampler.shouldSample({
      host: req.host,
      httpMethod: req.method,
      urlPath: req.path,
      serviceName: req.serviceName,
    });
    return typeof decision === 'string' ? decision : decision === true;
  };
}
