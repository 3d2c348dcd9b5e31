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
import { assertPortFree } from './ports';
import { Child } from './supervisor';

const repoRoot = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const appEntry = (app: string) => join(repoRoot, 'apps', app, 'src', 'main.ts');
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
  vendor: string;
  database: string;
  caFile: string;
}

export interface RunningStack {
  endpoints: StackEndpoints;
  children: Child[];
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Called with every output line of every piece. */
  onLine?: (name: string, line: string) => void;
  /** Extra environment for every piece (tests tune timeouts and profiles this way). */
  env?: NodeJS.ProcessEnv;
  /** Announces progress ("postgres ready", …). */
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

  const binds: [string, number, string][] = [
    [new URL(config.gatewayUrl).hostname, portOf(config.gatewayUrl), 'API_GATEWAY_URL'],
    [new URL(config.parcelApiUrl).hostname, portOf(config.parcelApiUrl), 'PARCEL_API_URL'],
    [new URL(config.warehouseQueryUrl).hostname, portOf(config.warehouseQueryUrl), 'WAREHOUSE_QUERY_URL'],
    [new URL(config.sfnEndpoint).hostname, portOf(config.sfnEndpoint), 'SFN_ENDPOINT'],
    [new URL(config.dynamodbEndpoint).hostname, portOf(config.dynamodbEndpoint), 'DYNAMODB_ENDPOINT'],
    [new URL(config.xrayEndpoint).hostname, portOf(config.xrayEndpoint), 'XRAY_ENDPOINT'],
    [config.daemonAddress.host, config.daemonAddress.port, 'AWS_XRAY_DAEMON_ADDRESS'],
    ['127.0.0.1', portOf(config.vendorBaseUrl), 'VENDOR_BASE_URL'],
  ];
  if (!config.databaseUrl) binds.push(['127.0.0.1', config.postgresPort, 'POSTGRES_PORT']);
  for (const [host, port, variable] of binds) await assertPortFree(host, port, variable);

  const certs = await ensureLocalCertificates(join(stateDir, 'certs'));
  const ca = readFileSync(certs.caFile, 'utf8');

  const common: NodeJS.ProcessEnv = {
    ...process.env,
    AWS_REGION: process.env.AWS_REGION ?? LOCAL_REGION,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? LOCAL_CREDENTIALS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_XRAY_DAEMON_ADDRESS: daemon,
    PARCEL_TABLE: process.env.PARCEL_TABLE ?? PARCEL_TABLE,
    ...options.env,
  };

  const children: Child[] = [];
  const spawnPiece = (name: string, entry: string, env: NodeJS.ProcessEnv) => {
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
  const died = (child: Child) => () =>
    child.running ? undefined : `${child.name} exited (see ${logDir}/${child.name}.log)`;
  const healthy = async (child: Child, url: string, caPem?: string) => {
    await waitUntil(child.name, () => probe(url, caPem), config.readyTimeoutMs, died(child));
    progress(`${child.name} ready`);
  };
  const announced = async (child: Child) => {
    const message = await Promise.race([
      child.nextMessage(),
      child.exited.then(() => {
        throw new Error(`${child.name} did not start: it exited (see ${logDir}/${child.name}.log)`);
      }),
    ]);
    progress(`${child.name} ready`);
    return message as { url?: string };
  };

  const stop = async () => {
    for (const child of [...children].reverse()) await child.stop();
  };

  try {
    const dynamodb = spawnPiece('dynamodb', resourceEntry('dynamodb'), {
      PORT: String(portOf(config.dynamodbEndpoint)),
    });
    const postgres = spawnPiece('postgres', resourceEntry('postgres'), {
      DATABASE_URL: config.databaseUrl ?? '',
      POSTGRES_PORT: String(config.postgresPort),
      POSTGRES_DATA_DIR: join(stateDir, 'postgres'),
    });
    const xray = spawnPiece('xray-service', appEntry('xray-service'), {
      PORT: String(portOf(config.xrayEndpoint)),
      XRAY_BIND_HOST: new URL(config.xrayEndpoint).hostname,
      LOCAL_LOG_DIR: logDir,
    });
    const xrayDaemon = spawnPiece('xray-daemon', appEntry('xray-daemon'), {
      XRAY_ENDPOINT: config.xrayEndpoint,
    });
    const vendor = spawnPiece('vendor-sim', appEntry('vendor-sim'), {
      PORT: String(portOf(config.vendorBaseUrl)),
      VENDOR_CERT_DIR: join(stateDir, 'certs'),
    });
    const parcelApi = spawnPiece('parcel-api', appEntry('parcel-api'), {
      PORT: String(portOf(config.parcelApiUrl)),
      DYNAMODB_ENDPOINT: config.dynamodbEndpoint,
      SFN_ENDPOINT: config.sfnEndpoint,
      STATE_MACHINE_ARN: process.env.STATE_MACHINE_ARN ?? LOCAL_STATE_MACHINE_ARN,
    });
    const stepFunctions = spawnPiece('step-functions', appEntry('step-functions'), {
      PORT: String(portOf(config.sfnEndpoint)),
      API_GATEWAY_URL: config.gatewayUrl,
      DYNAMODB_ENDPOINT: config.dynamodbEndpoint,
    });
    const gateway = spawnPiece('gateway', appEntry('gateway'), {
      PORT: String(portOf(config.gatewayUrl)),
      PARCEL_API_URL: config.parcelApiUrl,
      WAREHOUSE_QUERY_URL: config.warehouseQueryUrl,
    });

    const { url: databaseUrl } = await announced(postgres);
    if (!databaseUrl) throw new Error('postgres did not say where it listens');
    const warehouseQuery = spawnPiece('warehouse-query', appEntry('warehouse-query'), {
      PORT: String(portOf(config.warehouseQueryUrl)),
      DATABASE_URL: databaseUrl,
      VENDOR_BASE_URL: config.vendorBaseUrl,
      VENDOR_CA_FILE: certs.caFile,
    });

    const daemonHealth = `http://${daemon}/health`;
    await Promise.all([
      announced(dynamodb),
      healthy(xray, `${config.xrayEndpoint}/health`),
      healthy(xrayDaemon, daemonHealth),
      healthy(vendor, `https://127.0.0.1:${portOf(config.vendorBaseUrl)}/health`, ca),
      healthy(parcelApi, `${config.parcelApiUrl}/health`),
      healthy(warehouseQuery, `${config.warehouseQueryUrl}/health`),
      healthy(stepFunctions, `${config.sfnEndpoint}/health`),
      healthy(gateway, `${config.gatewayUrl}/__gateway/health`),
    ]);

    return {
      endpoints: {
        gateway: config.gatewayUrl,
        parcelApi: config.parcelApiUrl,
        warehouseQuery: config.warehouseQueryUrl,
        stepFunctions: config.sfnEndpoint,
        dynamodb: config.dynamodbEndpoint,
        xray: config.xrayEndpoint,
        daemon,
        vendor: config.vendorBaseUrl,
        database: databaseUrl,
        caFile: certs.caFile,
      },
      children,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
