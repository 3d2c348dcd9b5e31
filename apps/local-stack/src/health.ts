import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** One GET of a health URL: true on a 2xx answer. */
export function probe(url: string, ca?: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(target, { method: 'GET', timeout: timeoutMs, ...(ca ? { ca } : {}) }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 300);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Polls until `check` holds, `failed` says the piece died, or the deadline passes. */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  failed: () => string | undefined = () => undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 250)) {
    const reason = failed();
    if (reason) throw new Error(`${what} did not start: ${reason}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`${what} was not healthy within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, delay));
  }
}
