import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { StepFunctionsConfig } from '@parcel/config';
import { bind, closeConnectionPool, createConnectionPool, reachableHost } from '@parcel/http-service';
import { KeepStats, reportStatsWhileBusy } from '@parcel/sampling-rules';
import {
  API_GATEWAY_INVOKE,
  buildParcelFanoutDefinition,
  DYNAMODB_PUT_ITEM,
  PARCEL_FANOUT_NAME,
} from '@parcel/state-machine';
import { createLogger } from '@parcel/tracing/logger';
import { DaemonClient } from '@parcel/xray-protocol';
import type { Logger } from 'pino';
import { SfnApiError, UnknownOperationError } from './api/errors';
import { operationNamed } from './api/operations';
import { responseHeadersOf } from './api/response-headers';
import type { ExecutionEnv, TaskHandler } from './engine/interpreter';
import { StepFunctionsService } from './service';
import { Registry } from './state-machines';
import { apiGatewayInvoke } from './tasks/api-gateway-invoke';
import { dynamoDbPutItem } from './tasks/dynamodb-put-item';

export interface StartStepFunctionsOptions {
  logger?: Logger;
  host?: string;
  /** Retry waits (tests may shorten them; the definition's values are used otherwise). */
  sleep?: ExecutionEnv['sleep'];
  /** How often the sampling/keep counters are logged (default 60 s; 0 = never). */
  statsLogIntervalMs?: number;
}

export interface RunningStepFunctions {
  url: string;
  port: number;
  service: StepFunctionsService;
  /** Executions recorded because the caller sampled them, kept on error/latency/downstream, or discarded. */
  stats: KeepStats;
  close(): Promise<void>;
}

const JSON_10 = 'application/x-amz-json-1.0';
const MAX_BODY_BYTES = 1024 * 1024;
const STATS_PATH = '/__stepfunctions/stats';

/**
 * The Step Functions stand-in: the JSON 1.0 API on POST / (X-Amz-Target: AWSStepFunctions.<Op>), with
 * `parcel-fanout` registered from the shared definition, pointed at the local gateway and table.
 */
export async function startStepFunctions(
  config: StepFunctionsConfig,
  opts: StartStepFunctionsOptions = {},
): Promise<RunningStepFunctions> {
  const logger = opts.logger ?? createLogger({ service: 'step-functions', level: config.logLevel });
  const gateway = new URL(config.apiGatewayUrl);
  const credentials = { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey };
  const dynamodb = new DynamoDBClient({
    region: config.region,
    endpoint: config.dynamodbEndpoint,
    credentials: config.dynamodbEndpoint ? credentials : undefined,
    maxAttempts: 2,
  });
  const gatewayPool = createConnectionPool();
  const tasks = new Map<string, TaskHandler>([
    [
      API_GATEWAY_INVOKE,
      apiGatewayInvoke({
        protocol: gateway.protocol as 'http:' | 'https:',
        region: config.region,
        credentials,
        pool: gatewayPool,
      }),
    ],
    [DYNAMODB_PUT_ITEM, dynamoDbPutItem({ client: dynamodb, region: config.region })],
  ]);
  const emitter = config.tracingBackend !== 'off' ? new DaemonClient(config.daemonAddress) : undefined;

  const registry = new Registry(config.region);
  registry.register(
    PARCEL_FANOUT_NAME,
    buildParcelFanoutDefinition({
      apiEndpoint: gateway.host,
      stage: config.stageName,
      tableName: config.tableName,
      authType: 'IAM_ROLE',
    }),
  );
  const stats = new KeepStats();
  const service = new StepFunctionsService(registry, tasks, logger, emitter, opts.sleep, {
    slowMs: config.traceKeepSlowMs,
    stats,
  });
  const statsSnapshot = () => ({
    ...stats.snapshot(),
    segments: emitter?.stats(),
  });

  const server = createServer((req, res) => {
    handle(service, req, res, statsSnapshot).catch((err) => {
      logger.error({ err }, 'request failed');
      if (!res.headersSent) send(res, 500, { __type: 'InternalFailure', message: 'internal error' });
    });
  });
  server.keepAliveTimeout = 65_000;
  const host = opts.host ?? config.bindHost;
  const port = await bind(server, config.port, host);
  const url = `http://${reachableHost(host)}:${port}`;
  const statsTimer = emitter
    ? reportStatsWhileBusy(
        statsSnapshot,
        (snapshot) => logger.info({ stats: snapshot }, 'trace sampling'),
        opts.statsLogIntervalMs ?? 60_000,
      )
    : undefined;
  return {
    url,
    port,
    service,
    stats,
    async close() {
      clearInterval(statsTimer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      dynamodb.destroy();
      closeConnectionPool(gatewayPool);
      await emitter?.close();
    },
  };
}

function send(res: ServerResponse, status: number, body: unknown, contentType = JSON_10): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...responseHeadersOf(body),
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new SfnApiError('ValidationException', 'Request body too large', 413);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(
  service: StepFunctionsService,
  req: IncomingMessage,
  res: ServerResponse,
  statsSnapshot: () => unknown,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok' }, 'application/json');
  if (req.method === 'GET' && path === STATS_PATH) return send(res, 200, statsSnapshot(), 'application/json');
  if (req.method !== 'POST' || path !== '/') {
    return send(res, 404, { __type: 'UnknownOperationException', message: 'Not found' });
  }
  try {
    const target = String(req.headers['x-amz-target'] ?? '');
    const [prefix, opName] = target.split('.', 2);
    const op = prefix === 'AWSStepFunctions' && opName ? operationNamed(opName) : undefined;
    if (!op) throw new UnknownOperationError(target);
    const raw = await readBody(req);
    let body: unknown;
    try {
      body = raw === '' ? {} : JSON.parse(raw);
    } catch {
      throw new SfnApiError('SerializationException', 'Request body is not valid JSON');
    }
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw new SfnApiError('SerializationException', 'Request body must be a JSON object');
    }
    send(res, 200, await op(service, body as Record<string, unknown>));
  } catch (err) {
    if (err instanceof SfnApiError) return send(res, err.status, err.body());
    throw err;
  }
}
