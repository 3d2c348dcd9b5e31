import { createSocket, type Socket } from 'node:dgram';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { XRayClient } from '@aws-sdk/client-xray';
import type { XrayDaemonConfig } from '@parcel/config';
import { bind, listen, readBodyUpTo } from '@parcel/http-service';
import { createLogger } from '@parcel/tracing/logger';
import { countOtlpOutcome, handleOtlpTraces, OTLP_TRACES_PATH, type SegmentDoc } from '@parcel/xray-protocol';
import type { Logger } from 'pino';
import type { DaemonStats } from './counters';
import { MAX_DOCUMENT_BYTES, readDatagram } from './datagram-reader';
import { createXrayClient, httpUpload, xrayUpload } from './forwarder';
import { createSamplingProxy, PROXIED_PATHS, type ProxyTarget } from './sampling-proxy';
import { SegmentPipeline, type Upload } from './segment-pipeline';

/** The real daemon: 16 buffers of 64 KB per MB of TotalBufferSizeMB, i.e. exactly 1 MiB per MB. */
export const bufferCapacityBytes = (bufferMb: number) => bufferMb * 16 * 64 * 1024;

const MAX_PROXY_BODY = 1024 * 1024;
/** Node's defaults: the OTLP port is the task's own, behind no load balancer. */
const OTLP_SERVER_TIMEOUTS = { keepAliveTimeoutMs: 5_000, headersTimeoutMs: 60_000 };
/** Large enough that a burst of datagrams is not lost in the kernel before the loop reads it. */
const UDP_RECEIVE_BUFFER = 8 * 1024 * 1024;

export type DaemonConfig = Pick<
  XrayDaemonConfig,
  'address' | 'endpoint' | 'region' | 'bufferMb' | 'concurrency' | 'batchSize' | 'flushIntervalMs'
> &
  Partial<Pick<XrayDaemonConfig, 'uploadClient' | 'otlpAddress'>>;

export interface DaemonOptions {
  logger?: Logger;
  /** Replaces the PutTraceSegments upload (benchmarks measure the daemon alone with it). */
  upload?: Upload;
  /** Replaces where sampling calls go (tests point a signed proxy at a local verifier). */
  proxyTarget?: ProxyTarget;
  /** Largest document accepted; X-Ray's limit (64 KB) by default. */
  maxDocumentBytes?: number;
  /** How often the counters are logged when they changed; 0 turns it off. */
  statsLogIntervalMs?: number;
}

export interface RunningDaemon {
  /** `host:port` for AWS_XRAY_DAEMON_ADDRESS: UDP and TCP share it. */
  address: string;
  host: string;
  port: number;
  /** Base URL of the TCP side (sampling proxy, health, stats). */
  url: string;
  /** Base URL of the OTLP/HTTP receiver (`POST /v1/traces`), when `otlpAddress` is set. */
  otlpUrl?: string;
  stats(): DaemonStats;
  /** Sends everything buffered and waits for the uploads to finish. */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The X-Ray daemon's protocol: segments over UDP, batched into PutTraceSegments; on TCP (same address,
 * HTTP) the sampling proxy the SDKs call, `GET /health` and `GET /__daemon/stats`.
 */
export async function startXrayDaemon(
  config: DaemonConfig,
  options: DaemonOptions = {},
): Promise<RunningDaemon> {
  const logger = options.logger ?? createLogger({ service: 'xray-daemon', level: 'silent' });
  let client: XRayClient | undefined;
  let closeUploader: (() => void) | undefined;
  let upload = options.upload;
  if (!upload && config.uploadClient === 'http') {
    if (!config.endpoint)
      throw new Error('XRAY_UPLOAD_CLIENT=http needs XRAY_ENDPOINT (it does not sign for AWS)');
    const lean = httpUpload(config.endpoint, config.concurrency);
    upload = lean.upload;
    closeUploader = lean.close;
  }
  if (!upload) {
    client = createXrayClient(config);
    upload = xrayUpload(client);
  }
  let proxyTarget = options.proxyTarget;
  if (!proxyTarget) {
    if (config.endpoint) proxyTarget = { baseUrl: config.endpoint };
    else {
      // The same default credential chain the uploads use (task role on Fargate).
      const credentialsClient = client ?? createXrayClient(config);
      proxyTarget = {
        baseUrl: `https://xray.${config.region}.amazonaws.com`,
        signing: { region: config.region, credentials: credentialsClient.config.credentials },
      };
    }
  }
  const forward = createSamplingProxy(proxyTarget);
  const pipeline = new SegmentPipeline({
    capacityBytes: bufferCapacityBytes(config.bufferMb),
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    concurrency: config.concurrency,
    upload,
    logger,
  });
  const maxDocumentBytes = options.maxDocumentBytes ?? MAX_DOCUMENT_BYTES;

  const onDatagram = (msg: Buffer) => {
    const result = readDatagram(msg, maxDocumentBytes);
    if (result.ok) pipeline.accept(result.text, msg.length);
    else pipeline.rejectInvalid(result.reason, result.detail);
  };

  const handleHttp = async (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0] as string;
    if (req.method === 'GET' && path === '/health') return send(res, 200, { status: 'ok' });
    if (req.method === 'GET' && path === '/__daemon/stats') return send(res, 200, pipeline.stats);
    if (req.method === 'POST' && PROXIED_PATHS.has(path)) {
      const body = await readBodyUpTo(req, MAX_PROXY_BODY);
      if (!body) return send(res, 413, { message: 'Request body too large' });
      try {
        const answer = await forward(path, body, req.headers);
        res.writeHead(answer.status, { ...answer.headers, 'content-length': answer.body.length });
        res.end(answer.body);
      } catch (err) {
        logger.warn({ err: (err as Error).message, path }, 'sampling proxy: X-Ray API unreachable');
        send(res, 502, { message: 'X-Ray API unreachable' });
      }
      return;
    }
    req.resume();
    send(res, 404, { message: `No route for ${req.method} ${path}` });
  };

  const { udp, http, port } = await bindBoth(
    config.address.host,
    config.address.port,
    onDatagram,
    (req, res) => {
      handleHttp(req, res).catch((err: unknown) => {
        logger.error({ err }, 'daemon http handler failed');
        if (!res.headersSent) send(res, 500, { message: 'internal error' });
      });
    },
  );
  udp.on('error', (err) => logger.error({ err }, 'udp socket error'));
  const otlp = config.otlpAddress ? await startOtlpReceiver(config.otlpAddress, pipeline, logger) : undefined;

  let lastLogged = '';
  const logStats = () => {
    const snapshot = JSON.stringify(pipeline.stats);
    if (snapshot === lastLogged) return;
    lastLogged = snapshot;
    logger.info({ stats: pipeline.stats }, 'daemon counters');
  };
  const statsEvery = options.statsLogIntervalMs ?? 60_000;
  const statsTimer = statsEvery > 0 ? setInterval(logStats, statsEvery) : undefined;
  statsTimer?.unref();

  const host = config.address.host;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  return {
    address: `${host}:${port}`,
    host,
    port,
    url: `http://${hostInUrl}:${port}`,
    ...(otlp ? { otlpUrl: otlp.url } : {}),
    stats: () => structuredClone(pipeline.stats),
    drain: () => pipeline.drain(),
    close: async () => {
      if (statsTimer) clearInterval(statsTimer);
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      await otlp?.close();
      // Give buffered segments one chance to leave; a dead X-Ray API must not hold the shutdown.
      await Promise.race([pipeline.drain(), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      pipeline.close();
      logStats();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      client?.destroy();
      closeUploader?.();
    },
  };
}

/**
 * OTLP/HTTP in, as the ADOT collector's otlp receiver → awsxray exporter: each span becomes a segment
 * document by the exporter's rules and joins the UDP segments in the same buffer, batches and counters.
 */
async function startOtlpReceiver(
  address: { host: string; port: number },
  pipeline: SegmentPipeline,
  logger: Logger,
): Promise<{ url: string; close(): Promise<void> }> {
  const stats = pipeline.stats.otlp;
  const deliver = (documents: SegmentDoc[]) => {
    for (const doc of documents) {
      const text = JSON.stringify(doc);
      pipeline.accept(text, Buffer.byteLength(text));
    }
    // Accepted into the buffer (or dropped there, counted as any UDP segment is): none refused here.
    return undefined;
  };
  const onRequest: RequestListener = (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== OTLP_TRACES_PATH) {
      req.resume();
      return send(res, 404, {
        message: `No route for ${req.method} ${path}: OTLP/HTTP traces go to POST ${OTLP_TRACES_PATH}`,
      });
    }
    handleOtlpTraces(req, res, { validateTraceIdTime: true }, deliver).then(
      (outcome) => {
        countOtlpOutcome(stats, outcome);
        if (outcome.error)
          logger.warn({ status: outcome.status, error: outcome.error }, 'OTLP request refused');
      },
      (err: unknown) => {
        // The request stream failed (client went away): nothing was read, nothing to answer.
        stats.requests++;
        stats.malformed++;
        logger.warn({ err: (err as Error).message }, 'OTLP request failed while reading');
        if (!res.headersSent) send(res, 400, { message: 'request could not be read' });
      },
    );
  };
  // An exporter's keep-alive connection is reused for every batch; Node's own timeouts serve it.
  const service = await listen(onRequest, address.port, address.host, OTLP_SERVER_TIMEOUTS);
  return { url: service.url, close: () => service.close() };
}

/**
 * Binds UDP and TCP on the same host:port. With port 0 the kernel picks the UDP port; if TCP cannot
 * have the same one, both are released and another is tried.
 */
async function bindBoth(
  host: string,
  wantedPort: number,
  onDatagram: (msg: Buffer) => void,
  onRequest: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ udp: Socket; http: Server; port: number }> {
  for (let attempt = 0; ; attempt++) {
    const udp = createSocket({
      type: host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: UDP_RECEIVE_BUFFER,
    });
    udp.on('message', onDatagram);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(wantedPort, host, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    const port = udp.address().port;
    const http = createServer(onRequest);
    try {
      return { udp, http, port: await bind(http, port, host) };
    } catch (err) {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      if (wantedPort !== 0 || attempt >= 10) throw err;
    }
  }
}

function send(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
