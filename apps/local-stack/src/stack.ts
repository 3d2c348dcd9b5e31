import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  LOCAL_STATE_MACHINE_ARN,
  type LocalStackConfig,
  PARCEL_TABLE,
} from '@parcel/config';
import { ensureLocalCertificates } from '@parcel/local-resources';
import { probe, waitUntil } from './health';
import { SDK_NODE_WARNING_OFF } from './node-support';
import { assertPortFree } from './ports';
import { Child } from './supervisor';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
/**
 * The apps the launcher starts, each as its own process from its folder (never imported): the package
 * lists them as Nx implicit dependencies, so a change to any of them makes the stack's tests affected.
 */
export const LAUNCHED_APPS = [
  'xray-service',
  'xray-daemon',
  'vendor-sim',
  'parcel-api',
  'step-functions',
  'gateway',
  'warehouse-query',
] as const;
const appEntry = (app: (typeof LAUNCHED_APPS)[number], file = 'main.ts') =>
  join(repoRoot, 'apps', app, 'src', file);
const resourceEntry = (name: string) => fileURLToPath(new URL(`./resources/${name}.ts`, import.meta.url));
/**
 * Loaded into every piece: `*.localhost` resolves to loopback (RFC 6761) so the vendor has a name, and a
 * piece stops when the launcher goes away.
 */
const PRELOAD = [
  '@parcel/local-resources/localhost-dns',
  new URL('./child-preload.ts', import.meta.url).href,
];

export interface StackEndpoints {
  gateway: string;
  parcelApi: string;
  warehouseQuery: string;
  stepFunctions: string;
  dynamodb: string;
  xray: string;
  daemon: string;
  /** Base URL of the sidecar's OTLP/HTTP receiver (POST `${otlp}/v1/traces`). */
  otlp: string;
  vendor: string;
  database: string;
  caFile: string;
}

export interface RunningStack {
  endpoints: StackEndpoints;
  /** Every process started, in start order (restarted pieces appear again). */
  children: Child[];
  /** The current process of a piece: dynamodb, postgres, xray-service, xray-daemon, vendor-sim, parcel-api, … */
  piece(name: string): Child;
  /** Stops one piece (fault tests: the daemon down, the database down, …). */
  stopPiece(name: string): Promise<void>;
  /**
   * (Re)starts one piece, with extra environment for this run of it, and waits until it is ready. A start
   * without `env` runs the piece as the stack started it.
   */
  startPiece(name: string, env?: NodeJS.ProcessEnv): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Called with every output line of every piece. */
  onLine?: (name: string, line: string) => void;
  /** Extra environment for every piece (tests tune timeouts and profiles this way). */
  env?: NodeJS.ProcessEnv;
  /**
   * Announces progress, one message per start phase with the milliseconds it took since the launcher
   * began it ("postgres ready in 1234 ms", …): where a slow start spends its time.
   */
  onProgress?: (message: string) => void;
}

const portOf = (url: string) => {
  const u = new URL(url);
  return Number(u.port || (u.protocol === 'https:' ? 443 : 80));
};

/** Starts every piece of the local cloud as its own process and waits until all are healthy. */
export async function startStack(
  config: LocalStackConfig,
  options: StackOptions = {},
): Promise<RunningStack> {
  const stateDir = resolve(repoRoot, config.stateDir);
  const logDir = join(stateDir, 'logs');
  const progress = options.onProgress ?? (() => {});
  const daemon = `${config.daemonAddress.host}:${config.daemonAddress.port}`;
  const otlpAddress = `${config.otlpAddress.host}:${config.otlpAddress.port}`;
  const otlp = `http://${config.otlpAddress.host.includes(':') ? `[${config.otlpAddress.host}]` : config.otlpAddress.host}:${config.otlpAddress.port}`;

  const binds: [string, number, string][] = [
    [new URL(config.gatewayUrl).hostname, portOf(config.gatewayUrl), 'API_GATEWAY_URL'],
    [new URL(config.parcelApiUrl).hostname, portOf(config.parcelApiUrl), 'PARCEL_API_URL'],
    [new URL(config.warehouseQueryUrl).hostname, portOf(config.warehouseQueryUrl), 'WAREHOUSE_QUERY_URL'],
    [new URL(config.sfnEndpoint).hostname, portOf(config.sfnEndpoint), 'SFN_ENDPOINT'],
    [new URL(config.dynamodbEndpoint).hostname, portOf(config.dynamodbEndpoint), 'DYNAMODB_ENDPOINT'],
    [new URL(config.xrayEndpoint).hostname, portOf(config.xrayEndpoint), 'XRAY_ENDPOINT'],
    [config.daemonAddress.host, config.daemonAddress.port, 'AWS_XRAY_DAEMON_ADDRESS'],
    [config.otlpAddress.host, config.otlpAddress.port, 'OTLP_RECEIVER_ADDRESS'],
    ['127.0.0.1', portOf(config.vendorBaseUrl), 'VENDOR_BASE_URL'],
  ];
  if (!config.databaseUrl) binds.push(['127.0.0.1', config.postgresPort, 'POSTGRES_PORT']);
  for (const [host, port, variable] of binds) await assertPortFree(host, port, variable);

  const certsStarted = Date.now();
  const certs = await ensureLocalCertificates(join(stateDir, 'certs'));
  progress(`certificates ready in ${Date.now() - certsStarted} ms`);
  const ca = readFileSync(certs.caFile, 'utf8');

  const common: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: process.env.AWS_REGION ?? LOCAL_REGION,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? LOCAL_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    // The launcher prints the SDK's Node-version warning once (main.ts); the pieces don't repeat it.
    ...SDK_NODE_WARNING_OFF,
    // On a laptop every piece listens on loopback only.
    BIND_HOST: '127.0.0.1',
    AWS_XRAY_DAEMON_ADDRESS: daemon,
    // The OpenTelemetry SDK's own variable: an OTLP exporter in any piece reaches the sidecar.
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
    PARCEL_TABLE: process.env.PARCEL_TABLE ?? PARCEL_TABLE,
    ...options.env,
  };

  interface Piece {
    entry: string;
    /** The piece's own environment as the stack starts it (on top of `common`). */
    env: NodeJS.ProcessEnv;
    /** Resolves when the piece is ready; resource wrappers announce readiness (and their URL) over IPC. */
    ready: (child: Child) => Promise<{ url?: string }>;
    child: Child;
  }
  const pieces = new Map<string, Piece>();
  const children: Child[] = [];
  const died = (child: Child) => () =>
    child.running ? undefined : `${child.name} exited (see ${logDir}/${child.name}.log)`;
  const healthAt =
    (url: string, caPem?: string) =>
    async (child: Child): Promise<{ url?: string }> => {
      await waitUntil(child.name, () => probe(url, caPem), config.readyTimeoutMs, died(child));
      return {};
    };
  const announced = async (child: Child): Promise<{ url?: string }> =>
    (await Promise.race([
      child.nextMessage(),
      child.exited.then(() => {
        throw new Error(`${child.name} did not start: it exited (see ${logDir}/${child.name}.log)`);
      }),
    ])) as { url?: string };
  const spawnChild = (name: string, entry: string, env: NodeJS.ProcessEnv) => {
    const child = new Child({
      name,
      entry,
      env: { ...common, ...env },
      logDir,
      preload: PRELOAD,
      onLine: options.onLine,
    });
    children.push(child);
    return child;
  };
  /** Starts a piece, with `extraEnv` for this process only, and waits until it is ready. */
  const launch = async (name: string, spec: Omit<Piece, 'child'>, extraEnv: NodeJS.ProcessEnv = {}) => {
    const spawned = Date.now();
    const child = spawnChild(name, spec.entry, { ...spec.env, ...extraEnv });
    pieces.set(name, { ...spec, child });
    const result = await spec.ready(child);
    progress(`${name} ready in ${Date.now() - spawned} ms`);
    return result;
  };
  const pieceNamed = (name: string) => {
    const piece = pieces.get(name);
    if (!piece) throw new Error(`no piece named ${name}; pieces: ${[...pieces.keys()].join(', ')}`);
    return piece;
  };

  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop();
  };

  try {
    const databaseReady = launch('postgres', {
      entry: resourceEntry('postgres'),
      env: {
        DATABASE_URL: config.databaseUrl ?? '',
        POSTGRES_PORT: String(config.postgresPort),
        POSTGRES_DATA_DIR: join(stateDir, 'postgres'),
      },
      ready: announced,
    });
    const started = [
      launch('dynamodb', {
        entry: resourceEntry('dynamodb'),
        env: { PORT: String(portOf(config.dynamodbEndpoint)) },
        ready: announced,
      }),
      launch('xray-service', {
        entry: appEntry('xray-service'),
        env: {
          PORT: String(portOf(config.xrayEndpoint)),
          XRAY_BIND_HOST: new URL(config.xrayEndpoint).hostname,
          LOCAL_LOG_DIR: logDir,
        },
        ready: healthAt(`${config.xrayEndpoint}/health`),
      }),
      launch('xray-daemon', {
        entry: appEntry('xray-daemon'),
        env: { XRAY_ENDPOINT: config.xrayEndpoint, OTLP_RECEIVER_ADDRESS: otlpAddress },
        ready: healthAt(`http://${daemon}/health`),
      }),
      launch('vendor-sim', {
        entry: appEntry('vendor-sim'),
        env: { PORT: String(portOf(config.vendorBaseUrl)), VENDOR_CERT_DIR: join(stateDir, 'certs') },
        ready: healthAt(`https://127.0.0.1:${portOf(config.vendorBaseUrl)}/health`, ca),
      }),
      launch('parcel-api', {
        entry: appEntry('parcel-api'),
        env: {
          PORT: String(portOf(config.parcelApiUrl)),
          DYNAMODB_ENDPOINT: config.dynamodbEndpoint,
          SFN_ENDPOINT: config.sfnEndpoint,
          STATE_MACHINE_ARN: process.env.STATE_MACHINE_ARN ?? LOCAL_STATE_MACHINE_ARN,
        },
        ready: healthAt(`${config.parcelApiUrl}/health`),
      }),
      launch('step-functions', {
        entry: appEntry('step-functions'),
        env: {
          PORT: String(portOf(config.sfnEndpoint)),
          API_GATEWAY_URL: config.gatewayUrl,
          DYNAMODB_ENDPOINT: config.dynamodbEndpoint,
        },
        ready: healthAt(`${config.sfnEndpoint}/health`),
      }),
      launch('gateway', {
        entry: appEntry('gateway'),
        env: {
          PORT: String(portOf(config.gatewayUrl)),
          PARCEL_API_URL: config.parcelApiUrl,
          WAREHOUSE_QUERY_URL: config.warehouseQueryUrl,
        },
        ready: healthAt(`${config.gatewayUrl}/__gateway/health`),
      }),
    ];
    const { url: databaseUrl } = await databaseReady;
    if (!databaseUrl) throw new Error('postgres did not say where it listens');
    // The migration step warehouse-query's deploy runs (schema, service role), plus the sample parcels.
    // A one-off process, not a piece: it is not supervised (its exit is its success).
    const migrationStarted = Date.now();
    const migration = new Child({
      name: 'warehouse-migrate',
      entry: appEntry('warehouse-query', 'migrate-main.ts'),
      env: { ...common, DATABASE_URL: databaseUrl, SEED_SAMPLE_PARCELS: 'true' },
      logDir,
      preload: PRELOAD,
      onLine: options.onLine,
    });
    let timer: NodeJS.Timeout | undefined;
    const migrated = await Promise.race([
      migration.exited,
      new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), config.readyTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    await migration.stop();
    if (migrated !== 0) {
      throw new Error(`warehouse-migrate exited with ${migrated} (see ${logDir}/warehouse-migrate.log)`);
    }
    progress(`warehouse-migrate done in ${Date.now() - migrationStarted} ms`);
    started.push(
      launch('warehouse-query', {
        entry: appEntry('warehouse-query'),
        env: {
          PORT: String(portOf(config.warehouseQueryUrl)),
          DATABASE_URL: databaseUrl,
          VENDOR_BASE_URL: config.vendorBaseUrl,
          VENDOR_CA_FILE: certs.caFile,
        },
        ready: healthAt(`${config.warehouseQueryUrl}/health`),
      }),
    );
    await Promise.all(started);

    return {
      endpoints: {
        gateway: config.gatewayUrl,
        parcelApi: config.parcelApiUrl,
        warehouseQuery: config.warehouseQueryUrl,
        stepFunctions: config.sfnEndpoint,
        dynamodb: config.dynamodbEndpoint,
        xray: config.xrayEndpoint,
        daemon,
        otlp,
        vendor: config.vendorBaseUrl,
        database: databaseUrl,
        caFile: certs.caFile,
      },
      children,
      piece: (name) => pieceNamed(name).child,
      stopPiece: async (name) => {
        await pieceNamed(name).child.stop();
      },
      startPiece: async (name, env = {}) => {
        const piece = pieceNamed(name);
        await piece.child.stop();
        await launch(name, { entry: piece.entry, env: piece.env, ready: piece.ready }, env);
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
