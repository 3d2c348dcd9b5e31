import { spawn } from 'node:child_process';
import { Sha256 } from '@aws-crypto/sha256-js';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION, PARCEL_TABLE } from '@parcel/config';
import { CACHE_KEY, type ParcelResponse } from '@parcel/contract';
import type { DaemonStats } from '@parcel/xray-daemon';
import { newTraceId } from '@parcel/xray-protocol';
import { SignatureV4 } from '@smithy/signature-v4';
import type { StackAddresses } from '../support/stack';
import { sampledHeader, type TraceNode } from '../support/traces';
import { vendorAdmin as vendorAdminAt } from '../support/vendor-admin';

/** What a client saw for one `GET /parcels/{id}`. */
export interface ParcelCall {
  status: number;
  headers: Headers;
  body: ParcelResponse & { error?: { code: string; message: string }; message?: string };
  traceId: string;
  ms: number;
}

/** One sampled request through the front door (sampling forced so the trace can be read back). */
export async function getParcel(
  stack: StackAddresses,
  id: string,
  traceId = newTraceId(),
): Promise<ParcelCall> {
  const started = performance.now();
  const res = await fetch(`${stack.endpoints.gateway}/parcels/${id}`, {
    headers: { 'X-Amzn-Trace-Id': sampledHeader(traceId) },
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let body: ParcelCall['body'];
  try {
    body = JSON.parse(text) as ParcelCall['body'];
  } catch {
    throw new Error(`GET /parcels/${id} answered ${res.status} with a body that is not JSON: ${text}`);
  }
  return { status: res.status, headers: res.headers, body, traceId, ms };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

// ---- trace shapes ------------------------------------------------------------------------------------

export const segments = (nodes: TraceNode[]) => nodes.filter((n) => n.kind === 'segment');
export const named = (nodes: TraceNode[], name: string) => segments(nodes).filter((n) => n.name === name);
export const byOrigin = (nodes: TraceNode[], origin: string) =>
  segments(nodes).filter((n) => n.doc.origin === origin);
export const awsOp = (nodes: TraceNode[], op: string) => nodes.filter((n) => n.doc.aws?.operation === op);
export const vendorCalls = (nodes: TraceNode[]) =>
  nodes.filter(
    (n) => n.kind === 'subsegment' && String(n.doc.http?.request?.url ?? '').includes('/v2/parcels/'),
  );
export const sqlCalls = (nodes: TraceNode[]) => nodes.filter((n) => n.doc.sql !== undefined);
export const executions = (nodes: TraceNode[]) => byOrigin(nodes, 'AWS::StepFunctions::StateMachine');

/** Every exception message recorded on a node, joined (the cause is where X-Ray keeps the why). */
export function causeText(node: TraceNode | undefined): string {
  const cause = node?.doc.cause;
  if (!cause || typeof cause === 'string') return String(cause ?? '');
  return (cause.exceptions ?? []).map((e) => `${e.type ?? ''}: ${e.message ?? ''}`).join(' | ');
}

// ---- the daemon's counters ---------------------------------------------------------------------------

export type { DaemonStats };

export async function daemonStats(stack: StackAddresses): Promise<DaemonStats> {
  const res = await fetch(`http://${stack.endpoints.daemon}/__daemon/stats`);
  if (res.status !== 200) throw new Error(`daemon stats answered ${res.status}`);
  return (await res.json()) as DaemonStats;
}

/**
 * Waits until the daemon holds nothing (no buffered or in-flight segments) and its counters have not
 * moved for `quietMs`, so late segments (a service closes its segment after answering) are in.
 */
export async function drainedDaemonStats(
  stack: StackAddresses,
  opts: { quietMs?: number; timeoutMs?: number } = {},
): Promise<DaemonStats> {
  const quietMs = opts.quietMs ?? 1500;
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last = await daemonStats(stack);
  let stableSince = Date.now();
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    const now = await daemonStats(stack);
    const moved =
      now.received !== last.received || now.forwarded !== last.forwarded || now.dropped !== last.dropped;
    if (moved || now.buffered !== 0 || now.inFlight !== 0) stableSince = Date.now();
    last = now;
    if (Date.now() - stableSince >= quietMs) return now;
  }
  throw new Error(`daemon did not drain: ${JSON.stringify(last)}`);
}

// ---- the cache, read and arranged with the real DynamoDB client ---------------------------------------

export function dynamoClient(stack: StackAddresses): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: stack.endpoints.dynamodb,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
}

export interface StoredItem {
  parcelId: string;
  fetchedAt: string;
  parcel: string;
}

export async function readCacheItem(ddb: DynamoDBClient, id: string): Promise<StoredItem | undefined> {
  const out = await ddb.send(
    new GetItemCommand({ TableName: PARCEL_TABLE, Key: { [CACHE_KEY]: { S: id } }, ConsistentRead: true }),
  );
  if (!out.Item) return undefined;
  return {
    parcelId: out.Item[CACHE_KEY]?.S ?? '',
    fetchedAt: out.Item.fetchedAt?.S ?? '',
    parcel: out.Item.parcel?.S ?? '',
  };
}

export async function forgetCached(ddb: DynamoDBClient, id: string): Promise<void> {
  await ddb.send(new DeleteItemCommand({ TableName: PARCEL_TABLE, Key: { [CACHE_KEY]: { S: id } } }));
}

/** Makes the cached copy of `id` look `ageSeconds` old (past the TTL), so the next request fans out. */
export async function ageCached(ddb: DynamoDBClient, id: string, ageSeconds: number): Promise<string> {
  const item = await readCacheItem(ddb, id);
  if (!item) throw new Error(`${id} is not cached`);
  const fetchedAt = new Date(Date.now() - ageSeconds * 1000).toISOString();
  await ddb.send(
    new PutItemCommand({
      TableName: PARCEL_TABLE,
      Item: { [CACHE_KEY]: { S: id }, fetchedAt: { S: fetchedAt }, parcel: { S: item.parcel } },
    }),
  );
  return fetchedAt;
}

// ---- the vendor simulator's admin API (HTTPS, local CA) -----------------------------------------------

/** The vendor simulator's admin API for a test stack. */
export const vendorAdmin = (
  stack: StackAddresses,
  method: 'PUT' | 'POST' | 'GET',
  path: string,
  body?: unknown,
) => vendorAdminAt(stack.endpoints, method, path, body);

// ---- SigV4 for the internal routes ----------------------------------------------------------------------

const signer = new SignatureV4({
  service: 'execute-api',
  region: LOCAL_REGION,
  credentials: LOCAL_CREDENTIALS,
  sha256: Sha256,
});

/** Headers of a GET signed for `execute-api` with the stack's local credentials (as the state machine signs). */
export async function signedHeaders(
  url: string,
  extra: Record<string, string> = {},
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signed = await signer.sign({
    method: 'GET',
    protocol: u.protocol,
    hostname: u.hostname,
    port: u.port ? Number(u.port) : undefined,
    path: u.pathname,
    headers: { host: u.host, ...extra },
  });
  return signed.headers;
}

// ---- a daemon that never answers ----------------------------------------------------------------------

const BLACK_HOLE = `
const dgram = require('node:dgram');
const net = require('node:net');
const fs = require('node:fs');
const [host, port] = process.argv.slice(-2);
const udp = dgram.createSocket('udp4');
// A tiny receive buffer that is never read: datagrams queue, then the kernel drops them.
udp.bind({ address: host, port: Number(port) }, () => {
  udp.setRecvBufferSize(4096);
  // TCP: the kernel completes handshakes into the backlog; nothing ever accepts or answers.
  const tcp = net.createServer();
  tcp.listen({ host, port: Number(port), backlog: 64 }, () => {
    fs.writeSync(1, 'ready\\n');
    // Block the only thread without burning CPU: no callback ever runs again.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  });
});
`;

export interface BlackHole {
  close(): Promise<void>;
}

/**
 * Binds `host:port` (UDP and TCP) in a separate process whose only thread then blocks forever: datagrams
 * are never read and TCP connections are never answered: a daemon that is alive but hung.
 */
export async function startBlackHole(address: string): Promise<BlackHole> {
  const [host, port] = address.split(':') as [string, string];
  const child = spawn(process.execPath, ['-e', BLACK_HOLE, host, port], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`black hole exited with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
  });
  return {
    close: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** One line per node (kind, name, flags, status, cause), for assertion messages. */
export function describeTrace(nodes: TraceNode[]): string {
  return nodes
    .map((n) => {
      const flags = ['fault', 'error', 'throttle'].filter((f) => n.doc[f as 'fault']).join(',');
      const status = n.doc.http?.response?.status ?? '';
      return `  ${n.kind} ${n.name} (${n.segmentName}) ${flags} ${status} ${n.doc.aws?.operation ?? ''} ${causeText(n)}`;
    })
    .join('\n');
}
