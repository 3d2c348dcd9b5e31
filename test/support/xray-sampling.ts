import { XRayClient } from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { type DaemonConfig, type RunningDaemon, startXrayDaemon } from '@parcel/xray-daemon';
import { type RunningXrayService, startXrayService } from '@parcel/xray-service';

export interface XraySampling {
  service: RunningXrayService;
  daemon: RunningDaemon;
  /** The real X-Ray client at the service: change rules with it as an operator would. */
  xray: XRayClient;
  /** Where a stage or SDK fetches sampling: the daemon's TCP proxy (GetSamplingRules, SamplingTargets). */
  samplingEndpoint: string;
  close(): Promise<void>;
}

/**
 * The project's X-Ray service and daemon, in this process, for tests of a piece that samples: the rules
 * and quotas it gets are the ones production's path gives it, never answered by hand. The ingest benchmark
 * starts the same pair, sized for throughput.
 */
export async function startXraySampling(
  /** Daemon settings over the test defaults (a small buffer, two uploads at a time), e.g. an OTLP receiver. */
  daemonOverrides: Partial<DaemonConfig> = {},
  /** How many traces the service keeps (a benchmark's store holds all it sends). */
  maxTraces = 1000,
): Promise<XraySampling> {
  const service = await startXrayService({ port: 0, bindHost: '127.0.0.1', maxTraces });
  const daemon = await startXrayDaemon({
    address: { host: '127.0.0.1', port: 0 },
    endpoint: service.url,
    region: 'us-east-1',
    bufferMb: 1,
    concurrency: 2,
    batchSize: 50,
    flushIntervalMs: 50,
    ...daemonOverrides,
  });
  const xray = new XRayClient({ endpoint: service.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  return {
    service,
    daemon,
    xray,
    samplingEndpoint: `http://${daemon.address}`,
    close: async () => {
      xray.destroy();
      await daemon.close();
      await service.close();
    },
  };
}
