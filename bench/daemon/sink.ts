/**
 * A PutTraceSegments endpoint that accepts instantly: it reads each batch, counts its documents and
 * answers as X-Ray does, storing nothing. The daemon benchmark forwards here so that what it measures is
 * the daemon, not a store. Run as its own process (`tsx bench/daemon/sink.ts`); it prints
 * `{"url": …}` once listening and answers `GET /__sink/stats` with what it received.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

let batches = 0;
let documents = 0;
let bytes = 0;

const server = createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/__sink/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ batches, documents, bytes }));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    bytes += body.length;
    // Parsed, so a malformed batch from the daemon would fail here rather than be counted.
    const parsed = JSON.parse(body.toString('utf8')) as { TraceSegmentDocuments?: unknown[] };
    const n = parsed.TraceSegmentDocuments?.length ?? 0;
    batches++;
    documents += n;
    const answer = '{"UnprocessedTraceSegments":[]}';
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
// The benchmark holds our stdin: when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
