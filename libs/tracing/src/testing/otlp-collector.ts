import { serveOnLoopback, type UdpCollector } from '@parcel/test-kit';
import { convertOtlpRequest, type SegmentDoc, type SubsegmentDoc } from '@parcel/xray-protocol';

/** What receives a backend's output in a test, as X-Ray segment documents (the daemon or an OTLP sink). */
export type SegmentCollector = Pick<
  UdpCollector<SegmentDoc>,
  'address' | 'segments' | 'waitFor' | 'clear' | 'close'
>;

/** The exporter writes `fault: false` and the like; X-Ray reads an absent flag the same (the recorder's way). */
function withoutFalseFlags(doc: SegmentDoc): SegmentDoc {
  const out = { ...doc };
  for (const flag of ['error', 'fault', 'throttle'] as const) if (out[flag] === false) delete out[flag];
  return out;
}

/**
 * An OTLP/HTTP receiver on an ephemeral loopback port that turns spans into X-Ray documents by the
 * collector's awsxray exporter rules (libs/xray-protocol) and nests each subsegment under its parent, so
 * tests read an OpenTelemetry backend's output as they read the daemon's. `address` is its endpoint.
 */
export async function startOtlpCollector(): Promise<SegmentCollector & { endpoint: string }> {
  const documents: SegmentDoc[] = [];
  const server = await serveOnLoopback((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      const converted = convertOtlpRequest(
        Buffer.concat(chunks),
        {
          ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
          ...(typeof req.headers['content-encoding'] === 'string'
            ? { contentEncoding: req.headers['content-encoding'] }
            : {}),
        },
        { validateTraceIdTime: true },
      );
      documents.push(...converted.documents);
      res.writeHead(converted.outcome.status, { 'content-type': 'application/json' }).end(converted.response);
    });
  });
  const { port } = server;
  const assembled = (): SegmentDoc[] => {
    const copies = documents.map((d) => ({ ...withoutFalseFlags(d), subsegments: [] as SubsegmentDoc[] }));
    const byId = new Map(copies.map((d) => [d.id, d]));
    const top: SegmentDoc[] = [];
    for (const doc of copies) {
      const parent = doc.type === 'subsegment' && doc.parent_id ? byId.get(doc.parent_id) : undefined;
      if (parent) parent.subsegments.push(doc as unknown as SubsegmentDoc);
      else top.push(doc);
    }
    for (const doc of copies)
      if (doc.subsegments.length === 0) delete (doc as { subsegments?: unknown }).subsegments;
    return top;
  };
  const collector = {
    address: `127.0.0.1:${port}`,
    endpoint: `http://127.0.0.1:${port}`,
    get segments() {
      return assembled();
    },
    async waitFor(predicate: (segments: SegmentDoc[]) => boolean, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const now = assembled();
        if (predicate(now)) return now;
        if (Date.now() > until) throw new Error('OTLP collector: timed out waiting for segments');
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    clear() {
      documents.length = 0;
    },
    close: server.close,
  };
  return collector;
}
