import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { hasAwsCli, toolPresent } from '@parcel/test-kit';
import { parcelTrace } from '@parcel/trace-model/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningXrayService, startXrayService } from './server';

const run = promisify(execFile);

/** The test is about the CLI: without one there is nothing to run (a failure in CI, REQUIRE_TOOLS=1). */
const cliHere = toolPresent('the AWS CLI', await hasAwsCli());

let service: RunningXrayService;
beforeAll(async () => {
  service = await startXrayService({ port: 0, bindHost: '127.0.0.1', maxTraces: 100 }, { pageSize: 1 });
});
afterAll(async () => {
  await service?.close();
});

// Asynchronous child processes only: the service runs in this process and must keep answering.
const cli = async (...args: string[]) => {
  const { stdout } = await run('aws', ['xray', ...args, '--endpoint-url', service.url, '--output', 'json'], {
    timeout: 30_000,
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_PAGER: '',
    },
  });
  return JSON.parse(stdout);
};

describe.runIf(cliHere)('the AWS CLI against xray-service', () => {
  it('lists summaries (following NextToken) and fetches whole traces', async () => {
    const a = parcelTrace({ secondsAgo: 0, cache: 'miss' });
    const b = parcelTrace({ secondsAgo: 0, fanoutFailed: true });
    service.api.putTraceSegments({
      TraceSegmentDocuments: [...a.docs, ...b.docs].map((d) => JSON.stringify(d)),
    });
    const now = Math.floor(Date.now() / 1000);
    const summaries = await cli(
      'get-trace-summaries',
      '--start-time',
      String(now - 300),
      '--end-time',
      String(now + 60),
    );
    const ids = summaries.TraceSummaries.map((s: { Id: string }) => s.Id).sort();
    // Page size 1: the CLI had to follow NextToken to see both.
    expect(ids).toEqual([a.traceId, b.traceId].sort());
    const faulty = summaries.TraceSummaries.find((s: { Id: string }) => s.Id === b.traceId);
    expect(faulty).toMatchObject({ HasFault: true, Http: { HttpStatus: 502, HttpMethod: 'GET' } });

    const traces = await cli('batch-get-traces', '--trace-ids', a.traceId, b.traceId);
    expect(traces.Traces).toHaveLength(2);
    const trace = traces.Traces.find((t: { Id: string }) => t.Id === a.traceId);
    expect(trace.Segments).toHaveLength(7);
    const names = trace.Segments.map((s: { Document: string }) => JSON.parse(s.Document).name).sort();
    expect(names).toEqual([
      'parcel-api',
      'parcel-api/local',
      'parcel-api/local',
      'parcel-api/local',
      'parcel-fanout',
      'warehouse-query',
      'warehouse-query',
    ]);
    expect(traces.UnprocessedTraceIds).toEqual([]);
  });
});
