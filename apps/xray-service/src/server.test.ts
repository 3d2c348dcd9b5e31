import {
  BatchGetTracesCommand,
  CreateSamplingRuleCommand,
  DeleteSamplingRuleCommand,
  GetSamplingRulesCommand,
  GetSamplingTargetsCommand,
  GetServiceGraphCommand,
  GetTraceSummariesCommand,
  InvalidRequestException,
  PutTraceSegmentsCommand,
  UpdateSamplingRuleCommand,
  XRayClient,
} from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { DEFAULT_RULE, PARCEL_API_RULE } from '@parcel/sampling-rules';
import { parcelTrace } from '@parcel/trace-model/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningXrayService, startXrayService } from './server';

let service: RunningXrayService;
let xray: XRayClient;

beforeAll(async () => {
  service = await startXrayService({ port: 0, bindHost: '127.0.0.1', maxTraces: 1000 }, { pageSize: 2 });
  xray = new XRayClient({ endpoint: service.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
});
afterAll(async () => {
  xray?.destroy();
  await service?.close();
});

const window = () => {
  const now = Date.now();
  return { StartTime: new Date(now - 60_000), EndTime: new Date(now + 60_000) };
};

describe('xray-service through @aws-sdk/client-xray', () => {
  it('answers health', async () => {
    const res = await fetch(`${service.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('stores segments, reports bad ones as unprocessed, and counts both', async () => {
    const before = { ...service.api.ingest };
    const t = parcelTrace({ secondsAgo: 0, cache: 'miss', streamSubsegments: true });
    const out = await xray.send(
      new PutTraceSegmentsCommand({
        TraceSegmentDocuments: [
          ...t.docs.map((d) => JSON.stringify(d)),
          '{not json',
          JSON.stringify({ id: 'x' }),
        ],
      }),
    );
    expect(out.UnprocessedTraceSegments).toHaveLength(2);
    expect(out.UnprocessedTraceSegments?.[0]?.ErrorCode).toBe('InvalidSegment');
    const { segments } = (await (await fetch(`${service.url}/__xray/stats`)).json()) as {
      segments: { received: number; stored: number; unprocessed: number };
    };
    expect(segments).toEqual({
      received: before.received + t.docs.length + 2,
      stored: before.stored + t.docs.length,
      unprocessed: before.unprocessed + 2,
    });

    const traces = await xray.send(
      new BatchGetTracesCommand({ TraceIds: [t.traceId, '1-00000000-000000000000000000000000'] }),
    );
    expect(traces.UnprocessedTraceIds).toEqual(['1-00000000-000000000000000000000000']);
    const trace = traces.Traces?.[0];
    expect(trace?.Id).toBe(t.traceId);
    expect(trace?.Duration).toBeCloseTo(0.37, 3);
    // The edge stage, parcel-api, the state machine, and the two stage → warehouse-query legs.
    expect(trace?.Segments).toHaveLength(7);
    const api = trace?.Segments?.find((s) => s.Id === t.apiId);
    const doc = JSON.parse(api?.Document ?? '{}');
    // The streamed SFN subsegment is nested under its parent, without its wire-only fields.
    const sfnSub = doc.subsegments.find((s: { id: string }) => s.id === t.sfnSubsegmentId);
    expect(sfnSub).toMatchObject({ name: 'SFN', namespace: 'aws' });
    expect(sfnSub.type).toBeUndefined();
    expect(sfnSub.parent_id).toBeUndefined();
  });

  it('a re-sent segment replaces the in-progress one', async () => {
    const t = parcelTrace({ secondsAgo: 0, cache: 'miss' });
    const [stage] = t.docs;
    const inProgress = { ...stage, end_time: undefined, in_progress: true };
    await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify(inProgress)] }));
    let sums = await xray.send(new GetTraceSummariesCommand(window()));
    expect(sums.TraceSummaries?.length).toBeGreaterThan(0);
    const partial = (await xray.send(new BatchGetTracesCommand({ TraceIds: [t.traceId] }))).Traces?.[0];
    expect(JSON.parse(partial?.Segments?.[0]?.Document ?? '{}').in_progress).toBe(true);
    await xray.send(
      new PutTraceSegmentsCommand({ TraceSegmentDocuments: t.docs.map((d) => JSON.stringify(d)) }),
    );
    const whole = (await xray.send(new BatchGetTracesCommand({ TraceIds: [t.traceId] }))).Traces?.[0];
    expect(whole?.Segments).toHaveLength(7);
    const stageDoc = JSON.parse(whole?.Segments?.find((s) => s.Id === t.edgeId)?.Document ?? '{}');
    expect(stageDoc.in_progress).toBeUndefined();
    sums = await xray.send(new GetTraceSummariesCommand(window()));
    const summary = sums.TraceSummaries?.find((s) => s.Id === t.traceId);
    expect(summary?.IsPartial).toBe(false);
  });

  it('summarises traces with pagination', async () => {
    const faulty = parcelTrace({ secondsAgo: 0, parcelId: 'CP000000005DE', fanoutFailed: true });
    await xray.send(
      new PutTraceSegmentsCommand({ TraceSegmentDocuments: faulty.docs.map((d) => JSON.stringify(d)) }),
    );
    const all = [];
    let NextToken: string | undefined;
    do {
      const page = await xray.send(new GetTraceSummariesCommand({ ...window(), NextToken }));
      expect(page.TraceSummaries?.length).toBeLessThanOrEqual(2);
      all.push(...(page.TraceSummaries ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    expect(new Set(all.map((s) => s.Id)).size).toBe(all.length);
    expect(all.length).toBe(3);
    const s = all.find((x) => x.Id === faulty.traceId);
    expect(s).toMatchObject({
      HasFault: true,
      HasError: false,
      HasThrottle: false,
      IsPartial: false,
      Http: { HttpMethod: 'GET', HttpStatus: 502, ClientIp: '127.0.0.1', UserAgent: 'curl/8.5.0' },
      EntryPoint: { Name: 'parcel-api/local', Type: 'AWS::ApiGateway::Stage' },
    });
    expect(s?.Http?.HttpURL).toContain('/parcels/CP000000005DE');
    expect(s?.ResponseTime).toBeCloseTo(0.37, 3);
    expect(s?.StartTime).toBeInstanceOf(Date);
    expect(s?.Annotations?.parcel_id?.[0]?.AnnotationValue).toEqual({ StringValue: 'CP000000005DE' });
    expect(s?.Annotations?.vendor_status?.[0]?.ServiceIds?.[0]?.Name).toBe('warehouse-query');
    expect(s?.ServiceIds?.map((x) => x.Name).sort()).toEqual(
      [
        'DynamoDB',
        'parcel-api',
        'parcel-fanout',
        'parcel-api/local',
        'parcels@127.0.0.1',
        'vendor.localhost',
        'warehouse-query',
      ].sort(),
    );
  });

  it('refuses a filter expression while no evaluator is plugged in, then uses one', async () => {
    await expect(
      xray.send(new GetTraceSummariesCommand({ ...window(), FilterExpression: 'fault' })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    service.setFilterCompiler((expr) => {
      if (expr !== 'fault') throw new Error(`unsupported: ${expr}`);
      return (trace) => trace.model().hasFault;
    });
    try {
      const res = await xray.send(new GetTraceSummariesCommand({ ...window(), FilterExpression: 'fault' }));
      expect(res.TraceSummaries).toHaveLength(1);
      expect(res.TracesProcessedCount).toBe(3);
      await expect(
        xray.send(new GetTraceSummariesCommand({ ...window(), FilterExpression: 'nonsense' })),
      ).rejects.toThrow(/unsupported: nonsense/);
    } finally {
      service.setFilterCompiler(undefined);
    }
  });

  it('builds a service graph with typed, inferred and client nodes', async () => {
    const graph = await xray.send(new GetServiceGraphCommand(window()));
    const services = graph.Services ?? [];
    const byName = new Map(services.map((s) => [s.Name, s]));
    expect(new Set(services.map((s) => `${s.Name}|${s.Type}`)).size).toBe(services.length);
    expect(byName.get('client')?.Type).toBe('client');
    expect(byName.get('parcel-api/local')).toMatchObject({ Type: 'AWS::ApiGateway::Stage', Root: true });
    expect(byName.get('parcel-fanout')?.Type).toBe('AWS::StepFunctions::StateMachine');
    expect(byName.get('parcel-api')?.Type).toBe('AWS::ECS::Container');
    expect(byName.get('DynamoDB')).toMatchObject({ Type: 'AWS::DynamoDB::Table' });
    expect(byName.get('DynamoDB')?.Names).toContain('parcels');
    expect(byName.get('vendor.localhost')?.Type).toBe('remote');
    expect(byName.get('parcels@127.0.0.1')?.Type).toBe('PostgreSQL');
    // No inferred node for the SFN call: the state machine answered it with a segment of its own.
    expect(byName.has('SFN')).toBe(false);
    const ref = (name: string) => byName.get(name)?.ReferenceId;
    const edgesOf = (name: string) => (byName.get(name)?.Edges ?? []).map((e) => e.ReferenceId);
    expect(edgesOf('client')).toEqual([ref('parcel-api/local')]);
    expect(edgesOf('parcel-api').sort()).toEqual([ref('DynamoDB'), ref('parcel-fanout')].sort());
    expect(edgesOf('warehouse-query').sort()).toEqual(
      [ref('parcels@127.0.0.1'), ref('vendor.localhost')].sort(),
    );
    const vendor = byName.get('vendor.localhost');
    expect(vendor?.SummaryStatistics?.TotalCount).toBe(3);
    expect(vendor?.SummaryStatistics?.FaultStatistics?.TotalCount).toBe(1);
    expect(vendor?.SummaryStatistics?.OkCount).toBe(2);
    expect(graph.StartTime).toBeInstanceOf(Date);
  });

  it('serves, creates, updates and deletes sampling rules', async () => {
    const rules = await xray.send(new GetSamplingRulesCommand({}));
    const names = rules.SamplingRuleRecords?.map((r) => r.SamplingRule?.RuleName);
    expect(names).toEqual([PARCEL_API_RULE.RuleName, DEFAULT_RULE.RuleName]);
    expect(rules.SamplingRuleRecords?.[1]?.SamplingRule).toMatchObject({ ...DEFAULT_RULE });
    expect(Math.abs((rules.SamplingRuleRecords?.[0]?.CreatedAt?.getTime() ?? 0) - Date.now())).toBeLessThan(
      600_000,
    );

    const created = await xray.send(
      new CreateSamplingRuleCommand({
        SamplingRule: { ...PARCEL_API_RULE, RuleName: 'incident', Priority: 1, FixedRate: 1 },
      }),
    );
    expect(created.SamplingRuleRecord?.SamplingRule?.RuleARN).toMatch(/:sampling-rule\/incident$/);
    await expect(
      xray.send(
        new CreateSamplingRuleCommand({ SamplingRule: { ...PARCEL_API_RULE, RuleName: 'incident' } }),
      ),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(
      xray.send(
        new CreateSamplingRuleCommand({
          SamplingRule: { ...PARCEL_API_RULE, RuleName: 'bad', ServiceType: '' },
        }),
      ),
    ).rejects.toThrow(/ServiceType/);

    const updated = await xray.send(
      new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleName: 'incident', FixedRate: 0.5 } }),
    );
    expect(updated.SamplingRuleRecord?.SamplingRule).toMatchObject({
      FixedRate: 0.5,
      URLPath: '/parcels/*',
      Priority: 1,
    });
    await expect(
      xray.send(
        new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleName: 'Default', URLPath: '/x' } }),
      ),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await xray.send(
      new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleName: 'Default', FixedRate: 0.1 } }),
    );

    const deleted = await xray.send(new DeleteSamplingRuleCommand({ RuleName: 'incident' }));
    expect(deleted.SamplingRuleRecord?.SamplingRule?.RuleName).toBe('incident');
    await expect(xray.send(new DeleteSamplingRuleCommand({ RuleName: 'Default' }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    await expect(xray.send(new DeleteSamplingRuleCommand({ RuleName: 'incident' }))).rejects.toThrow(
      /does not exist/,
    );
    const after = await xray.send(new GetSamplingRulesCommand({}));
    expect(after.SamplingRuleRecords?.map((r) => r.SamplingRule?.RuleName)).toEqual(names);
    await xray.send(
      new UpdateSamplingRuleCommand({ SamplingRuleUpdate: { RuleName: 'Default', FixedRate: 0.05 } }),
    );
  });

  it('splits a reservoir across the clients reporting for a rule', async () => {
    await xray.send(
      new CreateSamplingRuleCommand({
        SamplingRule: { ...PARCEL_API_RULE, RuleName: 'split', ReservoirSize: 5 },
      }),
    );
    try {
      const report = (client: string, requests: number) =>
        xray.send(
          new GetSamplingTargetsCommand({
            SamplingStatisticsDocuments: [
              {
                RuleName: 'split',
                ClientID: client,
                RequestCount: requests,
                SampledCount: 1,
                BorrowCount: 0,
                Timestamp: new Date(),
              },
              { RuleName: 'nope', ClientID: client, RequestCount: 1, SampledCount: 0, Timestamp: new Date() },
            ],
          }),
        );
      const first = await report('a'.repeat(24), 10);
      expect(first.SamplingTargetDocuments?.[0]).toMatchObject({
        RuleName: 'split',
        ReservoirQuota: 5,
        FixedRate: 0.05,
        Interval: 10,
      });
      expect(first.UnprocessedStatistics).toEqual([
        { RuleName: 'nope', ErrorCode: '400', Message: 'Unknown rule' },
      ]);
      const ttl = first.SamplingTargetDocuments?.[0]?.ReservoirQuotaTTL?.getTime() ?? 0;
      expect(ttl - Date.now()).toBeGreaterThan(15_000);
      expect(ttl - Date.now()).toBeLessThan(21_000);
      const second = await report('b'.repeat(24), 20);
      const again = await report('a'.repeat(24), 10);
      const quotaB = second.SamplingTargetDocuments?.[0]?.ReservoirQuota ?? 0;
      const quotaA = again.SamplingTargetDocuments?.[0]?.ReservoirQuota ?? 0;
      expect(quotaA + quotaB).toBe(5);
      expect(quotaB).toBe(3); // the busier client gets the remainder
      expect(again.LastRuleModification).toBeInstanceOf(Date);
    } finally {
      await xray.send(new DeleteSamplingRuleCommand({ RuleName: 'split' }));
    }
  });

  it('serves the X-Ray SDK for Node times it reads correctly (epoch milliseconds)', async () => {
    const res = await fetch(`${service.url}/SamplingTargets`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        SamplingStatisticsDocuments: [
          {
            RuleName: 'Default',
            ClientID: 'c'.repeat(24),
            RequestCount: 1,
            BorrowCount: 1,
            SampledCount: 1,
            Timestamp: Math.floor(Date.now() / 1000),
          },
        ],
      }),
    });
    const body = (await res.json()) as {
      LastRuleModification: unknown;
      SamplingTargetDocuments: { ReservoirQuotaTTL: number }[];
    };
    // aws-xray-sdk-core: typeof LastRuleModification must be 'number'; times read as new Date(x).getTime() / 1000.
    expect(typeof body.LastRuleModification).toBe('number');
    const ttlSeconds =
      new Date(body.SamplingTargetDocuments[0]?.ReservoirQuotaTTL as number).getTime() / 1000;
    expect(ttlSeconds).toBeGreaterThan(Date.now() / 1000);
  });

  it('answers bad input with 400s in REST-JSON error style', async () => {
    const post = (path: string, body: string) =>
      fetch(`${service.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
    for (const [path, body] of [
      ['/TraceSegments', '{'],
      ['/TraceSegments', '[]'],
      ['/TraceSegments', '{"TraceSegmentDocuments": [1]}'],
      ['/TraceSummaries', '{"StartTime": "yesterday"}'],
      ['/TraceSummaries', '{"StartTime": 10, "EndTime": 5}'],
      ['/TraceSummaries', '{"StartTime": 1, "EndTime": 2, "NextToken": "garbage"}'],
      ['/Traces', '{"TraceIds": "x"}'],
      ['/CreateSamplingRule', '{"SamplingRule": null}'],
      ['/SamplingTargets', '{}'],
    ] as const) {
      const res = await post(path, body);
      expect(res.status, `${path} ${body}`).toBe(400);
      expect(res.headers.get('x-amzn-errortype')).toBe('InvalidRequestException');
      expect(((await res.json()) as { message: string }).message.length).toBeGreaterThan(0);
    }
    const big = await post(
      '/TraceSegments',
      JSON.stringify({ TraceSegmentDocuments: ['x'.repeat(9 * 1024 * 1024)] }),
    );
    expect(big.status).toBe(413);
    expect((await fetch(`${service.url}/Nope`, { method: 'POST' })).status).toBe(404);
  });
});
