import type { TracingProvider } from '../span';
import { captureAwsClient } from './aws-sdk';
import { captureHttpGlobal } from './http';
import { capturePg } from './pg';

/**
 * The project's own captures as a provider's `instrument*` methods, for the backends whose spans they
 * record through (the lean recorder, OpenTelemetry); the X-Ray SDK backend uses the SDK's own for AWS and
 * http.
 */
export const projectCaptures: Pick<
  TracingProvider,
  'instrumentAwsClient' | 'instrumentHttpGlobal' | 'instrumentPg'
> = {
  instrumentAwsClient: captureAwsClient,
  instrumentHttpGlobal: captureHttpGlobal,
  instrumentPg: capturePg,
};
