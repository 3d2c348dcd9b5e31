import { UpdateSamplingRuleCommand } from '@aws-sdk/client-xray';
import { makeParcelId } from '@parcel/contract';
import { type RunningGateway, startGateway } from '@parcel/gateway';
import { DEFAULT_RULE, PARCEL_API_RULE } from '@parcel/sampling-rules';
import { type RecordingServer, rawRequest, type UdpCollector } from '@parcel/test-kit';
import { parseTraceHeader, type SegmentDoc } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayBench, startGatewayBench } from '../support/gateway-bench';
import { signedStageGet } from '../support/sigv4';

/**
 * Keep-on-error at the stage: an unsampled request's stage segment is sent only when the request failed,
 * was slow, or its integration failed or said `X-Trace-Kept`; internal callers hear why, clients do not.
 */
const ID = makeParcelId('RR', '12345678', 'GB');
const KEY = { accessKeyId: 'AKIDKEEPTEST', secretAccessKey: 'keep-test-secret' };
const CALLER_PARENT = '53995c3f42cd8ad8';

let bench: GatewayBench;
let parcelApi: RecordingServer;
let warehouse: RecordingServer;
let collector: UdpCollector<SegmentDoc>;
let gateway: RunningGateway;
let impatient: RunningGateway;

beforeAll(async () => {
  const respond = (req: { url: string }) => {
    if (req.url.includes('fail')) return { status: 500, body: '{"error":"boom"}' };
    if (req.url.includes('kept')) return { headers: { 'x-trace-kept': 'error' } };
    if (req.url.includes('slow')) return { delayMs: 400 };
    return { body: JSON.stringify({ ok: true, url: req.url }) };
  };
  bench = await startGatewayBench({ credentials: KEY, parcelApi: respond, warehouse: respond });
  ({ parcelApi, warehouse, collector } = bench);
  // Sampling as deployed: the project's rules in the local X-Ray service, fetched (GetSamplingRules,
  // SamplingTargets) through the daemon's TCP proxy. Everything sampled by the team's and the default
  // rule, so the rule-selection cases can read the rule names; segments go to a collector to read back.
  const { xray, samplingEndpoint } = bench.xraySampling;
  for (const rule of [PARCEL_API_RULE, DEFAULT_RULE]) {
    await xray.send(
      new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleName: rule.RuleName, FixedRate: 1 } }),
    );
  }
  // The "slow" upstream takes at least 400 ms: over the threshold whatever the machine's load. A healthy
  // request on a loaded machine may take longer than it too; the cases below allow for that (kept as latency).
  gateway = await startGateway(bench.config({ TRACE_KEEP_SLOW_MS: String(SLOW_MS) }), { samplingEndpoint });
  impatient = await startGateway(bench.config({ INTEGRATION_TIMEOUT_MS: '100', TRACE_KEEP_SLOW_MS: '0' }), {
    samplingEndpoint,
  });
  expect(gateway.sampler.source).toBe('central');
});

afterAll(async () => {
  await gateway?.close();
  await impatient?.close();
  await bench?.close();
});

let traceSeq = 0;
const newRoot = () => `1-5759e988-${(++traceSeq).toString(16).padStart(24, 'a')}`;
const unsampled = (root: string) => ({ 'x-amzn-trace-id': `Root=${root};Parent=${CALLER_PARENT};Sampled=0` });
const segmentsOf = (root: string) => collector.segments.filter((s) => s.trace_id === root);
const lastSeen = (u: RecordingServer) => u.received[u.received.length - 1];

/** TRACE_KEEP_SLOW_MS of `gateway`. */
const SLOW_MS = 250;

/** A request, and how long its caller waited (an upper bound on what the stage measured). */
async function timed<T>(call: () => Promise<T>): Promise<{ reply: T; ms: number }> {
  const started = performance.now();
  const reply = await call();
  return { reply, ms: performance.now() - started };
}

/**
 * An unsampled, healthy request sends nothing: proven by a sampled request sent after it (its segment in,
 * the other's would be too). Unless it took longer than TRACE_KEEP_SLOW_MS, which a loaded machine can
 * cause: then its stage segment is kept as latency, also by design.
 */
async function expectNothingSentUnlessSlow(root: string, ms: number) {
  const marker = newRoot();
  await rawRequest(gateway.url, `/parcels/${ID}`, {
    headers: { 'x-amzn-trace-id': `Root=${marker};Parent=${CALLER_PARENT};Sampled=1` },
  });
  await collector.waitFor(() => segmentsOf(marker).length > 0);
  if (ms < SLOW_MS) expect(segmentsOf(root)).toHaveLength(0);
  else for (const s of segmentsOf(root)) expect(s.annotations).toMatchObject({ trace_kept: 'latency' });
}

async function signed(base: string, path: string, extra: Record<string, string> = {}) {
  const headers = await signedStageGet(new URL(base).host, path, { credentials: KEY });
  return rawRequest(base, path, { headers: { ...headers, ...extra } });
}

describe('unsampled requests', () => {
  it('still get a segment id: the integration sees Parent=<integration id>;Sampled=0, and nothing is sent', async () => {
    const root = newRoot();
    const before = gateway.stats.snapshot();
    const { reply, ms } = await timed(() =>
      rawRequest(gateway.url, `/parcels/${ID}`, { headers: unsampled(root) }),
    );
    expect(reply.status).toBe(200);
    const downstream = parseTraceHeader(lastSeen(parcelApi)?.headers['x-amzn-trace-id']);
    expect(downstream).toMatchObject({ root, sampled: '0' });
    expect(downstream?.parent).toMatch(/^[0-9a-f]{16}$/);
    expect(downstream?.parent).not.toBe(CALLER_PARENT);
    expect(reply.headers['x-trace-kept']).toBeUndefined();
    const after = gateway.stats.snapshot();
    await expectNothingSentUnlessSlow(root, ms);
    if (ms < SLOW_MS) expect(after.discarded).toBe(before.discarded + 1);
    else expect(after.discarded + after.kept.latency).toBe(before.discarded + before.kept.latency + 1);
  });

  it('keep the stage segment of a 5xx as error, linked to the caller and to the service', async () => {
    const root = newRoot();
    const before = gateway.stats.snapshot();
    const reply = await rawRequest(gateway.url, `/parcels/${ID}?fail=1`, { headers: unsampled(root) });
    expect(reply.status).toBe(500);
    // A client outside the system never hears about keeping.
    expect(reply.headers['x-trace-kept']).toBeUndefined();
    expect(parseTraceHeader(reply.headers['x-amzn-trace-id'])?.sampled).toBe('0');
    const downstream = parseTraceHeader(lastSeen(parcelApi)?.headers['x-amzn-trace-id']);
    await collector.waitFor(() => segmentsOf(root).length > 0);
    const stage = segmentsOf(root)[0];
    expect(stage).toMatchObject({
      name: 'parcelapi/local',
      parent_id: CALLER_PARENT,
      fault: true,
      annotations: { trace_kept: 'error' },
      http: { response: { status: 500 } },
    });
    expect(stage?.subsegments?.[0]).toMatchObject({ id: downstream?.parent, fault: true });
    expect(gateway.stats.snapshot().kept.error).toBe(before.kept.error + 1);
  });

  it('keep a healthy answer whose service said X-Trace-Kept as downstream, and hide the header from clients', async () => {
    const root = newRoot();
    const reply = await rawRequest(gateway.url, `/parcels/${ID}?kept=1`, { headers: unsampled(root) });
    expect(reply.status).toBe(200);
    expect(reply.headers['x-trace-kept']).toBeUndefined();
    await collector.waitFor(() => segmentsOf(root).length > 0);
    const stage = segmentsOf(root)[0] as SegmentDoc;
    expect(stage.annotations).toMatchObject({ trace_kept: 'downstream' });
    expect(stage.fault ?? stage.error).toBeUndefined();
  });

  it('keep a slow request as latency (TRACE_KEEP_SLOW_MS)', async () => {
    const root = newRoot();
    const reply = await rawRequest(gateway.url, `/parcels/${ID}?slow=1`, { headers: unsampled(root) });
    expect(reply.status).toBe(200);
    await collector.waitFor(() => segmentsOf(root).length > 0);
    expect(segmentsOf(root)[0]?.annotations).toMatchObject({ trace_kept: 'latency' });
  });

  it('keep an integration timeout as error, with the failed call as a faulted subsegment', async () => {
    const root = newRoot();
    const reply = await rawRequest(impatient.url, `/parcels/${ID}?slow=1`, { headers: unsampled(root) });
    expect(reply.status).toBe(504);
    await collector.waitFor(() => segmentsOf(root).length > 0);
    const stage = segmentsOf(root)[0] as SegmentDoc;
    expect(stage).toMatchObject({ fault: true, annotations: { trace_kept: 'error' } });
    expect(JSON.stringify(stage.subsegments?.[0]?.cause)).toContain('IntegrationTimeout');
  });
});

describe('internal routes (the state machine calls them)', () => {
  it('answer X-Trace-Kept with the reason, so the calling task keeps its own segment', async () => {
    const failed = newRoot();
    const failedReply = await signed(
      gateway.url,
      `/local/internal/warehouse/${ID}?fail=1`,
      unsampled(failed),
    );
    expect(failedReply.status).toBe(500);
    expect(failedReply.headers['x-trace-kept']).toBe('error');

    const kept = newRoot();
    const keptReply = await signed(gateway.url, `/local/internal/vendor/${ID}?kept=1`, unsampled(kept));
    expect(keptReply.status).toBe(200);
    expect(keptReply.headers['x-trace-kept']).toBe('downstream');

    const quiet = newRoot();
    const { reply: quietReply, ms: quietMs } = await timed(() =>
      signed(gateway.url, `/local/internal/vendor/${ID}`, unsampled(quiet)),
    );
    expect(quietReply.status).toBe(200);
    if (quietMs < SLOW_MS) expect(quietReply.headers['x-trace-kept']).toBeUndefined();

    await collector.waitFor(() => segmentsOf(failed).length > 0 && segmentsOf(kept).length > 0);
    expect(segmentsOf(failed)[0]).toMatchObject({
      parent_id: CALLER_PARENT,
      annotations: { trace_kept: 'error' },
    });
    expect(segmentsOf(kept)[0]?.annotations).toMatchObject({ trace_kept: 'downstream' });
    await expectNothingSentUnlessSlow(quiet, quietMs);
  });

  it('answer X-Trace-Kept: error on a gateway-made failure too (integration timeout)', async () => {
    const root = newRoot();
    const reply = await signed(impatient.url, `/local/internal/vendor/${ID}?slow=1`, unsampled(root));
    expect(reply.status).toBe(504);
    expect(reply.headers['x-trace-kept']).toBe('error');
    await collector.waitFor(() => segmentsOf(root).length > 0);
    expect(segmentsOf(root)[0]?.annotations).toMatchObject({ trace_kept: 'error' });
  });

  it('pass a sampled caller decision on unchanged and record it as upstream', async () => {
    const root = newRoot();
    const before = gateway.stats.snapshot();
    await signed(gateway.url, `/local/internal/warehouse/${ID}`, {
      'x-amzn-trace-id': `Root=${root};Parent=${CALLER_PARENT};Sampled=1`,
    });
    expect(parseTraceHeader(lastSeen(warehouse)?.headers['x-amzn-trace-id'])).toMatchObject({
      root,
      sampled: '1',
    });
    await collector.waitFor(() => segmentsOf(root).length > 0);
    expect(segmentsOf(root)[0]?.annotations?.trace_kept).toBeUndefined();
    expect(gateway.stats.snapshot().sampled.byRule.upstream).toBe((before.sampled.byRule.upstream ?? 0) + 1);
  });
});

describe('the team rule at the stage', () => {
  it('decides /parcels/{id} with parcel-api and /internal/… with Default (what the stage reports matches)', async () => {
    const parcel = await rawRequest(gateway.url, '/parcels/RR123456785GB');
    const internal = await signed(gateway.url, `/local/internal/warehouse/${ID}`);
    const parcelRoot = parseTraceHeader(parcel.headers['x-amzn-trace-id'])?.root as string;
    const internalRoot = parseTraceHeader(internal.headers['x-amzn-trace-id'])?.root as string;
    await collector.waitFor(() => segmentsOf(parcelRoot).length > 0 && segmentsOf(internalRoot).length > 0);
    expect(segmentsOf(parcelRoot)[0]?.aws).toMatchObject({ xray: { sampling_rule_name: 'parcel-api' } });
    expect(segmentsOf(internalRoot)[0]?.aws).toMatchObject({ xray: { sampling_rule_name: 'Default' } });
  });

  it('serves its counters at /__gateway/stats', async () => {
    const reply = await rawRequest(gateway.url, '/__gateway/stats');
    expect(reply.status).toBe(200);
    const stats = JSON.parse(reply.body);
    expect(stats).toMatchObject({
      sampled: { byRule: { 'parcel-api': expect.any(Number), Default: expect.any(Number) } },
      kept: { error: expect.any(Number), latency: expect.any(Number), downstream: expect.any(Number) },
      discarded: expect.any(Number),
      sampling: 'central',
    });
    expect(stats.kept.error).toBeGreaterThanOrEqual(2);
    expect(stats.kept.latency).toBeGreaterThanOrEqual(1);
    expect(stats.kept.downstream).toBeGreaterThanOrEqual(2);
    expect(stats).toEqual({ ...gateway.stats.snapshot(), segments: expect.any(Object), sampling: 'central' });
  });
});
