import {
  type ClientRequest,
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  validateHeaderValue,
} from 'node:http';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { text } from 'node:stream/consumers';
import { CreateSamplingRuleCommand, UpdateSamplingRuleCommand } from '@aws-sdk/client-xray';
import { makeParcelId } from '@parcel/contract';
import { type RunningGateway, startGateway } from '@parcel/gateway';
import { type RecordingServer, rawRequest, type UdpCollector } from '@parcel/test-kit';
import { createLogger } from '@parcel/tracing/logger';
import { parseTraceHeader, type SegmentDoc } from '@parcel/xray-protocol';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayBench, startGatewayBench } from '../support/gateway-bench';
import { signedStageGet } from '../support/sigv4';
import type { XraySampling } from '../support/xray-sampling';

const ID = makeParcelId('RR', '12345678', 'GB');
const KEY = { accessKeyId: 'AKIDGATEWAYTEST', secretAccessKey: 'gateway-test-secret' };

let bench: GatewayBench;
let parcelApi: RecordingServer;
let warehouse: RecordingServer;
let xraySampling: XraySampling;
let collector: UdpCollector<SegmentDoc>;
let gateway: RunningGateway;
/** Same stage with a short integration timeout, for the timeout cases (the main one allows slow CI). */
let impatient: RunningGateway;

/** What the services behind the VPC link answer by default: where the request landed. */
const landed = (req: { url: string }) => ({
  body: JSON.stringify({ ok: true, url: req.url }),
  headers: { 'x-upstream': 'yes' },
});
const config = (overrides: Record<string, string> = {}) => bench.config(overrides);

beforeAll(async () => {
  bench = await startGatewayBench({
    credentials: KEY,
    env: { AWS_REGION: 'us-east-1', INTEGRATION_TIMEOUT_MS: '10000' },
    parcelApi: (req) => {
      if (req.url.includes('slow')) return { delayMs: 2000 };
      if (req.url.startsWith('/parcels/RR000000000GB')) return { status: 503, body: '{"error":"down"}' };
      return landed(req);
    },
    warehouse: landed,
  });
  ({ parcelApi, warehouse, xraySampling, collector } = bench);
  // The stage's sampling from the project's X-Ray service through its daemon, with this suite's rules: every
  // /parcels/* request at the stage sampled (rule "stage-parcels"), nothing else beyond Default's borrow.
  await xraySampling.xray.send(
    new CreateSamplingRuleCommand({
      SamplingRule: {
        RuleName: 'stage-parcels',
        Priority: 10,
        FixedRate: 1,
        ReservoirSize: 0,
        ServiceName: 'parcelapi/local',
        ServiceType: 'AWS::ApiGateway::Stage',
        Host: '*',
        HTTPMethod: '*',
        URLPath: '/parcels/*',
        ResourceARN: '*',
        Version: 1,
      },
    }),
  );
  await xraySampling.xray.send(
    new UpdateSamplingRuleCommand({
      SamplingRuleUpdate: { RuleName: 'Default', FixedRate: 0, ReservoirSize: 0 },
    }),
  );
  const { samplingEndpoint } = xraySampling;
  gateway = await startGateway(config(), { samplingEndpoint });
  impatient = await startGateway(config({ INTEGRATION_TIMEOUT_MS: '300' }), { samplingEndpoint });
  expect(gateway.sampler.ruleNames).toContain('stage-parcels');
});

afterAll(async () => {
  await gateway?.close();
  await impatient?.close();
  await bench?.close();
});

const lastSeen = (u: RecordingServer) => u.received[u.received.length - 1];

const sign = (
  path: string,
  opts: { secret?: string; keyId?: string; date?: Date; host?: string; region?: string } = {},
) =>
  signedStageGet(opts.host ?? new URL(gateway.url).host, path, {
    credentials: {
      accessKeyId: opts.keyId ?? KEY.accessKeyId,
      secretAccessKey: opts.secret ?? KEY.secretAccessKey,
    },
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.date ? { date: opts.date } : {}),
  });

describe('routing', () => {
  it('serves the stage at /{path} and /{stage}/{path}, proxying method, path, query and headers', async () => {
    for (const prefix of ['', '/local']) {
      const reply = await rawRequest(gateway.url, `${prefix}/parcels/${ID}?verbose=1&x=a%20b`, {
        headers: {
          'x-custom': 'kept',
          connection: 'keep-alive, x-conn-only',
          'x-conn-only': 'dropped',
          'keep-alive': 'timeout=5',
        },
      });
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ ok: true, url: `/parcels/${ID}?verbose=1&x=a%20b` });
      const seen = lastSeen(parcelApi);
      expect(seen).toMatchObject({ method: 'GET', url: `/parcels/${ID}?verbose=1&x=a%20b` });
      expect(seen?.headers['x-custom']).toBe('kept');
      expect(seen?.headers['x-conn-only']).toBeUndefined();
      expect(seen?.headers['keep-alive']).toBeUndefined();
      expect(seen?.headers.host).toBe(new URL(parcelApi.url).host);
      expect(seen?.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(reply.headers['x-upstream']).toBe('yes');
      expect(reply.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('appends the peer to an incoming X-Forwarded-For', async () => {
    await rawRequest(gateway.url, `/parcels/${ID}`, { headers: { 'x-forwarded-for': '203.0.113.9' } });
    expect(lastSeen(parcelApi)?.headers['x-forwarded-for']).toBe('203.0.113.9, 127.0.0.1');
  });

  it.each([
    ['unknown path', 'GET', '/nowhere'],
    ['unknown path under the stage', 'GET', '/local/nowhere'],
    ['stage root', 'GET', '/local'],
    ['wrong method', 'POST', `/parcels/${ID}`],
    ['HEAD on a GET resource', 'HEAD', `/parcels/${ID}`],
    ['encoded slash', 'GET', '/parcels/RR1%2F..%2F'],
    ['traversal', 'GET', `/internal/warehouse/../../parcels/${ID}`],
  ])('answers 403 Missing Authentication Token: %s', async (_name, method, path) => {
    const before = parcelApi.received.length + warehouse.received.length;
    const reply = await rawRequest(gateway.url, path, { method });
    expect(reply.status).toBe(403);
    expect(reply.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    if (method !== 'HEAD')
      expect(JSON.parse(reply.body)).toEqual({ message: 'Missing Authentication Token' });
    expect(parcelApi.received.length + warehouse.received.length).toBe(before);
  });

  it('validates the S10 shape of /parcels/{id} before calling the integration', async () => {
    const before = parcelApi.received.length;
    const reply = await rawRequest(gateway.url, '/parcels/not-a-parcel');
    expect(reply.status).toBe(400);
    expect(reply.headers['x-amzn-errortype']).toBe('BadRequestException');
    expect(parcelApi.received.length).toBe(before);
  });

  it('passes integration errors through as they are', async () => {
    const reply = await rawRequest(gateway.url, '/parcels/RR000000000GB');
    expect(reply).toMatchObject({ status: 503, body: '{"error":"down"}' });
  });

  it('serves health outside the API surface', async () => {
    for (const path of ['/health', '/__gateway/health']) {
      const reply = await rawRequest(gateway.url, path);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ status: 'ok' });
    }
  });

  it('never crashes and never answers 5xx for hostile paths', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 60 }).map((s) => `/parcels/${encodeURIComponent(s)}`),
          fc
            .array(
              fc.constantFrom(
                'parcels',
                'internal',
                'vendor',
                '..',
                '.',
                '%2F',
                '%2e%2e',
                '',
                'local',
                '%00',
                ID,
              ),
              { maxLength: 6 },
            )
            .map((p) => `/${p.join('/')}`),
        ),
        async (path) => {
          const reply = await rawRequest(gateway.url, path);
          expect(reply.status).toBeLessThan(500);
        },
      ),
      { numRuns: 40 },
    );
    expect((await rawRequest(gateway.url, '/health')).status).toBe(200);
  });
});

describe('IAM authorisation on /internal/*', () => {
  const path = `/internal/warehouse/${ID}`;

  it('refuses unsigned calls with MissingAuthenticationTokenException', async () => {
    const reply = await rawRequest(gateway.url, path);
    expect(reply.status).toBe(403);
    expect(reply.headers['x-amzn-errortype']).toBe('MissingAuthenticationTokenException');
    expect(JSON.parse(reply.body)).toEqual({ message: 'Missing Authentication Token' });
  });

  it('lets SigV4-signed calls through, with or without the stage prefix', async () => {
    for (const p of [path, `/local/internal/vendor/${ID}?fresh=1`]) {
      const reply = await rawRequest(gateway.url, p, { headers: await sign(p) });
      expect(reply.status).toBe(200);
      expect(lastSeen(warehouse)?.url).toBe(p.replace('/local', ''));
      expect(lastSeen(warehouse)?.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 /);
    }
  });

  it('reads query parameters named like Object properties as parameters (`?constructor=1`)', async () => {
    for (const query of ['constructor=1', 'toString=a&hasOwnProperty=b', '__proto__=x', 'valueOf=1']) {
      const p = `${path}?${query}`;
      const reply = await rawRequest(gateway.url, p, { headers: await sign(p) });
      expect(reply.status, `${query}: ${reply.body}`).toBe(200);
      expect(lastSeen(warehouse)?.url).toBe(p);
    }
  });

  it('refuses a wrong secret with the signature-mismatch message', async () => {
    const reply = await rawRequest(gateway.url, path, { headers: await sign(path, { secret: 'wrong' }) });
    expect(reply.status).toBe(403);
    expect(reply.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    expect(JSON.parse(reply.body).message).toMatch(
      /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\./,
    );
  });

  it('refuses a signature for another request (path swapped after signing)', async () => {
    const headers = await sign(`/internal/vendor/${ID}`);
    const reply = await rawRequest(gateway.url, path, { headers });
    expect(reply).toMatchObject({
      status: 403,
      headers: { 'x-amzn-errortype': 'InvalidSignatureException' },
    });
  });

  it('refuses an unknown access key', async () => {
    const reply = await rawRequest(gateway.url, path, {
      headers: await sign(path, { keyId: 'AKIDUNKNOWN' }),
    });
    expect(reply.status).toBe(403);
    expect(reply.headers['x-amzn-errortype']).toBe('UnrecognizedClientException');
    expect(JSON.parse(reply.body)).toEqual({
      message: 'The security token included in the request is invalid.',
    });
  });

  it('refuses clock skew over 5 minutes either way, accepts within it', async () => {
    const old = await rawRequest(gateway.url, path, {
      headers: await sign(path, { date: new Date(Date.now() - 6 * 60_000) }),
    });
    expect(old.status).toBe(403);
    expect(old.headers['x-amzn-errortype']).toBe('InvalidSignatureException');
    expect(JSON.parse(old.body).message).toMatch(
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
    const future = await rawRequest(gateway.url, path, {
      headers: await sign(path, { date: new Date(Date.now() + 6 * 60_000) }),
    });
    expect(future.status).toBe(403);
    const slightlyOff = await rawRequest(gateway.url, path, {
      headers: await sign(path, { date: new Date(Date.now() - 4 * 60_000) }),
    });
    expect(slightlyOff.status).toBe(200);
  });

  it('answers a non-SigV4 Authorization header with IncompleteSignatureException', async () => {
    const reply = await rawRequest(gateway.url, path, { headers: { authorization: 'Bearer abc' } });
    expect(reply.status).toBe(403);
    expect(reply.headers['x-amzn-errortype']).toBe('IncompleteSignatureException');
    expect(JSON.parse(reply.body).message).toContain("Authorization header requires 'Credential' parameter.");
  });

  it('never lets a mangled signature through', async () => {
    const good = await sign(path);
    const auth = good.authorization as string;
    // Every character that carries meaning (separators between parameters are mere syntax).
    const meaningful = [...auth].flatMap((c, i) => (c === ' ' || c === ',' ? [] : [i]));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...meaningful),
        fc.constantFrom('0', 'f', ',', ' ', '=', 'A'),
        async (at, ch) => {
          const mangled = auth.slice(0, at) + ch + auth.slice(at + 1);
          fc.pre(mangled !== auth);
          const reply = await rawRequest(gateway.url, path, { headers: { ...good, authorization: mangled } });
          expect(reply.status).toBe(403);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('limits', () => {
  /**
   * Starts a GET of the parcel at the stage with `headers`, lets `write` send a body (it may never end it),
   * and resolves with the response once its head arrives. The stage may close while the body is still
   * being written, after it answered: the broken pipe that leaves the client is expected.
   */
  const streamTo = (headers: OutgoingHttpHeaders, write: (req: ClientRequest) => void) =>
    new Promise<IncomingMessage>((resolve, reject) => {
      const url = new URL(gateway.url);
      const req = request(
        { host: url.hostname, port: url.port, path: `/parcels/${ID}`, method: 'GET', headers, agent: false },
        resolve,
      );
      req.on('error', (e: NodeJS.ErrnoException) =>
        e.code === 'EPIPE' || e.code === 'ECONNRESET' ? undefined : reject(e),
      );
      write(req);
    });

  it('answers 413 for a declared payload over 10 MB without reading it', async () => {
    const res = await streamTo({ 'content-length': 10 * 1024 * 1024 + 1 }, (req) =>
      req.write('x'.repeat(1024)),
    );
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(await text(res))).toEqual({ message: 'Request Too Long' });
  });

  it('answers 413 for a chunked payload that grows past 10 MB', async () => {
    const res = await streamTo({ 'transfer-encoding': 'chunked' }, (req) => {
      const chunk = Buffer.alloc(1024 * 1024, 'a');
      for (let i = 0; i < 11; i++) req.write(chunk);
      req.end();
    });
    res.resume();
    expect(res.statusCode).toBe(413);
    expect((await rawRequest(gateway.url, `/parcels/${ID}`)).status).toBe(200);
  });

  it('answers 431 with a gateway response when header values pass 10,240 bytes', async () => {
    const reply = await rawRequest(gateway.url, `/parcels/${ID}`, {
      headers: { 'x-big': 'a'.repeat(10_300) },
    });
    expect(reply.status).toBe(431);
    expect(JSON.parse(reply.body)).toEqual({ message: 'Request Header Fields Too Large' });
  });

  it('answers 431 cleanly, not with a reset, even past what the HTTP parser accepts', async () => {
    const reply = await rawRequest(gateway.url, `/parcels/${ID}`, {
      headers: { 'x-huge': 'a'.repeat(70_000) },
    });
    expect(reply.status).toBe(431);
    expect(JSON.parse(reply.body)).toEqual({ message: 'Request Header Fields Too Large' });
    expect((await rawRequest(gateway.url, '/health')).status).toBe(200);
  });

  it('answers malformed HTTP with a clean 400, then keeps serving', async () => {
    const url = new URL(gateway.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let data = '';
      socket.on('data', (c) => {
        data += c;
      });
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw).toContain('{"message":"Bad Request"}');
    expect((await rawRequest(gateway.url, '/health')).status).toBe(200);
  });

  it('answers 504 "Endpoint request timed out" when the integration is slower than its timeout', async () => {
    const started = Date.now();
    const slow = await rawRequest(impatient.url, `/parcels/${ID}?slow=1`);
    expect(slow.status).toBe(504);
    expect(JSON.parse(slow.body)).toEqual({ message: 'Endpoint request timed out' });
    expect(Date.now() - started).toBeLessThan(1900); // well before the upstream answers (2 s)
  });

  it('answers 503 when nothing listens behind the integration', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise<void>((r) => closed.close(() => r()));
    const g = await startGateway(config({ PARCEL_API_URL: deadUrl }), { samplingEndpoint: null });
    try {
      const reply = await rawRequest(g.url, `/parcels/${ID}`);
      expect(reply.status).toBe(503);
      expect(JSON.parse(reply.body)).toEqual({ message: 'Service Unavailable' });
    } finally {
      await g.close();
    }
  });
  it('answers 502 when the target drops the connection, and logs why, which target and which trace', async () => {
    const dropping = createNetServer((socket) => socket.once('data', () => socket.destroy()));
    await new Promise<void>((r) => dropping.listen(0, '127.0.0.1', r));
    const targetUrl = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`;
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ destination: { write: (line: string) => lines.push(JSON.parse(line)) } });
    const g = await startGateway(config({ PARCEL_API_URL: targetUrl }), { samplingEndpoint: null, logger });
    try {
      const reply = await rawRequest(g.url, `/parcels/${ID}`);
      expect(reply.status).toBe(502);
      const traceId = parseTraceHeader(String(reply.headers['x-amzn-trace-id']))?.root;
      expect(lines.find((l) => l.msg === 'request failed')).toMatchObject({
        status: 502,
        traceId,
        target: `${targetUrl}/parcels/${ID}`,
        reason: { code: 'ECONNRESET', message: 'socket hang up' },
      });
    } finally {
      await g.close();
      await new Promise<void>((r) => dropping.close(() => r()));
    }
  });
});

describe('tracing at the edge', () => {
  const segmentsOf = (traceId: string) => collector.segments.filter((s) => s.trace_id === traceId);

  it('starts a trace, samples it by the central rule, and records stage → integration → service', async () => {
    const reply = await rawRequest(gateway.url, `/local/parcels/${ID}?q=1`, {
      headers: { 'user-agent': 'vitest' },
    });
    const client = parseTraceHeader(reply.headers['x-amzn-trace-id']);
    const downstream = parseTraceHeader(lastSeen(parcelApi)?.headers['x-amzn-trace-id']);
    expect(client?.sampled).toBe('1');
    expect(downstream).toMatchObject({ root: client?.root, sampled: '1' });
    expect(downstream?.parent).toMatch(/^[0-9a-f]{16}$/);

    const [segment] = await collector.waitFor(() => segmentsOf(client?.root as string).length > 0);
    const stage = segmentsOf(client?.root as string)[0] as SegmentDoc & Record<string, unknown>;
    expect(segment).toBeDefined();
    expect(stage).toMatchObject({
      name: 'parcelapi/local',
      origin: 'AWS::ApiGateway::Stage',
      trace_id: client?.root,
      http: {
        request: { method: 'GET', client_ip: '127.0.0.1', user_agent: 'vitest' },
        response: { status: 200 },
      },
      aws: {
        xray: { sampling_rule_name: 'stage-parcels' },
        api_gateway: {
          account_id: '000000000000',
          rest_api_id: 'parcelapi',
          stage: 'local',
          request_id: reply.headers['x-amzn-requestid'],
        },
      },
    });
    expect(stage.parent_id).toBeUndefined();
    expect(stage.http?.request?.url).toContain(`/local/parcels/${ID}?q=1`);
    expect(stage.end_time).toBeGreaterThanOrEqual(stage.start_time);
    const sub = stage.subsegments?.[0];
    expect(sub).toMatchObject({
      id: downstream?.parent,
      namespace: 'remote',
      name: new URL(parcelApi.url).host,
      http: {
        request: { method: 'GET', url: `${parcelApi.url}/parcels/${ID}?q=1` },
        response: { status: 200 },
      },
    });
    expect(sub?.start_time).toBeGreaterThanOrEqual(stage.start_time);
    expect(stage.error ?? stage.fault).toBeUndefined();
  });

  it('continues a valid incoming trace, parents the stage to the caller, carries unknown fields on', async () => {
    const root = '1-5759e988-bd862e3fe1be46a994272793';
    const reply = await rawRequest(gateway.url, `/parcels/${ID}`, {
      headers: { 'x-amzn-trace-id': `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:0` },
    });
    expect(parseTraceHeader(reply.headers['x-amzn-trace-id'])?.root).toBe(root);
    const downstream = parseTraceHeader(lastSeen(parcelApi)?.headers['x-amzn-trace-id']);
    expect(downstream).toMatchObject({ root, sampled: '1', extra: [['Lineage', 'a87bd80c:0']] });
    expect(downstream?.parent).not.toBe('53995c3f42cd8ad8');
    await collector.waitFor(() => segmentsOf(root).length > 0);
    const stage = segmentsOf(root)[0];
    expect(stage?.parent_id).toBe('53995c3f42cd8ad8');
    expect(stage?.subsegments?.[0]?.id).toBe(downstream?.parent);
    // The caller decided: no rule name is recorded.
    expect(stage?.aws?.xray).toBeUndefined();
  });

  it('honours Sampled=0 from the caller even where the rule would sample, and emits nothing', async () => {
    const root = '1-5759e988-000000000000000000000001';
    await rawRequest(gateway.url, `/parcels/${ID}`, {
      headers: { 'x-amzn-trace-id': `Root=${root};Sampled=0` },
    });
    expect(parseTraceHeader(lastSeen(parcelApi)?.headers['x-amzn-trace-id'])).toMatchObject({
      root,
      sampled: '0',
    });
    // A sampled request sent after it is the marker: once its segment is in, the other's would be too.
    const marker = '1-5759e988-00000000000000000000000a';
    await rawRequest(gateway.url, `/parcels/${ID}`, {
      headers: { 'x-amzn-trace-id': `Root=${marker};Sampled=1` },
    });
    await collector.waitFor(() => segmentsOf(marker).length > 0);
    expect(segmentsOf(root)).toHaveLength(0);
  });

  it('decides when the caller asks (Sampled=?) or leaves the flag out', async () => {
    for (const header of [
      'Root=1-5759e988-000000000000000000000002;Sampled=?',
      'Root=1-5759e988-000000000000000000000003',
    ]) {
      await rawRequest(gateway.url, `/parcels/${ID}`, { headers: { 'x-amzn-trace-id': header } });
      const downstream = parseTraceHeader(lastSeen(parcelApi)?.headers['x-amzn-trace-id']);
      expect(downstream?.root).toBe(parseTraceHeader(header)?.root);
      expect(downstream?.sampled).toBe('1'); // the stage-parcels rule: FixedRate 1
    }
  });

  it('applies the rules to other paths too: the Default rule here samples nothing after the borrowed one', async () => {
    const flags: string[] = [];
    for (let i = 0; i < 4; i++) {
      const p = `/internal/warehouse/${ID}`;
      await rawRequest(gateway.url, p, { headers: await sign(p) });
      flags.push(parseTraceHeader(lastSeen(warehouse)?.headers['x-amzn-trace-id'])?.sampled ?? '');
    }
    expect(flags.filter((f) => f === '1').length).toBeLessThanOrEqual(2);
    expect(flags).toContain('0');
  });

  it('replaces a malformed or hostile header with a new trace, and always passes a valid one on', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.constantFrom(
            'Root=1-zzzz-1;Sampled=1',
            'Root=1-5759e988-bd862e3fe1be46a994272793;Root=1-5759e988-bd862e3fe1be46a994272794',
            'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=xyz',
            'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=2',
            `Root=1-5759e988-bd862e3fe1be46a994272793;Evil=${'a'.repeat(3000)}`,
            'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
          ),
        ),
        async (header) => {
          try {
            validateHeaderValue('x-amzn-trace-id', header);
          } catch {
            fc.pre(false);
          }
          const reply = await rawRequest(gateway.url, `/parcels/${ID}`, {
            headers: { 'x-amzn-trace-id': header },
          });
          expect(reply.status).toBe(200);
          const downstream = parseTraceHeader(lastSeen(parcelApi)?.headers['x-amzn-trace-id']);
          expect(downstream).toBeDefined();
          expect(downstream?.parent).toMatch(/^[0-9a-f]{16}$/);
          expect(['0', '1']).toContain(downstream?.sampled);
          const incoming = parseTraceHeader(header);
          if (incoming) expect(downstream?.root).toBe(incoming.root);
          else expect(downstream?.root).not.toBe('1-5759e988-bd862e3fe1be46a994272793');
        },
      ),
      { numRuns: 60 },
    );
  });

  it('records gateway errors and integration failures on the stage segment', async () => {
    const forbidden = await rawRequest(gateway.url, '/parcels', {
      headers: { 'x-amzn-trace-id': 'Root=1-5759e988-000000000000000000000004;Sampled=1' },
    });
    expect(forbidden.status).toBe(403);
    const slow = await rawRequest(impatient.url, `/parcels/${ID}?slow=2`, {
      headers: { 'x-amzn-trace-id': 'Root=1-5759e988-000000000000000000000005;Sampled=1' },
    });
    expect(slow.status).toBe(504);
    await collector.waitFor(
      () =>
        segmentsOf('1-5759e988-000000000000000000000005').length > 0 &&
        segmentsOf('1-5759e988-000000000000000000000004').length > 0,
    );
    const denied = segmentsOf('1-5759e988-000000000000000000000004')[0];
    expect(denied).toMatchObject({ error: true, http: { response: { status: 403 } } });
    expect(denied?.subsegments).toBeUndefined();
    const timedOut = segmentsOf('1-5759e988-000000000000000000000005')[0];
    expect(timedOut).toMatchObject({ fault: true, http: { response: { status: 504 } } });
    expect(timedOut?.subsegments?.[0]).toMatchObject({ fault: true, namespace: 'remote' });
    expect(timedOut?.subsegments?.[0]?.http?.response).toBeUndefined();
    expect(JSON.stringify(timedOut?.subsegments?.[0]?.cause)).toContain('IntegrationTimeout');
  });

  it("records the connection's address as client_ip, not a caller's X-Forwarded-For", async () => {
    const root = '1-5759e988-0000000000000000000000f1';
    await rawRequest(gateway.url, `/parcels/${ID}`, {
      headers: { 'x-amzn-trace-id': `Root=${root};Sampled=1`, 'x-forwarded-for': '198.51.100.7' },
    });
    await collector.waitFor(() => segmentsOf(root).length > 0);
    const [stage] = segmentsOf(root);
    expect(stage?.http?.request?.client_ip).toBe('127.0.0.1');
    expect(stage?.http?.request).not.toHaveProperty('x_forwarded_for');
  });

  it('believes X-Forwarded-For only from a trusted forwarder, skipping trusted hops in it', async () => {
    const trusting = await startGateway(config({ TRUSTED_FORWARDERS: '10.0.0.9, 127.0.0.1' }), {
      samplingEndpoint: xraySampling.samplingEndpoint,
    });
    try {
      const root = '1-5759e988-0000000000000000000000f2';
      await rawRequest(trusting.url, `/parcels/${ID}`, {
        headers: {
          'x-amzn-trace-id': `Root=${root};Sampled=1`,
          'x-forwarded-for': '192.0.2.1, 198.51.100.7, 10.0.0.9',
        },
      });
      await collector.waitFor(() => segmentsOf(root).length > 0);
      const [stage] = segmentsOf(root);
      // The left-most entry is whatever the client wrote; the right-most untrusted one is who connected.
      expect(stage?.http?.request).toMatchObject({ client_ip: '198.51.100.7', x_forwarded_for: true });
    } finally {
      await trusting.close();
    }
  });

  it('keeps serving when the daemon is gone (sends are fire-and-forget)', async () => {
    const g = await startGateway(config({ AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:9' }), {
      samplingEndpoint: null,
    });
    try {
      for (let i = 0; i < 5; i++) {
        const reply = await rawRequest(g.url, `/parcels/${ID}`, {
          headers: { 'x-amzn-trace-id': `Root=1-5759e988-00000000000000000000001${i};Sampled=1` },
        });
        expect(reply.status).toBe(200);
      }
      expect(g.sampler.source).toBe('local');
    } finally {
      await g.close();
    }
  });
});
