import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readWarehouseQueryConfig } from '@parcel/config';
import { SAMPLE_PARCELS } from '@parcel/contract';
import { findFreePort, type RunningPostgres, startPostgres } from '@parcel/local-resources';
import { startUdpCollector, type UdpCollector } from '@parcel/test-kit';
import { type RunningVendorSim, startVendorSim } from '@parcel/vendor-sim';
import {
  createPool,
  migrate,
  type RunningWarehouseQuery,
  seedSampleParcels,
  startWarehouseQuery,
} from '@parcel/warehouse-query';
import { newSegmentId, newTraceId, type SegmentDoc, type SubsegmentDoc } from '@parcel/xray-protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let collector: UdpCollector<SegmentDoc>;
let postgres: RunningPostgres;
let certDir: string;
const sims: Record<string, RunningVendorSim> = {};
const services: Record<string, RunningWarehouseQuery> = {};

async function service(name: string, env: Record<string, string>) {
  services[name] = await startWarehouseQuery(
    readWarehouseQueryConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      AWS_XRAY_DAEMON_ADDRESS: collector.address,
      DATABASE_URL: postgres.url,
      VENDOR_TIMEOUT_MS: '1500',
      ...env,
    }),
    { host: '127.0.0.1' },
  );
}

beforeAll(async () => {
  collector = await startUdpCollector<SegmentDoc>();
  certDir = await mkdtemp(join(tmpdir(), 'wq-certs-'));
  postgres = await startPostgres();
  // The migration step, as the launcher runs it before warehouse-query starts.
  const pool = createPool(readWarehouseQueryConfig({ DATABASE_URL: postgres.url }));
  try {
    await migrate(pool);
    await seedSampleParcels(pool);
  } finally {
    await pool.end();
  }
  const profiles = {
    ok: { medianMs: 0 },
    slow: { medianMs: 3000, slowFraction: 0 },
    failing: { medianMs: 0, errorRate: 1 },
    resetting: { medianMs: 0, resetRate: 1 },
  };
  for (const [name, profile] of Object.entries(profiles)) {
    sims[name] = await startVendorSim({ certDir, profile });
  }
  const ca = (sims.ok as RunningVendorSim).caFile;
  await service('ok', { VENDOR_BASE_URL: (sims.ok as RunningVendorSim).namedUrl, VENDOR_CA_FILE: ca });
  await service('slow', {
    VENDOR_BASE_URL: (sims.slow as RunningVendorSim).namedUrl,
    VENDOR_CA_FILE: ca,
    VENDOR_TIMEOUT_MS: '150',
  });
  await service('failing', {
    VENDOR_BASE_URL: (sims.failing as RunningVendorSim).namedUrl,
    VENDOR_CA_FILE: ca,
  });
  await service('resetting', {
    VENDOR_BASE_URL: (sims.resetting as RunningVendorSim).namedUrl,
    VENDOR_CA_FILE: ca,
  });
  // The vendor's certificate is signed by the local CA: without trusting it, TLS must fail (→ 502).
  await service('untrusted', { VENDOR_BASE_URL: (sims.ok as RunningVendorSim).namedUrl });
  const deadPort = await findFreePort();
  await service('nodb', {
    DATABASE_URL: `postgres://postgres:x@127.0.0.1:${deadPort}/parcels`,
    VENDOR_BASE_URL: (sims.ok as RunningVendorSim).namedUrl,
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(Object.values(services).map((s) => s.close()));
  await Promise.all(Object.values(sims).map((s) => s.close()));
  await postgres?.close();
  await collector?.close();
  if (certDir) await rm(certDir, { recursive: true, force: true });
});

async function get(name: string, path: string) {
  const root = newTraceId();
  const parent = newSegmentId();
  const res = await fetch(`${services[name]?.url}${path}`, {
    headers: { 'x-amzn-trace-id': `Root=${root};Parent=${parent};Sampled=1` },
  });
  const body = (await res.json()) as Record<string, unknown>;
  await collector.waitFor((s) => s.some((d) => d.trace_id === root && !d.type), 10_000);
  const all = collector.segments.filter((d) => d.trace_id === root);
  const segment = all.find((d) => !d.type) as SegmentDoc;
  expect(segment.name).toBe('warehouse-query');
  expect(segment.parent_id).toBe(parent);
  const subs = flatten(segment);
  const ids = new Set([segment.id, ...subs.map((s) => s.id)]);
  for (const s of subs) expect(ids.has(s.parentId)).toBe(true);
  return { res, body, segment, subs };
}

function flatten(doc: SegmentDoc | SubsegmentDoc): (SubsegmentDoc & { parentId: string })[] {
  return (doc.subsegments ?? []).flatMap((s) => [{ ...s, parentId: doc.id }, ...flatten(s)]);
}

describe('GET /internal/warehouse/{id}', () => {
  it('answers the seeded WarehousePart with a pg subsegment', async () => {
    const sample = SAMPLE_PARCELS.find((p) => p.id === 'RR123456785GB');
    const r = await get('ok', '/internal/warehouse/RR123456785GB');
    expect(r.res.status).toBe(200);
    expect(r.body).toMatchObject({ parcelId: 'RR123456785GB', ...sample?.warehouse });
    expect(typeof r.body.updatedAt).toBe('string');
    const sql = r.subs.find((s) => s.sql);
    expect(sql?.namespace).toBe('remote');
    expect(sql?.name).toMatch(/^parcels@/);
    expect(r.segment.annotations).toEqual({ parcel_id: 'RR123456785GB' });
  });

  it('404s a parcel only the vendor knows, 400s an invalid id', async () => {
    expect((await get('ok', '/internal/warehouse/RI888888885DK')).res.status).toBe(404);
    const bad = await get('ok', '/internal/warehouse/RR123456780GB');
    expect(bad.res.status).toBe(400);
    expect(bad.segment.error).toBe(true);
  });

  it('answers 503 with the fault on the segment when the database is down', async () => {
    const r = await get('nodb', '/internal/warehouse/RR123456785GB');
    expect(r.res.status).toBe(503);
    expect(r.body).toMatchObject({ error: { code: 'database_unavailable' } });
    expect(r.segment.fault).toBe(true);
    expect(r.segment.cause).toBeDefined();
  });
});

describe('GET /internal/vendor/{id}', () => {
  it('maps the vendor parcel and records the call as its own subsegment', async () => {
    const sample = SAMPLE_PARCELS.find((p) => p.id === 'CP987654326DE');
    const r = await get('ok', '/internal/vendor/CP987654326DE');
    expect(r.res.status).toBe(200);
    expect(r.body).toMatchObject({
      parcelId: 'CP987654326DE',
      carrier: sample?.vendor?.carrier,
      status: sample?.vendor?.status,
    });
    expect((r.body.events as unknown[]).length).toBe(sample?.vendor?.events.length);
    const call = r.subs.find((s) => s.name === 'vendor.localhost');
    expect(call).toMatchObject({
      namespace: 'remote',
      http: { request: { method: 'GET' }, response: { status: 200 } },
    });
    expect(call?.http?.request?.url).toContain('/v2/parcels/CP987654326DE');
    expect((call?.end_time ?? 0) - (call?.start_time ?? 0)).toBeGreaterThanOrEqual(0);
    expect(r.segment.annotations).toMatchObject({ vendor_status: 'ok' });
  });

  it('404s what the vendor does not know', async () => {
    const r = await get('ok', '/internal/vendor/LX314159268US');
    expect(r.res.status).toBe(404);
    expect(r.segment.annotations).toMatchObject({ vendor_status: 'not_found' });
  });

  it('times out hard: 504 and a faulted vendor subsegment with the cause', async () => {
    const started = Date.now();
    const r = await get('slow', '/internal/vendor/CP987654326DE');
    expect(Date.now() - started).toBeLessThan(1500);
    expect(r.res.status).toBe(504);
    expect(r.body).toMatchObject({ error: { code: 'vendor_timeout' } });
    const call = r.subs.find((s) => s.name === 'vendor.localhost');
    expect(call?.fault).toBe(true);
    const cause = call?.cause as { exceptions: { message: string; type?: string }[] };
    expect(cause.exceptions[0]?.message).toMatch(/within 150 ms/);
    expect(r.segment.annotations).toMatchObject({ vendor_status: 'timeout' });
  });

  it('answers 502 for a vendor 5xx, a reset and an untrusted certificate', async () => {
    for (const name of ['failing', 'resetting', 'untrusted']) {
      const r = await get(name, '/internal/vendor/CP987654326DE');
      expect(r.res.status, name).toBe(502);
      expect(r.body, name).toMatchObject({ error: { code: 'vendor_error' } });
      expect(r.segment.annotations, name).toMatchObject({ vendor_status: 'error' });
      expect(r.subs.find((s) => s.name === 'vendor.localhost')?.fault, name).toBe(true);
    }
  });

  it('400s an invalid id without calling the vendor', async () => {
    const r = await get('ok', `/internal/vendor/${encodeURIComponent('../../etc/pas')}`);
    expect(r.res.status).toBe(400);
    expect(r.subs).toEqual([]);
  });
});
