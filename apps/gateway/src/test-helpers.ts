import { type IncomingHttpHeaders, type IncomingMessage, type RequestListener, request } from 'node:http';
import { serveOnLoopback } from '@parcel/test-kit';

/** What an upstream saw: tests assert on the request as the integration received it. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Upstream {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/** A real HTTP server standing in for a service behind the VPC link. */
export async function startUpstream(
  respond: (
    req: SeenRequest,
    raw: IncomingMessage,
  ) =>
    | { status?: number; body?: string; delayMs?: number; headers?: Record<string, string> }
    | undefined = () => ({}),
): Promise<Upstream> {
  const seen: SeenRequest[] = [];
  const server: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      seen.push(entry);
      const answer = respond(entry, req) ?? {};
      const reply = () => {
        const body = answer.body ?? JSON.stringify({ ok: true, url: entry.url });
        res.writeHead(answer.status ?? 200, {
          'content-type': 'application/json',
          'x-upstream': 'yes',
          'keep-alive': 'timeout=5',
          ...answer.headers,
        });
        res.end(body);
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs).unref();
      else reply();
    });
  };
  const { url, close } = await serveOnLoopback(server);
  return { url, seen, close };
}

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A raw HTTP request (fetch forbids some headers these tests need to send). */
export function send(
  base: string,
  path: string,
  opts: { method?: string; headers?: Record<string, string | number>; body?: string | Buffer } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: opts.method ?? 'GET',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}
