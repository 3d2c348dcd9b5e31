import { readGatewayConfig } from '@parcel/config';
import {
  type RecordingResponder,
  type RecordingServer,
  startRecordingServer,
  startUdpCollector,
  type UdpCollector,
} from '@parcel/test-kit';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { startXraySampling, type XraySampling } from './xray-sampling';

/**
 * What a gateway stage under test stands among: the project's X-Ray service and daemon for its sampling, a
 * collector for its segments, and recording servers for the two services behind the VPC link.
 */
export interface GatewayBench {
  xraySampling: XraySampling;
  collector: UdpCollector<SegmentDoc>;
  parcelApi: RecordingServer;
  warehouse: RecordingServer;
  /** The stage's configuration on this bench (its upstreams, collector and signing key), with `env` over it. */
  config(env?: Record<string, string>): ReturnType<typeof readGatewayConfig>;
  /** Stops the bench; the stages a file started it closes itself, first. */
  close(): Promise<void>;
}

export async function startGatewayBench(opts: {
  /** The key the stage verifies SigV4 against. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Settings every stage of the file shares. */
  env?: Record<string, string>;
  parcelApi?: RecordingResponder;
  warehouse?: RecordingResponder;
}): Promise<GatewayBench> {
  const collector = await startUdpCollector<SegmentDoc>();
  const xraySampling = await startXraySampling();
  const parcelApi = await startRecordingServer(opts.parcelApi);
  const warehouse = await startRecordingServer(opts.warehouse);
  return {
    xraySampling,
    collector,
    parcelApi,
    warehouse,
    config: (env = {}) =>
      readGatewayConfig({
        PORT: '0',
        PARCEL_API_URL: parcelApi.url,
        WAREHOUSE_QUERY_URL: warehouse.url,
        AWS_XRAY_DAEMON_ADDRESS: collector.address,
        AWS_ACCESS_KEY_ID: opts.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: opts.credentials.secretAccessKey,
        LOG_LEVEL: 'silent',
        ...opts.env,
        ...env,
      }),
    close: async () => {
      await Promise.all([parcelApi.close(), warehouse.close(), collector.close()]);
      await xraySampling.close();
    },
  };
}
