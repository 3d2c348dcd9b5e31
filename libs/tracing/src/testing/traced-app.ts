import type { RequestListener } from 'node:http';
import {
  type RecordingResponder,
  type RecordingServer,
  serveOnLoopback,
  startRecordingServer,
} from '@parcel/test-kit';
import type { SegmentDoc, SubsegmentDoc } from '@parcel/xray-protocol';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { SegmentCollector } from './otlp-collector';

/** The running parts of a tracing suite; read them inside tests (they are set in `beforeAll`). */
export interface TracedApp<C extends SegmentCollector> {
  readonly collector: C;
  readonly downstream: RecordingServer;
  /** The app under test. */
  readonly url: string;
}

/**
 * What every tracing suite runs against, started in `beforeAll` and stopped in `afterAll`: what receives
 * the backend's output (`collect`), a recording downstream the app calls (answering `respond`), and the
 * app `build` returns (it initialises tracing and adds the suite's routes) on a loopback port. Before each
 * test the collector and the downstream's record are emptied. A suite spells out only its routes.
 */
export function useTracedApp<C extends SegmentCollector>(opts: {
  collect: () => Promise<C>;
  respond?: RecordingResponder;
  build: (parts: { collector: C; downstream: RecordingServer }) => RequestListener | Promise<RequestListener>;
}): TracedApp<C> {
  let collector: C | undefined;
  let downstream: RecordingServer | undefined;
  let app: { url: string; close(): Promise<void> } | undefined;
  const running = <T>(part: T | undefined, name: string): T => {
    if (part === undefined) throw new Error(`the traced app's ${name} is read before beforeAll ran`);
    return part;
  };

  beforeAll(async () => {
    collector = await opts.collect();
    downstream = await startRecordingServer(opts.respond);
    app = await serveOnLoopback(await opts.build({ collector, downstream }));
  });

  afterAll(async () => {
    await app?.close();
    await downstream?.close();
    await collector?.close();
  });

  beforeEach(() => {
    collector?.clear();
    if (downstream) downstream.received.length = 0;
  });

  return {
    get collector() {
      return running(collector, 'collector');
    },
    get downstream() {
      return running(downstream, 'downstream');
    },
    get url() {
      return running(app, 'app').url;
    },
  };
}

/** An AWS SDK client's configuration for a recording server posing as the service (no retries). */
export function awsClientAt(endpoint: string, region = 'us-east-1') {
  return { region, endpoint, maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
}

/** Every subsegment of a document, depth first, with the id of its parent. */
export function flattenSubsegments(
  doc: SegmentDoc | SubsegmentDoc,
): { sub: SubsegmentDoc; parentId: string }[] {
  const out: { sub: SubsegmentDoc; parentId: string }[] = [];
  for (const sub of doc.subsegments ?? []) {
    out.push({ sub, parentId: doc.id });
    out.push(...flattenSubsegments(sub));
  }
  return out;
}

/**
 * GETs `url` through `node:http` (imported at the call, so it is the module the tracing captures
 * patched, as services make their calls) and resolves the response status.
 */
export async function getViaNodeHttp(url: string): Promise<number> {
  const http = await import('node:http');
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      })
      .on('error', reject);
  });
}
