import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { lookupWithLocalhost } from '@parcel/http-service';

/** Calls the vendor simulator's admin API over its real HTTPS (the stack's local CA). */
export async function vendorAdmin(
  endpoints: { vendor: string; caFile: string },
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = new URL(path, endpoints.vendor);
  const ca = readFileSync(endpoints.caFile, 'utf8');
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca,
        // vendor.localhost is loopback (RFC 6761); this process does not load the stack's resolver preload.
        lookup: lookupWithLocalhost,
        headers: payload ? { 'content-type': 'application/json' } : {},
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 400) reject(new Error(`vendor admin ${res.statusCode}: ${text}`));
          else resolve(text ? JSON.parse(text) : undefined);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('vendor admin timed out')));
    req.on('error', reject);
    req.end(payload);
  });
}
