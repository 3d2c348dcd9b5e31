import { LOCAL_PORTS, type TracingBackendName } from '@parcel/config';
import { Duration, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { stringify } from 'yaml';

/**
 * The trace sidecar of every task: the X-Ray daemon, or the ADOT collector, which takes the same X-Ray
 * UDP segments on 2000 (its `awsxray` receiver, with the same TCP sampling proxy) and OTLP/HTTP on 4318
 * (its `otlp` receiver) for `TRACING_BACKEND=otel` (the daemon reaches end of support on 2027-02-25). The
 * app sends to 127.0.0.1 either way, because awsvpc tasks share one network namespace.
 */
export type SidecarKind = 'xray-daemon' | 'adot';

export const SIDECAR_PORT = 2000;
/** OTLP/HTTP's default port, where the local sidecar listens too. */
export const OTLP_HTTP_PORT = LOCAL_PORTS.otlpReceiver;
/** Pinned: bump deliberately, with the release notes read. */
export const XRAY_DAEMON_IMAGE = 'public.ecr.aws/xray/aws-xray-daemon:3.5.0';
export const ADOT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.50.0';

/** The daemon's log levels, most verbose first (its `-l` flag and `Logging.LogLevel`). */
export type DaemonLogLevel = 'dev' | 'debug' | 'info' | 'warn' | 'error' | 'prod';

/** The "sidecar-level tuning": what an operator changes without touching the app. */
export interface TelemetrySidecarOptions {
  /** xray-daemon (default) or adot. */
  readonly kind?: SidecarKind;
  /** CPU units reserved for the sidecar (1024 = one vCPU). Default 32. */
  readonly cpu?: number;
  /** Hard memory limit in MiB: the sidecar is killed above it. Default 256. */
  readonly memoryLimitMiB?: number;
  /** Soft reservation in MiB. Default 64. */
  readonly memoryReservationMiB?: number;
  /**
   * Daemon segment buffer in MB (`-m`, `TotalBufferSizeMB`; 16 buffers of 64 KB per MB, minimum 3). Unset,
   * the daemon takes 1 % of the host memory it sees, which on Fargate is the task's memory: 10 MB for a
   * 1 GB task would be floored to the minimum. Default 16. Ignored by the collector, whose queue is sized
   * by its own settings.
   */
  readonly bufferMb?: number;
  /** Daemon log level (`-l`). Default 'warn': drops and upload failures are logged, traffic is not. */
  readonly logLevel?: DaemonLogLevel;
  /** Whether the task stops when the sidecar stops. Default false: tracing never takes a request down. */
  readonly essential?: boolean;
  /** Image override (a mirror in a private ECR, a newer pinned tag). */
  readonly image?: string;
  /**
   * Collector only: send OTLP spans as they are to the X-Ray OTLP endpoint
   * (`https://xray.REGION.amazonaws.com/v1/traces`, SigV4 for `xray`), which needs CloudWatch Transaction
   * Search on in the account. Off (default), the `awsxray` exporter turns them into segment documents
   * and PutTraceSegments sends them, as it does the UDP ones.
   */
  readonly transactionSearch?: boolean;
}

export interface AddTelemetrySidecarProps extends TelemetrySidecarOptions {
  readonly logGroup: logs.ILogGroup;
  readonly region?: string;
}

const DEFAULTS = {
  kind: 'xray-daemon',
  cpu: 32,
  memoryLimitMiB: 256,
  memoryReservationMiB: 64,
  bufferMb: 16,
  logLevel: 'warn',
  essential: false,
  transactionSearch: false,
} as const;

/** The X-Ray write rights of `AWSXRayDaemonWriteAccess`, on the task role the sidecar runs with. */
export const XRAY_WRITE_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:GetSamplingStatisticSummaries',
] as const;

/** What the X-Ray OTLP endpoint needs on top (the OTLP part of `AWSXrayWriteOnlyPolicy`). */
export const XRAY_OTLP_WRITE_ACTIONS = ['xray:PutSpans', 'xray:PutSpansForIndexing'] as const;

/**
 * The collector's pipelines: X-Ray UDP in (with the sampling proxy on TCP 2000), as the daemon; OTLP/HTTP
 * in on 4318, out as segment documents through the `awsxray` exporter, or, with Transaction Search, as
 * spans to the X-Ray OTLP endpoint signed by the `sigv4auth` extension.
 */
export function renderCollectorConfig(
  region: string,
  options: {
    transactionSearch?: boolean;
    /** Another X-Ray API than AWS's (the compose file's local X-Ray service): uploads and sampling go there. */
    xrayEndpoint?: string;
  } = {},
): string {
  const local = options.xrayEndpoint ? { endpoint: options.xrayEndpoint, local_mode: true } : {};
  const otlpExporter = options.transactionSearch ? 'otlphttp/xray' : 'awsxray';
  return stringify({
    extensions: {
      health_check: {},
      ...(options.transactionSearch ? { sigv4auth: { region, service: 'xray' } } : {}),
    },
    receivers: {
      awsxray: {
        endpoint: `0.0.0.0:${SIDECAR_PORT}`,
        transport: 'udp',
        proxy_server: {
          endpoint: `0.0.0.0:${SIDECAR_PORT}`,
          region,
          ...(options.xrayEndpoint ? { aws_endpoint: options.xrayEndpoint, local_mode: true } : {}),
        },
      },
      otlp: { protocols: { http: { endpoint: `0.0.0.0:${OTLP_HTTP_PORT}` } } },
    },
    processors: { batch: { timeout: '1s', send_batch_size: 50 } },
    exporters: {
      awsxray: { region, ...local, index_all_attributes: false },
      ...(options.transactionSearch
        ? {
            [otlpExporter]: {
              traces_endpoint: `https://xray.${region}.amazonaws.com/v1/traces`,
              auth: { authenticator: 'sigv4auth' },
            },
          }
        : {}),
    },
    service: {
      extensions: ['health_check', ...(options.transactionSearch ? ['sigv4auth'] : [])],
      pipelines: {
        'traces/xray': { receivers: ['awsxray'], processors: ['batch'], exporters: ['awsxray'] },
        'traces/otlp': { receivers: ['otlp'], processors: ['batch'], exporters: [otlpExporter] },
      },
    },
  });
}

/**
 * Fails synthesis when the services' backend cannot reach the sidecar: OTLP needs the collector (the
 * daemon takes X-Ray UDP only, so every span would be lost without a word).
 */
export function assertSidecarServes(
  backend: TracingBackendName,
  sidecar: TelemetrySidecarOptions = {},
): void {
  const kind = sidecar.kind ?? DEFAULTS.kind;
  if (backend === 'otel' && kind !== 'adot') {
    throw new Error(
      `TRACING_BACKEND=otel exports OTLP/HTTP to 127.0.0.1:${OTLP_HTTP_PORT}, but the ${kind} sidecar takes only X-Ray UDP on ${SIDECAR_PORT}: every span would be lost. Use the ADOT collector sidecar (sidecar: { kind: 'adot' }, or cdk synth -c sidecar=adot), or another TRACING_BACKEND.`,
    );
  }
}

/** Adds the trace sidecar to `taskDefinition` and grants its rights; returns the container. */
export function addTelemetrySidecar(
  taskDefinition: ecs.TaskDefinition,
  props: AddTelemetrySidecarProps,
): ecs.ContainerDefinition {
  const o = { ...DEFAULTS, ...stripUndefined(props) };
  if (o.transactionSearch && o.kind !== 'adot') {
    throw new Error(
      'transactionSearch needs the ADOT collector sidecar (kind adot): the X-Ray daemon sends no OTLP',
    );
  }
  if (o.bufferMb < 3) throw new Error(`bufferMb must be ≥ 3 (the daemon refuses less), got ${o.bufferMb}`);
  if (o.memoryReservationMiB > o.memoryLimitMiB)
    throw new Error('memoryReservationMiB exceeds memoryLimitMiB');
  const region = props.region ?? Stack.of(taskDefinition).region;
  const common = {
    cpu: o.cpu,
    memoryLimitMiB: o.memoryLimitMiB,
    memoryReservationMiB: o.memoryReservationMiB,
    essential: o.essential,
    readonlyRootFilesystem: true,
    // Both images run as a non-root uid 10001 of their own; pinning it keeps a rebuilt image from
    // silently falling back to root.
    user: '10001',
    portMappings: [
      { containerPort: SIDECAR_PORT, protocol: ecs.Protocol.UDP, name: 'xray-udp' },
      { containerPort: SIDECAR_PORT, protocol: ecs.Protocol.TCP, name: 'xray-proxy' },
      ...(o.kind === 'adot'
        ? [{ containerPort: OTLP_HTTP_PORT, protocol: ecs.Protocol.TCP, name: 'otlp-http' }]
        : []),
    ],
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: o.kind, logGroup: props.logGroup }),
  };

  const container =
    o.kind === 'adot'
      ? taskDefinition.addContainer('otel-collector', {
          ...common,
          image: ecs.ContainerImage.fromRegistry(o.image ?? ADOT_COLLECTOR_IMAGE),
          environment: {
            AOT_CONFIG_CONTENT: renderCollectorConfig(region, { transactionSearch: o.transactionSearch }),
          },
          // The collector image ships a /healthcheck binary that asks its health_check extension.
          healthCheck: {
            command: ['CMD', '/healthcheck'],
            interval: Duration.seconds(15),
            timeout: Duration.seconds(5),
            retries: 3,
            startPeriod: Duration.seconds(10),
          },
        })
      : taskDefinition.addContainer('xray-daemon', {
          ...common,
          image: ecs.ContainerImage.fromRegistry(o.image ?? XRAY_DAEMON_IMAGE),
          // Appended to the image's ENTRYPOINT (/xray -t 0.0.0.0:2000 -b 0.0.0.0:2000). `-o`: no EC2
          // instance metadata on Fargate, so skip waiting for it; region and buffer are explicit.
          command: ['-o', '-n', region, '-m', String(o.bufferMb), '-l', o.logLevel],
          // The image is built FROM scratch: no shell, no curl. Running the binary itself is the only
          // check that can execute; it proves the container can start processes, and the task's
          // `essential: false` keeps a sick daemon from taking the app down.
          healthCheck: {
            command: ['CMD', '/xray', '--version'],
            interval: Duration.seconds(30),
            timeout: Duration.seconds(5),
            retries: 3,
            startPeriod: Duration.seconds(5),
          },
        });

  taskDefinition.addToTaskRolePolicy(
    new iam.PolicyStatement({
      sid: 'TraceSidecarWrite',
      actions: [...XRAY_WRITE_ACTIONS, ...(o.transactionSearch ? XRAY_OTLP_WRITE_ACTIONS : [])],
      // X-Ray's write and sampling actions do not support resource-level permissions.
      resources: ['*'],
    }),
  );
  return container;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
