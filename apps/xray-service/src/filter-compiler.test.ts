import {
  GetTraceSummariesCommand,
  InvalidRequestException,
  PutTraceSegmentsCommand,
  XRayClient,
} from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { parcelTrace } from '@parcel/trace-model/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { xrayFilterCompiler } from './filter-compiler';
import { type RunningXrayService, startXrayService } from './server';

let service: RunningXrayService;
let xray: XRayClient;
const ok = parcelTrace({ secondsAgo: 0, cache: 'miss', parcelId: 'RR123456785GB' });
// The vendor timed out and failed the fan-out: warehouse-query, parcel-api and the edge faulted, the state
// machine did not.
const broken = parcelTrace({ secondsAgo: 0, parcelId: 'CP987654326DE', fanoutFailed: true });
// The slow request: parcel-api spent 1.5 s more after its cache read.
const slow = parcelTrace({ secondsAgo: 0, cache: 'miss', parcelId: 'LX314159268US', apiExtra: 1.5 });

beforeAll(async () => {
  service = await startXrayService(
    { port: 0, bindHost: '127.0.0.1', maxTraces: 100 },
    { filterCompiler: xrayFilterCompiler() },
  );
  xray = new XRayClient({ endpoint: service.url, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
  await xray.send(
    new PutTraceSegmentsCommand({
      TraceSegmentDocuments: [...ok.docs, ...broken.docs, ...slow.docs].map((d) => JSON.stringify(d)),
    }),
  );
});
afterAll(async () => {
  xray?.destroy();
  await service?.close();
});

const ids = async (FilterExpression: string) => {
  const now = Date.now();
  const res = await xray.send(
    new GetTraceSummariesCommand({
      StartTime: new Date(now - 60_000),
      EndTime: new Date(now + 60_000),
      FilterExpression,
    }),
  );
  return (res.TraceSummaries ?? []).map((s) => s.Id).sort();
};

describe('GetTraceSummaries FilterExpression through @parcel/xray-filter', () => {
  it('selects by service fault, annotation, response time and URL', async () => {
    expect(await ids('service("warehouse-query") { fault }')).toEqual([broken.traceId]);
    expect(await ids('service("parcel-fanout") { fault }')).toEqual([]);
    expect(await ids('annotation.parcel_id = "RR123456785GB"')).toEqual([ok.traceId]);
    expect(await ids('responsetime > 1')).toEqual([slow.traceId]);
    expect(await ids('http.url CONTAINS "parcels"')).toEqual(
      [ok.traceId, broken.traceId, slow.traceId].sort(),
    );
    expect(await ids('http.url CONTAINS "parcels" AND NOT fault')).toEqual([ok.traceId, slow.traceId].sort());
  });

  it('answers a malformed expression with a 400 naming the position', async () => {
    const err = await xray
      .send(
        new GetTraceSummariesCommand({
          StartTime: new Date(Date.now() - 60_000),
          EndTime: new Date(),
          FilterExpression: 'service("parcel-api") { fault',
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestException);
    expect((err as InvalidRequestException).$metadata.httpStatusCode).toBe(400);
    expect((err as Error).message).toMatch(/at position 29/);
  });

  it('sees a trace again after it changed (the per-trace digest is rebuilt)', async () => {
    expect(await ids('annotation.late = "yes"')).toEqual([]);
    const late = { ...ok.docs[1], annotations: { ...ok.docs[1]?.annotations, late: 'yes' } };
    await xray.send(new PutTraceSegmentsCommand({ TraceSegmentDocuments: [JSON.stringify(late)] }));
    expect(await ids('annotation.late = "yes"')).toEqual([ok.traceId]);
  });
});
