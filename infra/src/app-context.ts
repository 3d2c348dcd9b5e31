import { type TracingBackendName, tracingSpec } from '@parcel/config';
import type { App } from 'aws-cdk-lib';
import type { ParcelStackProps } from './parcel-stack';
import type { DaemonLogLevel, SidecarKind } from './telemetry-sidecar';

/** `-c tracingBackend=…`: a value the services read (their spec says which). */
function tracingBackend(value: string | undefined): TracingBackendName | undefined {
  if (value === undefined) return undefined;
  try {
    return tracingSpec.tracingBackend.parse(value);
  } catch (err) {
    throw new Error(`context tracingBackend ${(err as Error).message}`);
  }
}

/**
 * Stack settings from CDK context (`-c key=value` or cdk.json): nothing here needs an account, a lookup
 * or credentials, so `cdk synth` works offline.
 */
export function stackPropsFromContext(app: App): ParcelStackProps {
  const ctx = (key: string): string | undefined => {
    const v = app.node.tryGetContext(key);
    return v === undefined || v === null || v === '' ? undefined : String(v);
  };
  const num = (key: string): number | undefined => {
    const v = ctx(key);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`context ${key} must be a number, got "${v}"`);
    return n;
  };
  const sidecarKind = ctx('sidecar') ?? 'xray-daemon';
  if (sidecarKind !== 'xray-daemon' && sidecarKind !== 'adot') {
    throw new Error(`context sidecar must be xray-daemon or adot, got "${sidecarKind}"`);
  }
  const domainName = ctx('domainName');
  const certificateArn = ctx('certificateArn');
  if ((domainName === undefined) !== (certificateArn === undefined)) {
    throw new Error('context domainName and certificateArn go together');
  }
  const account = ctx('account');
  const region = ctx('region');
  return {
    // Env-agnostic unless told: the template then works in any account and region.
    env: account || region ? { account, region } : undefined,
    stageName: ctx('stageName'),
    natGateways: num('natGateways'),
    multiAzDatabase: ctx('multiAzDatabase') === undefined ? undefined : ctx('multiAzDatabase') === 'true',
    vendorBaseUrl: ctx('vendorBaseUrl'),
    vendorTimeoutMs: num('vendorTimeoutMs'),
    customDomain: domainName && certificateArn ? { domainName, certificateArn } : undefined,
    tracingBackend: tracingBackend(ctx('tracingBackend')),
    sidecar: {
      kind: sidecarKind as SidecarKind,
      transactionSearch:
        ctx('transactionSearch') === undefined ? undefined : ctx('transactionSearch') === 'true',
      cpu: num('sidecarCpu'),
      memoryLimitMiB: num('sidecarMemoryMiB'),
      memoryReservationMiB: num('sidecarMemoryReservationMiB'),
      bufferMb: num('daemonBufferMb'),
      logLevel: ctx('daemonLogLevel') as DaemonLogLevel | undefined,
    },
  };
}
