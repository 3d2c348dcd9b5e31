import { BatchGetTracesCommand, UpdateSamplingRuleCommand } from '@aws-sdk/client-xray';
import { readGatewayConfig } from '@parcel/config';
import { makeParcelId } from '@parcel/contract';
import { type RunningGateway, startGateway } from '@parcel/gateway';
import { PARCEL_API_RULE } from '@parcel/sampling-rules';
import { type RecordingServer, rawRequest, startRecordingServer } from '@parcel/test-kit';
import { parseTraceHeader } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startXraySampling, type XraySampling } from '../support/xray-sampling';

/**
 * The stage against the project's real X-Ray pieces: rules come from the local X-Ray service through the
 * daemon's TCP proxy, stage segments go to the daemon over UDP and land in the service's trace store.
 */
const ID = makeParcelId('RR', '12345678', 'GB');

let pieces: XraySampling;
let upstream: RecordingServer;
let gateway: RunningGateway;

beforeAll(async () => {
  pieces = await startXraySampling();
  upstream = await startRecordingServer();
  gateway = await startGateway(
    readGatewayConfig({
      PORT: '0',
      PARCEL_API_URL: upstream.url,
      WAREHOUSE_QUERY_URL: upstream.url,
      AWS_XRAY_DAEMON_ADDRESS: pieces.daemon.address,
      LOG_LEVEL: 'silent',
    }),
  );
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
  await pieces?.close();
});

const sampledFlag = async () => {
  await rawRequest(gateway.url, `/parcels/${ID}`);
  return parseTraceHeader(upstream.received[upstream.received.length - 1]?.headers['x-amzn-trace-id'])
    ?.sampled;
};

describe('sampling rules from the local X-Ray service, through the daemon', () => {
  it('uses the project rules, and a rule change applies without a restart', async () => {
    expect(gateway.sampler.source).toBe('central');
    expect(gateway.sampler.ruleNames).toEqual(['parcel-api', 'Default']);

    // parcel-api rule: 1/s then 5 %. Turn it off (reservoir 0, rate 0) live.
    await pieces.xray.send(
      new UpdateSamplingRuleCommand({
        SamplingRuleUpdate: { RuleName: PARCEL_API_RULE.RuleName, FixedRate: 0, ReservoirSize: 0 },
      }),
    );
    expect(await gateway.sampler.reportTargets()).toBe(true); // sees LastRuleModification, refetches
    await sampledFlag(); // may be this second's borrowed one
    const off = [];
    for (let i = 0; i < 5; i++) off.push(await sampledFlag());
    expect(off.filter((f) => f === '1').length).toBeLessThanOrEqual(1);

    // And fully on.
    await pieces.xray.send(
      new UpdateSamplingRuleCommand({
        SamplingRuleUpdate: { RuleName: PARCEL_API_RULE.RuleName, FixedRate: 1 },
      }),
    );
    await gateway.sampler.reportTargets();
    const on = [];
    for (let i = 0; i < 5; i++) on.push(await sampledFlag());
    expect(on).toEqual(['1', '1', '1', '1', '1']);
  });

  it('lands the stage segment, with its integration subsegment, in the trace store', async () => {
    await pieces.xray.send(
      new UpdateSamplingRuleCommand({
        SamplingRuleUpdate: { RuleName: PARCEL_API_RULE.RuleName, FixedRate: 1 },
      }),
    );
    await gateway.sampler.reportTargets();
    const reply = await rawRequest(gateway.url, `/local/parcels/${ID}`);
    const root = parseTraceHeader(reply.headers['x-amzn-trace-id'])?.root as string;
    expect(parseTraceHeader(reply.headers['x-amzn-trace-id'])?.sampled).toBe('1');
    const parent = parseTraceHeader(
      upstream.received[upstream.received.length - 1]?.headers['x-amzn-trace-id'],
    )?.parent;

    const deadline = Date.now() + 5000;
    let documents: Record<string, unknown>[] = [];
    while (Date.now() < deadline) {
      const out = await pieces.xray.send(new BatchGetTracesCommand({ TraceIds: [root] }));
      documents = (out.Traces?.[0]?.Segments ?? []).map((s) => JSON.parse(s.Document ?? '{}'));
      if (documents.length) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(documents).toHaveLength(1);
    expect(documents[0]).toMatchObject({
      name: 'parcelapi/local',
      origin: 'AWS::ApiGateway::Stage',
      aws: {
        xray: { sampling_rule_name: 'parcel-api' },
        api_gateway: { rest_api_id: 'parcelapi', stage: 'local' },
      },
      subsegments: [{ id: parent, namespace: 'remote', http: { response: { status: 200 } } }],
    });
  });
});
