import { LOCAL_PORTS } from '../local-defaults';
import { type Env, hostPort, int, oneOf, optionalUrl, readConfig, str } from '../schema';
import { loggingSpec } from './shared';

export const xrayDaemonSpec = {
  address: hostPort('AWS_XRAY_DAEMON_ADDRESS', {
    description: 'UDP and TCP address the daemon binds (Socket.UDPAddress / Socket.TCPAddress)',
    default: '127.0.0.1:2000',
  }),
  otlpAddress: hostPort('OTLP_RECEIVER_ADDRESS', {
    description:
      "where the sidecar takes OTLP/HTTP (POST /v1/traces, JSON or protobuf), as the ADOT collector's otlp receiver does; spans become segment documents forwarded with the UDP ones",
    default: `127.0.0.1:${LOCAL_PORTS.otlpReceiver}`,
  }),
  endpoint: optionalUrl('XRAY_ENDPOINT', {
    description: 'X-Ray API endpoint to forward to (cfg.yaml Endpoint); unset: AWS X-Ray in AWS_REGION',
  }),
  region: str('AWS_REGION', { description: 'region of the X-Ray API', default: 'us-east-1' }),
  bufferMb: int('XRAY_BUFFER_MB', {
    description: 'TotalBufferSizeMB: segment buffer in MB (16 buffers of 64 KB per MB)',
    default: '3',
    min: 1,
  }),
  concurrency: int('XRAY_CONCURRENCY', {
    description: 'Concurrency: parallel uploads',
    default: '8',
    min: 1,
  }),
  batchSize: int('XRAY_BATCH_SIZE', {
    description: 'segments per PutTraceSegments call',
    default: '50',
    min: 1,
    max: 50,
  }),
  flushIntervalMs: int('XRAY_FLUSH_INTERVAL_MS', {
    description: 'send a partial batch after this idle time',
    default: '1000',
    min: 1,
  }),
  uploadClient: oneOf('XRAY_UPLOAD_CLIENT', ['sdk', 'http'] as const, {
    description:
      'how batches are uploaded: sdk = @aws-sdk/client-xray PutTraceSegmentsCommand; http = a lean keep-alive POST of the same request (unsigned: XRAY_ENDPOINT only), for throughput',
    default: 'sdk',
  }),
  ...loggingSpec,
};

export const readXrayDaemonConfig = (env?: Env) => readConfig('xray-daemon', xrayDaemonSpec, env);
export type XrayDaemonConfig = ReturnType<typeof readXrayDaemonConfig>;
