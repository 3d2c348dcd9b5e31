import {
  CreateGroupCommand,
  DeleteGroupCommand,
  GetGroupCommand,
  GetGroupsCommand,
  GetServiceGraphCommand,
  GetTimeSeriesServiceStatisticsCommand,
  GetTraceSummariesCommand,
  InvalidRequestException,
  PutTraceSegmentsCommand,
  UpdateGroupCommand,
  XRayClient,
} from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { XRAY_GROUPS } from '@parcel/sampling-rules';
import { parcelTraceDocuments } from '@parcel/trace-model/testing';
import { newTraceId } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xrayFilterCompiler } from './filter-compiler';
import { type RunningXrayService, startXrayService } from './server';

let service: RunningXrayService;
let xray: XRayClient;
const now = Math.floor(Date.now() / 1000 / 60) * 60 + 5; // 5 s into a minute: one period
const ids = { ok: newTraceId(), vendor: newTraceId(), api: newTraceId() };

beforeAll(async () => {
  service = await startXrayService(
    { port: 0, bindHost: '127.0.0.1', maxTraces: 100 },
    { filterCompiler: xrayFilterCompiler() },
  );
  xray = new XRayClient({ endpoint: service.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  const docs = [
    ...parcelTraceDocuments({ traceId: ids.ok, start: now, cache: 'miss' }),
    ...parcelTraceDocuments({ traceId: ids.vendor, start: now + 1, cache: 'miss', vendor: 'timeout' }),
    ...parcelTraceDocuments({ traceId: ids.api, start: now + 2, cache: 'miss', apiFault: true }),
  ];
  await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs.map((d) => JSON.stringify(d)) }));
});
afterAll(async () => {
  xray?.destroy();
  await service?.close();
});

const window = { StartTime: new Date((now - 60) * 1000), EndTime: new Date((now + 60) * 1000) };

// X-Ray API reference: CreateGroup, GetGroup, GetGroups, UpdateGroup, DeleteGroup, GetServiceGraph
// (GroupName), GetTimeSeriesServiceStatistics; developer guide "Using filter expressions" (group.name).
describe('groups', () => {
  it('starts with the groups the CDK stack deploys (one definition), each a valid expression', async () => {
    for (const group of XRAY_GROUPS) expect(() => xrayFilterCompiler()(group.FilterExpression)).not.toThrow();
    const { Groups } = await xray.send(new GetGroupsCommand({}));
    expect(Groups?.map((g) => [g.GroupName, g.FilterExpression])).toEqual(
      XRAY_GROUPS.map((g) => [g.GroupName, g.FilterExpression]),
    );
    expect(Groups?.[0]?.GroupARN).toMatch(
      /^arn:aws:xray:us-east-1:\d{12}:group\/parcel-api-faults\/[0-9A-F]{32}$/,
    );
  });

  it('creates, reads, updates and deletes a group; a bad expression is refused', async () => {
    const created = await xray.send(
      new CreateGroupCommand({ GroupName: 'slow', FilterExpression: 'responsetime > 1' }),
    );
    expect(created.Group).toMatchObject({ GroupName: 'slow', FilterExpression: 'responsetime > 1' });
    const byArn = await xray.send(new GetGroupCommand({ GroupARN: created.Group?.GroupARN }));
    expect(byArn.Group?.GroupName).toBe('slow');
    const updated = await xray.send(
      new UpdateGroupCommand({ GroupName: 'slow', FilterExpression: 'responsetime > 2' }),
    );
    expect(updated.Group?.FilterExpression).toBe('responsetime > 2');
    await expect(
      xray.send(new CreateGroupCommand({ GroupName: 'bad', FilterExpression: 'service(' })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(xray.send(new CreateGroupCommand({ GroupName: 'slow' }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
    await xray.send(new DeleteGroupCommand({ GroupName: 'slow' }));
    await expect(xray.send(new GetGroupCommand({ GroupName: 'slow' }))).rejects.toBeInstanceOf(
      InvalidRequestException,
    );
  });

  it('GetTraceSummaries honours group.name; GetServiceGraph honours GroupName', async () => {
    const summaries = await xray.send(
      new GetTraceSummariesCommand({ ...window, FilterExpression: 'group.name = "vendor-faults"' }),
    );
    expect(summaries.TraceSummaries?.map((s) => s.Id)).toEqual([ids.vendor]);
    const all = await xray.send(new GetServiceGraphCommand(window));
    const faults = await xray.send(new GetServiceGraphCommand({ ...window, GroupName: 'parcel-api-faults' }));
    const apiNode = (services: typeof all.Services) =>
      services?.find((s) => s.Name === 'parcel-api')?.SummaryStatistics?.TotalCount;
    expect(apiNode(all.Services)).toBe(3);
    expect(apiNode(faults.Services)).toBe(1);
  });
});

describe('GetTimeSeriesServiceStatistics', () => {
  it('counts a node, an edge and a group per period', async () => {
    const node = await xray.send(
      new GetTimeSeriesServiceStatisticsCommand({
        ...window,
        EntitySelectorExpression: 'service("vendor.localhost")',
        Period: 60,
      }),
    );
    const [point] = node.TimeSeriesServiceStatistics ?? [];
    expect(node.TimeSeriesServiceStatistics).toHaveLength(1);
    expect(point?.Timestamp?.getTime()).toBe((now - 5) * 1000);
    expect(point?.ServiceSummaryStatistics).toMatchObject({
      TotalCount: 3,
      FaultStatistics: { TotalCount: 1 },
    });
    expect(point?.ResponseTimeHistogram?.reduce((n, h) => n + (h.Count ?? 0), 0)).toBe(3);

    const edge = await xray.send(
      new GetTimeSeriesServiceStatisticsCommand({
        ...window,
        EntitySelectorExpression: 'edge("warehouse-query", "vendor.localhost")',
      }),
    );
    expect(edge.TimeSeriesServiceStatistics?.[0]?.EdgeSummaryStatistics?.TotalCount).toBe(3);

    const group = await xray.send(
      new GetTimeSeriesServiceStatisticsCommand({ ...window, GroupName: 'parcel-api-faults' }),
    );
    expect(group.TimeSeriesServiceStatistics?.[0]?.ServiceSummaryStatistics).toMatchObject({
      TotalCount: 1,
      FaultStatistics: { TotalCount: 1 },
    });
    await expect(
      xray.send(new GetTimeSeriesServiceStatisticsCommand({ ...window, EntitySelectorExpression: 'fault' })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
    await expect(
      xray.send(new GetTimeSeriesServiceStatisticsCommand({ ...window, Period: 61 })),
    ).rejects.toBeInstanceOf(InvalidRequestException);
  });
});

// X-Ray API reference, GetTimeSeriesServiceStatistics: "ForecastStatistics — The forecasted high and low
// fault count values. Forecast enabled requests require the EntitySelectorExpression ID be provided";
// TimeSeriesServiceStatistics.ServiceForecastStatistics and ForecastStatistics (FaultCountHigh/Low).
describe('GetTimeSeriesServiceStatistics with ForecastStatistics', () => {
  it("forecasts each point's fault band from the node's fault counts in the periods before it", async () => {
    // Vendor timeouts before the window: two in the period just before the point, four three periods back.
    const pointStart = now - 5;
    const history = [
      pointStart - 60 + 1,
      pointStart - 60 + 2,
      ...[1, 2, 3, 4].map((k) => pointStart - 180 + k),
    ];
    const docs = history.flatMap((start) =>
      parcelTraceDocuments({ traceId: newTraceId(start * 1000), start, cache: 'miss', vendor: 'timeout' }),
    );
    await xray.send(
      new PutTraceSegmentsCommand({ TraceSegmentDocuments: docs.map((d) => JSON.stringify(d)) }),
    );

    const answer = await xray.send(
      new GetTimeSeriesServiceStatisticsCommand({
        ...window,
        EntitySelectorExpression: 'service("vendor.localhost")',
        ForecastStatistics: true,
      }),
    );
    const points = answer.TimeSeriesServiceStatistics ?? [];
    expect(points.map((p) => p.Timestamp?.getTime())).toEqual([pointStart * 1000]);
    // The window's own statistics are those of the window only.
    expect(points[0]?.ServiceSummaryStatistics).toMatchObject({
      TotalCount: 3,
      FaultStatistics: { TotalCount: 1 },
    });
    // Ten periods back: faults [2, 0, 4, 0, 0, 0, 0, 0, 0, 0]; mean 0.6, standard deviation √1.64.
    const spread = 2 * Math.sqrt(1.64);
    expect(points[0]?.ServiceForecastStatistics).toEqual({
      FaultCountHigh: Math.ceil(0.6 + spread),
      FaultCountLow: Math.max(0, Math.floor(0.6 - spread)),
    });

    const plain = await xray.send(
      new GetTimeSeriesServiceStatisticsCommand({
        ...window,
        EntitySelectorExpression: 'service("vendor.localhost")',
      }),
    );
    expect(plain.TimeSeriesServiceStatistics?.[0]?.ServiceForecastStatistics).toBeUndefined();
    for (const EntitySelectorExpression of [undefined, 'edge("warehouse-query", "vendor.localhost")']) {
      await expect(
        xray.send(
          new GetTimeSeriesServiceStatisticsCommand({
            ...window,
            EntitySelectorExpression,
            ForecastStatistics: true,
          }),
        ),
      ).rejects.toBeInstanceOf(InvalidRequestException);
    }
  });
});
