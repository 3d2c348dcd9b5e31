import {
  BatchGetTracesCommand,
  GetSamplingRulesCommand,
  type SamplingRule,
  UpdateSamplingRuleCommand,
  type XRayClient,
} from '@aws-sdk/client-xray';
import { SAMPLE_PARCELS } from '@parcel/contract';
import type { SegmentDoc } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Outcome, startTraffic, timeUntil, updateRule } from '../support/sampling';
import { useSharedStack } from '../support/shared-stack';
import { readTrace, xrayClient } from '../support/traces';

/**
 * "Tuned live": with steady traffic at the edge, an UpdateSamplingRule through the AWS CLI changes the
 * sampled share within about ten seconds (the SDK-style poller reports to /SamplingTargets every 10 s and
 * refetches the rules when LastRuleModification moves), with no restart of anything.
 */
const stack = useSharedStack();
let xray: XRayClient;
/** The rules as the shared stack had them: put back for the files after this one. */
let rulesBefore: SamplingRule[];

beforeAll(async () => {
  xray = xrayClient(stack.endpoints.xray);
  const out = await xray.send(new GetSamplingRulesCommand({}));
  rulesBefore = (out.SamplingRuleRecords ?? []).flatMap((r) => (r.SamplingRule ? [r.SamplingRule] : []));
});
afterAll(async () => {
  for (const rule of rulesBefore ?? []) {
    await xray.send(
      new UpdateSamplingRuleCommand({
        SamplingRuleUpdate: {
          RuleName: rule.RuleName,
          FixedRate: rule.FixedRate,
          ReservoirSize: rule.ReservoirSize,
        },
      }),
    );
  }
  xray?.destroy();
});

/** The newest `count` trace ids whose answer said Sampled=`sampled`. */
function recentIds(outcomes: Outcome[], sampled: boolean, count: number): string[] {
  const ids = outcomes
    .filter((o) => o.sampled === sampled && o.traceId)
    .slice(-count)
    .map((o) => o.traceId as string);
  expect(ids.length).toBe(count);
  return ids;
}

/** Every stored segment of each trace (BatchGetTraces takes 5 ids a call). */
async function storedSegments(client: XRayClient, traceIds: string[]): Promise<SegmentDoc[][]> {
  const out: SegmentDoc[][] = [];
  for (let i = 0; i < traceIds.length; i += 5) {
    const page = await client.send(new BatchGetTracesCommand({ TraceIds: traceIds.slice(i, i + 5) }));
    for (const t of page.Traces ?? []) {
      out.push((t.Segments ?? []).map((s) => JSON.parse(s.Document ?? '{}') as SegmentDoc));
    }
  }
  return out;
}

type GatewayStats = { sampled: { byRule: Record<string, number> }; sampling: 'central' | 'local' };
const gatewayStats = async () =>
  (await (await fetch(`${stack.endpoints.gateway}/__gateway/stats`)).json()) as GatewayStats;

// Ten seconds is the design target; the margin covers a 10 s reporting cycle that just missed the change
// plus a loaded two-core machine.
const WITHIN_MS = 25_000;
const RATE = 20;

describe('sampling tuned live', () => {
  it('follows UpdateSamplingRule on parcel-api: rate 0 → ~0 %, rate 1 → ~100 %, back to 0 → ~0 %', async () => {
    const id = SAMPLE_PARCELS[0]?.id as string;
    const gatewayPid = (await stack.piece('gateway')).pid;
    // Warm the cache: the traffic below is mostly cache hits, the cheap common case.
    expect((await fetch(`${stack.endpoints.gateway}/parcels/${id}`)).status).toBe(200);
    // Until the first GetSamplingRules answer (retried every 10 s if the start-up fetch timed out on a
    // loaded machine) the stage applies the local Default: wait for the central rules first.
    let central = false;
    for (let i = 0; i < 80 && !central; i++) {
      central = (await gatewayStats()).sampling === 'central';
      if (!central) await new Promise((r) => setTimeout(r, 250));
    }
    expect(central, 'the gateway loaded the central sampling rules').toBe(true);
    const before = await gatewayStats();
    const traffic = startTraffic(`${stack.endpoints.gateway}/parcels/${id}`, RATE);
    try {
      const phase = async (fixedRate: 0 | 1, holds: (share: number) => boolean) => {
        await updateRule(xray, stack.endpoints.xray, 'parcel-api', fixedRate, 0);
        // Timed from the moment the rule that decides /parcels/* changed (the CLI itself takes seconds).
        const changedAt = Date.now();
        await updateRule(xray, stack.endpoints.xray, 'Default', fixedRate, 0);
        // Judge only answers that arrived after the change, over a two-second window.
        const window = () => traffic.share(Math.min(2_000, Date.now() - changedAt));
        await timeUntil(
          () => {
            const { share, count } = window();
            return count >= RATE && holds(share);
          },
          WITHIN_MS,
          () => `rate ${fixedRate}: share ${JSON.stringify(window())}, ${traffic.errors} errors`,
        );
        const tookMs = Date.now() - changedAt;
        // And it stays there (not a lucky window). A looser bound than the arrival test: while a quota is
        // being renewed a client may borrow one request a second (5 % of this traffic) by design.
        await new Promise((r) => setTimeout(r, 2_000));
        const { share } = traffic.share(2_000);
        expect(
          Math.abs(share - fixedRate),
          `rate ${fixedRate} holds (share ${share.toFixed(2)})`,
        ).toBeLessThanOrEqual(0.2);
        return tookMs;
      };

      const toZero = await phase(0, (share) => share <= 0.1);
      const toAll = await phase(1, (share) => share >= 0.9);
      // Sampled at the edge means recorded by parcel-api too: the service honours Sampled=1.
      const sampledIds = recentIds(traffic.outcomes, true, 3);
      for (const traceId of sampledIds) {
        await readTrace(
          xray,
          traceId,
          (n) => n.some((x) => x.name === 'parcelapi/local') && n.some((x) => x.name === 'parcel-api'),
        );
      }
      const backToZero = await phase(0, (share) => share <= 0.1);
      // Unsampled at the edge means nothing recorded downstream either (no hop re-decides), unless a hop
      // kept its segment on error or latency — and then it says so.
      const unsampledIds = recentIds(traffic.outcomes, false, 25);
      await new Promise((r) => setTimeout(r, 2_000));
      for (const docs of await storedSegments(xray, unsampledIds)) {
        for (const doc of docs) {
          expect(doc.annotations?.trace_kept, `${doc.name} of unsampled ${doc.trace_id}`).toBeDefined();
        }
      }
      console.log(`sampled share followed the rule in ${toZero} / ${toAll} / ${backToZero} ms`);
      expect(Math.max(toZero, toAll, backToZero)).toBeLessThanOrEqual(WITHIN_MS);
    } finally {
      traffic.stop();
    }

    expect(traffic.outcomes.length).toBeGreaterThan(RATE * 10);
    expect(traffic.outcomes.every((o) => o.status === 200)).toBe(true);
    // No restart: the same gateway process made every decision.
    expect((await stack.piece('gateway')).pid).toBe(gatewayPid);
    // /parcels/* is decided by the team's rule, never by Default.
    const after = await gatewayStats();
    const sampledBy = (s: GatewayStats, rule: string) => s.sampled.byRule[rule] ?? 0;
    expect(sampledBy(after, 'parcel-api') - sampledBy(before, 'parcel-api')).toBeGreaterThan(RATE * 2);
    expect(sampledBy(after, 'Default'), JSON.stringify({ before, after })).toBe(sampledBy(before, 'Default'));
  }, 150_000);
});
