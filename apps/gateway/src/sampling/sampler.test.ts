import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { samplingRulesAnswer } from '../testing/sampling-rules';
import { CentralSampler, parseTime } from './sampler';

/**
 * A tiny real HTTP server speaking the two sampling calls, standing in for the daemon's TCP proxy in
 * front of the X-Ray API. It records what the sampler reports.
 */
async function rulesServer(opts: {
  rules: Record<string, unknown>[];
  targets?: (stats: Record<string, unknown>[]) => Record<string, unknown>;
}) {
  const seen: { path: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = JSON.parse(raw || '{}');
      seen.push({ path: req.url ?? '', body });
      let answer: unknown;
      if (req.method === 'POST' && req.url === '/GetSamplingRules') {
        answer = samplingRulesAnswer(opts.rules);
      } else if (req.method === 'POST' && req.url === '/SamplingTargets' && opts.targets) {
        answer = opts.targets(body.SamplingStatisticsDocuments);
      } else {
        res.writeHead(404).end('{}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const request = (urlPath: string) => ({
  serviceName: 'parcelapi/local',
  serviceType: 'AWS::ApiGateway::Stage',
  host: 'localhost',
  httpMethod: 'GET',
  urlPath,
});

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

describe('CentralSampler', () => {
  it('applies the local Default (1/s, then 5 %) when the daemon is unreachable', async () => {
    let now = 1_700_000_000_000;
    let draws = 0;
    // 127.0.0.1:9 (discard) refuses connections.
    const sampler = new CentralSampler({
      endpoint: 'http://127.0.0.1:9',
      now: () => now,
      random: () => (draws++ % 20) / 20,
    });
    await sampler.start();
    cleanup.push(() => sampler.close());
    expect(sampler.source).toBe('local');
    const decisions = Array.from({ length: 101 }, () => sampler.decide(request('/parcels/x')));
    expect(decisions[0]).toEqual({ sampled: true, ruleName: 'Default' });
    // After the reservoir: exactly the draws under 0.05, i.e. 1 in 20.
    expect(decisions.slice(1).filter((d) => d.sampled)).toHaveLength(5);
    now += 1000;
    expect(sampler.decide(request('/parcels/x')).sampled).toBe(true);
  });

  it('uses the rules the daemon serves, borrows 1/s until a quota arrives, then honours targets', async () => {
    let now = 1_700_000_000_000;
    const server = await rulesServer({
      rules: [
        { RuleName: 'Default', Priority: 10000, FixedRate: 0.05, ReservoirSize: 1 },
        {
          RuleName: 'parcels-all',
          Priority: 10,
          FixedRate: 1,
          ReservoirSize: 0,
          URLPath: '/parcels/*',
          ServiceType: 'AWS::ApiGateway::Stage',
        },
        { RuleName: 'internal-none', Priority: 20, FixedRate: 0, ReservoirSize: 0, URLPath: '/internal/*' },
      ],
      targets: (stats) => ({
        SamplingTargetDocuments: stats.map((s) => ({
          RuleName: s.RuleName,
          FixedRate: s.RuleName === 'internal-none' ? 0 : 1,
          ReservoirQuota: s.RuleName === 'internal-none' ? 2 : 0,
          ReservoirQuotaTTL: (now + 60_000) / 1000,
          Interval: 10,
        })),
        LastRuleModification: 0,
      }),
    });
    cleanup.push(server.close);
    const sampler = new CentralSampler({ endpoint: server.url, now: () => now, random: () => 0.5 });
    await sampler.start();
    cleanup.push(() => sampler.close());
    expect(sampler.source).toBe('central');
    expect(server.seen[0]).toEqual({ path: '/GetSamplingRules', body: {} });

    // FixedRate 1: every request sampled.
    for (let i = 0; i < 10; i++)
      expect(sampler.decide(request('/parcels/x'))).toEqual({ sampled: true, ruleName: 'parcels-all' });
    // FixedRate 0, no quota yet: one borrowed per second, nothing else.
    const internal = Array.from({ length: 10 }, () => sampler.decide(request('/internal/vendor/x')));
    expect(internal.filter((d) => d.sampled)).toHaveLength(1);

    expect(await sampler.reportTargets()).toBe(true);
    const report = server.seen.find((s) => s.path === '/SamplingTargets')?.body
      .SamplingStatisticsDocuments as Record<string, unknown>[];
    expect(report.find((r) => r.RuleName === 'internal-none')).toMatchObject({
      ClientID: sampler.clientId,
      RequestCount: 10,
      SampledCount: 1,
      BorrowCount: 1,
    });
    expect(report.find((r) => r.RuleName === 'parcels-all')).toMatchObject({
      RequestCount: 10,
      SampledCount: 10,
    });
    expect(sampler.clientId).toMatch(/^[0-9a-f]{24}$/);

    // Quota 2/s now: two per second, the rest at FixedRate 0.
    now += 1000;
    const withQuota = Array.from({ length: 10 }, () => sampler.decide(request('/internal/vendor/x')));
    expect(withQuota.filter((d) => d.sampled)).toHaveLength(2);
    // Quota expired: back to borrowing.
    now += 120_000;
    const expired = Array.from({ length: 10 }, () => sampler.decide(request('/internal/vendor/x')));
    expect(expired.filter((d) => d.sampled)).toHaveLength(1);
    // Unmatched paths fall to Default.
    expect(sampler.decide(request('/health')).ruleName).toBe('Default');
  });

  it('refetches rules when SamplingTargets reports a newer modification', async () => {
    let fixedRate = 0;
    const server = await rulesServer({
      rules: [
        {
          RuleName: 'Default',
          Priority: 10000,
          ReservoirSize: 0,
          get FixedRate() {
            return fixedRate;
          },
        },
      ],
      targets: () => ({ SamplingTargetDocuments: [], LastRuleModification: Date.now() / 1000 + 1 }),
    });
    cleanup.push(server.close);
    const sampler = new CentralSampler({ endpoint: server.url, random: () => 0.5 });
    await sampler.start();
    cleanup.push(() => sampler.close());
    sampler.decide(request('/a')); // the borrowed one
    expect(sampler.decide(request('/a')).sampled).toBe(false);
    fixedRate = 1;
    await sampler.reportTargets();
    expect(server.seen.filter((s) => s.path === '/GetSamplingRules')).toHaveLength(2);
    expect(sampler.decide(request('/a')).sampled).toBe(true);
  });
});

describe('parseTime', () => {
  it('reads epoch seconds, epoch milliseconds and ISO strings', () => {
    expect(parseTime(1_700_000_000)).toBe(1_700_000_000_000);
    expect(parseTime(1_700_000_000_000)).toBe(1_700_000_000_000);
    expect(parseTime('2023-11-14T22:13:20.000Z')).toBe(1_700_000_000_000);
    expect(parseTime('nope')).toBeUndefined();
    expect(parseTime(null)).toBeUndefined();
  });
});
