import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { VENDOR_PARCEL_PATH, type VendorApiParcel, type VendorPart } from '@parcel/contract';
import { lookupWithLocalhost } from '@parcel/http-service';

export interface VendorClientOptions {
  baseUrl: string;
  /** Hard timeout of the whole call in ms; 0 = none. */
  timeoutMs: number;
  /** PEM file of an extra CA, trusted in addition to the system CAs. */
  caFile?: string;
}

export type VendorCall =
  | { kind: 'ok'; part: VendorPart; status: number }
  | { kind: 'not_found'; status: 404 }
  | { kind: 'timeout'; timeoutMs: number }
  | { kind: 'error'; cause: string; status?: number };

export class VendorTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`vendor did not answer within ${timeoutMs} ms`);
    this.name = 'VendorTimeoutError';
  }
}

export function mapVendorParcel(parcelId: string, v: VendorApiParcel): VendorPart {
  return {
    parcelId,
    carrier: v.carrier,
    status: v.status,
    estimatedDelivery: v.estimatedDelivery ?? null,
    events: (v.events ?? []).map((e) => ({
      at: e.timestamp,
      location: e.location,
      description: e.description,
    })),
  };
}

function isVendorApiParcel(v: unknown): v is VendorApiParcel {
  const p = v as VendorApiParcel;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.carrier === 'string' &&
    typeof p.status === 'string' &&
    Array.isArray(p.events)
  );
}

/**
 * The tracking vendor's HTTPS API. Calls go through the globally captured `https` module, so each one is
 * its own subsegment (URL, method, status, duration); a timeout destroys the request with a
 * `VendorTimeoutError`, which the subsegment records as its fault cause.
 */
export function createVendorClient(opts: VendorClientOptions) {
  const base = new URL(opts.baseUrl);
  const secure = base.protocol === 'https:';
  const ca = opts.caFile ? [...rootCertificates, readFileSync(opts.caFile, 'utf8')] : undefined;
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 64, ...(ca ? { ca } : {}) })
    : new http.Agent({ keepAlive: true, maxSockets: 64 });
  const mod = secure ? https : http;

  function get(parcelId: string): Promise<VendorCall> {
    const url = new URL(VENDOR_PARCEL_PATH(parcelId), base);
    return new Promise((resolve) => {
      let settled = false;
      const done = (result: VendorCall) => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve(result);
      };
      const req = mod.request(
        url,
        { method: 'GET', agent, lookup: lookupWithLocalhost, headers: { accept: 'application/json' } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => done({ kind: 'error', cause: e.message }));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            if (status === 404) return done({ kind: 'not_found', status: 404 });
            if (status !== 200) return done({ kind: 'error', cause: `vendor answered ${status}`, status });
            try {
              const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
              if (!isVendorApiParcel(body)) {
                return done({ kind: 'error', cause: 'vendor answered an unexpected body', status });
              }
              done({ kind: 'ok', part: mapVendorParcel(parcelId, body), status });
            } catch {
              done({ kind: 'error', cause: 'vendor answered invalid JSON', status });
            }
          });
        },
      );
      const timer =
        opts.timeoutMs > 0
          ? setTimeout(() => {
              req.destroy(new VendorTimeoutError(opts.timeoutMs));
            }, opts.timeoutMs)
          : undefined;
      req.on('error', (e) => {
        if (e instanceof VendorTimeoutError) done({ kind: 'timeout', timeoutMs: e.timeoutMs });
        else done({ kind: 'error', cause: `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}` });
      });
      req.end();
    });
  }

  return { get, close: () => agent.destroy() };
}

export type VendorClient = ReturnType<typeof createVendorClient>;
