import type { IncomingHttpHeaders, IncomingMessage, RequestListener } from 'node:http';
import { type LoopbackServer, serveOnLoopback } from './loopback-server';

/** One request as the server received it: tests assert on what the code under test sent. */
export interface RecordedRequest {
  method: string;
  /** The request target as sent (path and query). */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** How the server answers one request; every field has a default (200, `{}` as JSON, no delay). */
export interface RecordedReply {
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  /** Answer this much later (a slow upstream). */
  delayMs?: number;
}

export type RecordingResponder = (
  request: RecordedRequest,
  raw: IncomingMessage,
) => RecordedReply | undefined | Promise<RecordedReply | undefined>;

export interface RecordingServer extends LoopbackServer {
  /** Every request received, in arrival order (tests may empty it between cases). */
  received: RecordedRequest[];
}

/**
 * A plain HTTP server on an ephemeral loopback port that records each request (method, target, headers,
 * body) and answers what `respond` says: the one stand-in for a downstream or upstream a test points the
 * code under test at.
 */
export async function startRecordingServer(
  respond: RecordingResponder = () => ({}),
): Promise<RecordingServer> {
  const received: RecordedRequest[] = [];
  const listener: RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      received.push(request);
      const reply = (await respond(request, req)) ?? {};
      const answer = () =>
        res
          .writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers })
          .end(reply.body ?? '{}');
      if (reply.delayMs) setTimeout(answer, reply.delayMs).unref();
      else answer();
    });
  };
  return { ...(await serveOnLoopback(listener)), received };
}
