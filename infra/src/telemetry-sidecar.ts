import { Duration, Stack } from 'aws-cdk-lib';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { stringify } from 'yaml';

/**
 * The trace sidecar of every task: the X-Ray daemon today, or an OpenTelemetry collector whose `awsxray`
 * receiver takes the same UDP segments on 2000 and offers the same TCP sampling proxy (the daemon reaches
 * end of support on 2027-02-25). The app does not change: it sends to 127.0.0.1:2000 either way, because
 * awsvpc tasks share one network namespace.
 */
export type SidecarKind = 'xray-daemon' | 'adot';

export const SIDECAR_PORT = 2000;
/** Pinned: bump deliberately, with the release notes read. */
export const XRAY_DAEMON_IMAGE = 'public.ecr.aws/xray/aws-xray-daemon:3.5.0';
export const ADOT_COLLECTOR_IMAGE = 'public.ecr.aws/aws-observability/aws-otel-collector:v0.40.1';

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
} as const;

/** The X-Ray write rights of `AWSXRayDaemonWriteAccess`, on the task role the sidecar runs with. */
export const XRAY_WRITE_ACTIONS = [
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'xray:GetSamplingStatisticSummaries',
] as const;

/** Collector pipeline equivalent to the daemon: X-Ray UDP in, X-Ray API out, sampling proxy on TCP 2000. */
export function renderCollectorConfig(region: string): string {
  return stringify({
    extensions: { health_check: {} },
    receivers: {
      awsxray: {
        endpoint: `0.0.0.0:${SIDECAR_PORT}`,
        transport: 'udp',
        proxy_server: { endpoint: `0.0.0.0:${SIDECAR_PORT}`, region },
      },
    },
    processors: { batch: { timeout: '1s', send_batch_size: 50 } },
    exporters: { awsxray: { region, index_all_attributes: false } },
    service: {
      extensions: ['health_check'],
      pipelines: { traces: { receivers: ['awsxray'], processors: ['batch'], exporters: ['awsxray'] } },
    },
  });
}

/** Adds the trace sidecar to `taskDefinition` and grants its rights; returns the container. */
export function addTelemetrySidecar(
  taskDefinition: ecs.TaskDefinition,
  props: AddTelemetrySidecarProps,
): ecs.ContainerDefinition {
  const o = { ...DEFAULTS, ...stripUndefined(props) };
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
    ],
    logging: ecs.LogDrivers.awsLogs({ streamPrefix: o.kind, logGroup: props.logGroup }),
  };

  const container =
    o.kind === 'adot'
      ? taskDefinition.addContainer('otel-collector', {
          ...common,
          image: ecs.ContainerImage.fromRegistry(o.image ?? ADOT_COLLECTOR_IMAGE),
          environment: { AOT_CONFIG_CONTENT: renderCollectorConfig(region) },
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
      actions: [...XRAY_WRITE_ACTIONS],
      // X-Ray's write and sampling actions do not support resource-level permissions.
      resources: ['*'],
    }),
  );
  return container;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
