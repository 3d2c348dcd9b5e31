import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeParcelId, SAMPLE_PARCELS, VENDOR_PARCEL_PATH, type VendorApiParcel } from '@parcel/contract';
import { installLocalhostResolution, uninstallLocalhostResolution } from '@parcel/local-resources';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LATENCY_PROFILE } from './latency-profile';
import { type RunningVendorSim, startVendorSim } from './server';

let certDir: string;
let vendor: RunningVendorSim;
let ca: string;

// Fast but not instant: the latency path is exercised without slowing the suite down.
const TEST_PROFILE = { medianMs: 2 };

interface Reply {
  status: number;
  body: unknown;
  ms: number;
}

/** A real HTTPS call that trusts only the local CA (verification stays on). */
function call(
  path: string,
  opts: { method?: string; body?: unknown; rawBody?: string; base?: string; trust?: string | null } = {},
): Promise<Reply> {
  const url = new URL(path, opts.base ?? vendor.url);
  const payload = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: opts.trust === null ? undefined : (opts.trust ?? ca),
        agent: false,
        headers: payload === undefined ? {} : { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => {
          const ms = performance.now() - started;
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {}
          resolve({ status: res.statusCode ?? 0, body, ms });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const setProfile = (body: unknown) => call('/__admin/profile', { method: 'PUT', body });

beforeAll(async () => {
  certDir = await mkdtemp(join(tmpdir(), 'vendor-sim-certs-'));
  vendor = await startVendorSim({ certDir, profile: TEST_PROFILE });
  ca = await readFile(vendor.caFile, 'utf8');
});
afterAll(async () => {
  await vendor?.close();
  await rm(certDir, { recursive: true, force: true });
});
beforeEach(async () => {
  await call('/__admin/reset', { method: 'POST' });
});

describe('vendor simulator over HTTPS', () => {
  it('listens on an ephemeral loopback port and reports its CA', () => {
    expect(vendor.url).toBe(`https://127.0.0.1:${vendor.port}`);
    expect(vendor.namedUrl).toBe(`https://vendor.localhost:${vendor.port}`);
    expect(vendor.caFile).toBe(join(certDir, 'ca.pem'));
  });

  it('GET /health', async () => {
    expect(await call('/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('refuses clients that do not trust the local CA', async () => {
    await expect(call('/health', { trust: null })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });

  it('is reachable as vendor.localhost with *.localhost resolution installed', async () => {
    installLocalhostResolution();
    try {
      expect(await call('/health', { base: vendor.namedUrl })).toMatchObject({ status: 200 });
    } finally {
      uninstallLocalhostResolution();
    }
  });

  it('answers every sample parcel the vendor knows, in the vendor wire format', async () => {
    const known = SAMPLE_PARCELS.filter((p) => p.vendor !== null);
    expect(known.length).toBeGreaterThan(5);
    for (const sample of known) {
      const reply = await call(VENDOR_PARCEL_PATH(sample.id));
      expect(reply.status).toBe(200);
      const body = reply.body as VendorApiParcel;
      expect(body).toEqual({
        trackingNumber: sample.id,
        carrier: sample.vendor?.carrier,
        status: sample.vendor?.status,
        estimatedDelivery: sample.vendor?.estimatedDelivery,
        events: sample.vendor?.events.map((e) => ({
          timestamp: e.at,
          location: e.location,
          description: e.description,
        })),
      });
    }
  });

  it('404s the sample parcels it does not know', async () => {
    const unknown = SAMPLE_PARCELS.filter((p) => p.vendor === null);
    expect(unknown.length).toBeGreaterThan(1);
    for (const sample of unknown) {
      const reply = await call(VENDOR_PARCEL_PATH(sample.id));
      expect(reply).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
    }
    // A well-formed id that is in no sample at all.
    expect((await call(VENDOR_PARCEL_PATH(makeParcelId('RR', '00000000', 'GB')))).status).toBe(404);
  });

  it.each(['RR123456784GB', 'rr123456785gb', 'RR123456785GBX', 'hello', '../../etc', 'RR 23456785GB'])(
    '400s the invalid id %j',
    async (id) => {
      const reply = await call(VENDOR_PARCEL_PATH(id));
      expect(reply).toMatchObject({ status: 400, body: { error: { code: 'invalid_tracking_number' } } });
    },
  );

  it('answers unknown routes with a JSON 404', async () => {
    expect(await call('/v1/parcels/RR123456785GB')).toMatchObject({
      status: 404,
      body: { error: { code: 'no_route' } },
    });
  });
});

describe('latency and fault profile', () => {
  it('GET /__admin/profile returns the start-up profile', async () => {
    expect(await call('/__admin/profile')).toEqual(
      expect.objectContaining({ status: 200, body: { ...DEFAULT_LATENCY_PROFILE, ...TEST_PROFILE } }),
    );
  });

  it('errorRate 1 turns every call into a 503, counted as errored', async () => {
    expect((await setProfile({ errorRate: 1 })).body).toMatchObject({ errorRate: 1, medianMs: 2 });
    const reply = await call(VENDOR_PARCEL_PATH('RR123456785GB'));
    expect(reply).toMatchObject({ status: 503, body: { error: { code: 'vendor_unavailable' } } });
    expect((await call('/__admin/stats')).body).toMatchObject({ requests: 1, errored: 1, served: 0, ok: 0 });
  });

  it('slowFraction 1 with slowMs 300 makes calls take at least 300 ms', async () => {
    await setProfile({ slowFraction: 1, slowMs: 300 });
    const reply = await call(VENDOR_PARCEL_PATH('RR123456785GB'));
    expect(reply.status).toBe(200);
    expect(reply.ms).toBeGreaterThanOrEqual(300);
    expect((await call('/__admin/stats')).body).toMatchObject({ requests: 1, slow: 1, served: 1, ok: 1 });
  });

  it('the normal path is not slowed with a low median (the profile is what makes calls slow)', async () => {
    const reply = await call(VENDOR_PARCEL_PATH('RR123456785GB'));
    expect(reply.status).toBe(200);
    // What the simulator decided, not the wall clock (a fresh TLS handshake on a loaded machine varies).
    expect((await call('/__admin/stats')).body).toMatchObject({ requests: 1, slow: 0, served: 1, ok: 1 });
  });

  it('resetRate 1 destroys the connection without an answer', async () => {
    await setProfile({ resetRate: 1 });
    await expect(call(VENDOR_PARCEL_PATH('RR123456785GB'))).rejects.toMatchObject({ code: 'ECONNRESET' });
    expect((await call('/__admin/stats')).body).toMatchObject({ requests: 1, reset: 1 });
  });

  it('counts a caller that gives up before the answer as abandoned', async () => {
    await setProfile({ slowFraction: 1, slowMs: 2000 });
    const req = request(new URL(VENDOR_PARCEL_PATH('RR123456785GB'), vendor.url), { ca, agent: false });
    req.on('error', () => {});
    req.setTimeout(100, () => req.destroy());
    req.end();
    await new Promise((r) => setTimeout(r, 400));
    expect((await call('/__admin/stats')).body).toMatchObject({
      requests: 1,
      slow: 1,
      abandoned: 1,
      served: 0,
    });
  });

  it.each([
    [{ errorRate: 2 }, /errorRate/],
    [{ medianMs: 'fast' }, /medianMs/],
    [{ nonsense: 1 }, /unknown field/],
    [[1, 2], /JSON object/],
  ])('PUT %j → 400 and the profile is unchanged', async (body, message) => {
    const reply = await setProfile(body);
    expect(reply.status).toBe(400);
    expect((reply.body as { error: { message: string } }).error.message).toMatch(message);
    expect((await call('/__admin/profile')).body).toEqual({ ...DEFAULT_LATENCY_PROFILE, ...TEST_PROFILE });
  });

  it('PUT with malformed JSON → 400', async () => {
    const reply = await call('/__admin/profile', { method: 'PUT', rawBody: '{"errorRate": ' });
    expect(reply).toMatchObject({ status: 400, body: { error: { code: 'invalid_body' } } });
  });

  it('POST /__admin/reset restores the start-up profile and zeroes the counters', async () => {
    await setProfile({ errorRate: 1, slowMs: 5 });
    await call(VENDOR_PARCEL_PATH('RR123456785GB'));
    const reset = await call('/__admin/reset', { method: 'POST' });
    expect(reset.body).toEqual({ ...DEFAULT_LATENCY_PROFILE, ...TEST_PROFILE });
    expect((await call('/__admin/stats')).body).toMatchObject({ requests: 0, errored: 0 });
    expect((await call(VENDOR_PARCEL_PATH('RR123456785GB'))).status).toBe(200);
  });
});

describe('startVendorSim', () => {
  it('rejects an invalid start-up profile', async () => {
    await expect(startVendorSim({ certDir, profile: { errorRate: -1 } })).rejects.toThrow(/errorRate/);
  });

  it('close() ends pending slow calls and frees the port', async () => {
    const other = await startVendorSim({ certDir, profile: { slowFraction: 1, slowMs: 10_000 } });
    const pending = call(VENDOR_PARCEL_PATH('RR123456785GB'), { base: other.url });
    await new Promise((r) => setTimeout(r, 100));
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(2000);
    await expect(pending).rejects.toThrow();
    await expect(call('/health', { base: other.url })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });
});
