import { createRequire } from 'node:module';
import type * as XRay from 'aws-xray-sdk-core';
import type * as XRayExpress from 'aws-xray-sdk-express';

const require = createRequire(import.meta.url);

export type XRaySdk = typeof XRay;
/** A segment or subsegment of the SDK. */
export type SdkEntity = XRay.Segment | XRay.Subsegment;

/** `AWSXRay.middleware.sampler`: on the middleware utils at run time but missing from the SDK's typings. */
interface SdkSampler {
  shouldSample(req: { host?: string; httpMethod: string; urlPath: string; serviceName: string }): unknown;
}

/**
 * Loads aws-xray-sdk-core once per process (the only place in the repository that does), through its
 * public API only. `automatic`: the stock mode (its cls-hooked namespace holds the current segment), for
 * `TRACING_BACKEND=xray-sdk`. `manual`: no namespace and no async hook in the process, for the lean
 * recorder, which only borrows the SDK's centralised sampler. The SDK is loaded lazily (createRequire),
 * so `TRACING_BACKEND=off` or `otel` never loads it.
 */
export function loadXraySdk(mode: 'automatic' | 'manual'): XRaySdk {
  const previous = process.env.AWS_XRAY_MANUAL_MODE;
  if (mode === 'manual') process.env.AWS_XRAY_MANUAL_MODE = '1';
  let sdk: XRaySdk;
  try {
    sdk = require('aws-xray-sdk-core') as XRaySdk;
  } finally {
    if (previous === undefined) delete process.env.AWS_XRAY_MANUAL_MODE;
    else process.env.AWS_XRAY_MANUAL_MODE = previous;
  }
  // A missing context is never an error for the request (unless AWS_XRAY_CONTEXT_MISSING says so).
  if (!process.env.AWS_XRAY_CONTEXT_MISSING) sdk.setContextMissingStrategy(() => {});
  return sdk;
}

/** The stock Express middleware (loaded with the SDK it wraps). */
export function loadXrayExpress(): typeof XRayExpress {
  return require('aws-xray-sdk-express') as typeof XRayExpress;
}

/** The SDK's decision for one request: false, true, or the name of the rule that sampled it. */
export function sdkDecision(
  sdk: XRaySdk,
  req: { serviceName: string; host?: string; method: string; path: string },
): boolean | string {
  const sampler = (sdk.middleware as unknown as { sampler: SdkSampler }).sampler;
  const decision = sampler.shouldSample({
    host: req.host,
    httpMethod: req.method,
    urlPath: req.path,
    serviceName: req.serviceName,
  });
  return typeof decision === 'string' ? decision : decision === true;
}

/**
 * The SDK's centralised sampler (rules and quotas through the daemon's TCP proxy), for a service that
 * records with the lean recorder: the SDK is loaded on the first local decision only, in manual mode.
 */
export function sdkSampler(
  logger: { warn(obj: object, msg: string): void },
  daemonAddress: string,
): (req: { serviceName: string; host?: string; method: string; path: string }) => boolean | string {
  const sdk = loadXraySdk('manual');
  sdk.setLogger({
    error: (msg: string) => logger.warn({ component: 'xray-sdk' }, msg),
    warn: () => {},
    info: () => {},
    debug: () => {},
  });
  sdk.setDaemonAddress(daemonAddress);
  return (req) => sdkDecision(sdk, req);
}
