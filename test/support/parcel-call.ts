import type { ParcelResponse } from '@parcel/contract';
import { sampledHeader } from '@parcel/test-kit';
import { newTraceId } from '@parcel/xray-protocol';
import type { StackAddresses } from './stack';

/** What a client saw for one `GET /parcels/{id}`. */
export interface ParcelCall {
  status: number;
  headers: Headers;
  body: ParcelResponse & { error?: { code: string; message: string }; message?: string };
  traceId: string;
  ms: number;
}

/** One sampled request through the front door (sampling forced so the trace can be read back). */
export async function getParcel(
  stack: StackAddresses,
  id: string,
  traceId = newTraceId(),
): Promise<ParcelCall> {
  const started = performance.now();
  const res = await fetch(`${stack.endpoints.gateway}/parcels/${id}`, {
    headers: { 'X-Amzn-Trace-Id': sampledHeader(traceId) },
  });
  const text = await res.text();
  const ms = performance.now() - started;
  let body: ParcelCall['body'];
  try {
    body = JSON.parse(text) as ParcelCall['body'];
  } catch {
    throw new Error(`GET /parcels/${id} answered ${res.status} with a body that is not JSON: ${text}`);
  }
  return { status: res.status, headers: res.headers, body, traceId, ms };
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};
