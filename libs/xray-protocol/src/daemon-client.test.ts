import { startUdpCollector, type UdpCollector } from '@parcel/test-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DaemonClient, MAX_DATAGRAM_DOCUMENT_BYTES, parseDaemonAddress } from './daemon-client';
import { DAEMON_HEADER, MAX_DATAGRAM_BYTES } from './datagram';
import { newSegmentId, newTraceId } from './ids';
import type { SegmentDoc, SubsegmentDoc } from './segment';

let collector: UdpCollector<SegmentDoc>;
let client: DaemonClient;
beforeEach(async () => {
  collector = await startUdpCollector<SegmentDoc>();
  client = new DaemonClient(collector.address);
});
afterEach(async () => {
  await client.close();
  await collector.close();
});

const t0 = 1_764_072_000;
function sub(name: string, metadataBytes: number, children: SubsegmentDoc[] = []): SubsegmentDoc {
  return {
    id: newSegmentId(),
    name,
    start_time: t0 + 0.1,
    end_time: t0 + 0.2,
    namespace: 'remote',
    ...(metadataBytes > 0 ? { metadata: { default: { body: 'x'.repeat(metadataBytes) } } } : {}),
    ...(children.length > 0 ? { subsegments: children } : {}),
  };
}
function segment(subsegments: SubsegmentDoc[], extra: Partial<SegmentDoc> = {}): SegmentDoc {
  return {
    name: 'parcel-api',
    id: newSegmentId(),
    trace_id: newTraceId(),
    start_time: t0,
    end_time: t0 + 1,
    subsegments,
    ...extra,
  };
}

/** Puts streamed subsegments back under their parents, as X-Ray does when it assembles a trace. */
function reassemble(parts: SegmentDoc[]): SegmentDoc {
  const byId = new Map<string, SubsegmentDoc & Partial<SegmentDoc>>();
  for (const part of parts) byId.set(part.id, structuredClone(part));
  let root: SegmentDoc | undefined;
  for (const part of byId.values()) {
    if (part.type !== 'subsegment') {
      root = part as SegmentDoc;
      continue;
    }
    const parent = byId.get(part.parent_id ?? '');
    if (!parent) throw new Error(`parent ${part.parent_id} of ${part.id} did not arrive`);
    const { type: _t, trace_id: _tr, parent_id: _p, ...nested } = part;
    parent.subsegments = [...(parent.subsegments ?? []), nested];
  }
  if (!root) throw new Error('the segment itself did not arrive');
  return root;
}
/** Children in a stable order: the datagrams of a split document may arrive in any order. */
function sorted<T extends SubsegmentDoc>(doc: T): T {
  const subs = doc.subsegments?.map(sorted).sort((a, b) => a.id.localeCompare(b.id));
  return subs ? { ...doc, subsegments: subs } : doc;
}
const waitForDatagrams = (n: number) => collector.waitFor(() => collector.datagramBytes.length >= n);

describe('DaemonClient', () => {
  it('sends a document that fits as one datagram: header line, then the document', async () => {
    const doc = segment([sub('DynamoDB', 100)]);
    client.send(doc);
    await waitForDatagrams(1);
    expect(collector.segments).toEqual([doc]);
    expect(collector.datagramBytes).toEqual([Buffer.byteLength(DAEMON_HEADER + JSON.stringify(doc))]);
    expect(client.counters).toMatchObject({ sent: 1, split: 0, cut: 0 });
    expect(client.dropped).toBe(0);
  });

  it('streams a 70 KB document as subsegments on their own; every part arrives and rebuilds the tree', async () => {
    // Nested deep enough that one subsegment must itself be split (its children push it past the limit).
    const heavy = sub('Step Functions', 1_000, [
      sub('warehouse', 29_000),
      sub('vendor', 30_000, [sub('tls', 6_000)]),
    ]);
    expect(Buffer.byteLength(JSON.stringify(heavy))).toBeGreaterThan(MAX_DATAGRAM_DOCUMENT_BYTES);
    const doc = segment([sub('DynamoDB', 3_000), heavy, sub('cache', 500), sub('pg', 1_000)], {
      annotations: { parcel_id: 'PX-1' },
      http: { request: { method: 'GET', url: 'http://127.0.0.1/parcels/PX-1' }, response: { status: 200 } },
    });
    const whole = Buffer.byteLength(JSON.stringify(doc));
    expect(whole).toBeGreaterThan(70_000);
    expect(whole).toBeLessThan(72_000);

    client.send(doc);
    // The segment, its four subsegments, then the heavy one's two children streamed on their own.
    await waitForDatagrams(7);
    expect(collector.invalid).toBe(0);
    expect(collector.segments).toHaveLength(7);
    for (const bytes of collector.datagramBytes) expect(bytes).toBeLessThanOrEqual(MAX_DATAGRAM_BYTES);
    for (const part of collector.segments) {
      expect(part.trace_id).toBe(doc.trace_id);
      if (part.id === doc.id) expect(part).not.toHaveProperty('type');
      else
        expect(part).toMatchObject({
          type: 'subsegment',
          parent_id: expect.stringMatching(/^[0-9a-f]{16}$/),
        });
    }
    expect(sorted(reassemble(collector.segments))).toEqual(sorted(doc));
    expect(client.counters).toMatchObject({ sent: 7, split: 2, cut: 0 });
    expect(client.dropped).toBe(0);
  });

  describe('at the exact datagram limit (65,507 bytes, header line included)', () => {
    /** Pads a document's metadata until it serialises to exactly `bytes` (multi-byte `unit`s where they fit). */
    function padTo<T extends SegmentDoc>(doc: T, bytes: number, unit = 'x'): T {
      doc.metadata = { default: { pad: '' } };
      const room = bytes - Buffer.byteLength(JSON.stringify(doc));
      const units = Math.floor(room / Buffer.byteLength(unit));
      doc.metadata = {
        default: { pad: unit.repeat(units) + 'x'.repeat(room - units * Buffer.byteLength(unit)) },
      };
      expect(Buffer.byteLength(JSON.stringify(doc))).toBe(bytes);
      return doc;
    }
    const ofSize = (bytes: number, unit?: string) => {
      const { subsegments: _none, ...leaf } = segment([]);
      return padTo(leaf, bytes, unit);
    };

    it('a document of 65,477 bytes fills one 65,507-byte datagram, and it arrives', async () => {
      expect(MAX_DATAGRAM_DOCUMENT_BYTES).toBe(MAX_DATAGRAM_BYTES - DAEMON_HEADER.length);
      const doc = ofSize(MAX_DATAGRAM_DOCUMENT_BYTES);
      client.send(doc);
      await waitForDatagrams(1);
      expect(collector.datagramBytes).toEqual([MAX_DATAGRAM_BYTES]);
      expect(collector.segments).toEqual([doc]);
      expect(client.counters).toMatchObject({ sent: 1, split: 0, cut: 0 });
    });

    it('one byte more is never sent as an oversize datagram: a leaf loses its metadata, counted', async () => {
      const doc = ofSize(MAX_DATAGRAM_DOCUMENT_BYTES + 1);
      client.send(doc);
      await waitForDatagrams(1);
      const { metadata: _m, ...rest } = doc;
      expect(collector.segments).toEqual([rest]);
      expect(client.counters).toMatchObject({ sent: 1, split: 0, cut: 1 });
    });

    it('counts bytes, not characters: a multi-byte document under the limit in length but over it in bytes', async () => {
      const doc = ofSize(MAX_DATAGRAM_DOCUMENT_BYTES + 2, 'é');
      expect(JSON.stringify(doc).length).toBeLessThan(MAX_DATAGRAM_DOCUMENT_BYTES);
      client.send(doc);
      await waitForDatagrams(1);
      expect(collector.datagramBytes[0]).toBeLessThan(MAX_DATAGRAM_BYTES);
      expect(client.counters.cut).toBe(1);
    });

    it('the 65,495-byte document that used to be "sent" and lost is now split, and all of it arrives', async () => {
      const doc = padTo(segment([sub('DynamoDB', 0)]), 65_495);
      client.send(doc);
      await waitForDatagrams(2);
      expect(collector.datagramBytes.every((b) => b <= MAX_DATAGRAM_BYTES)).toBe(true);
      expect(sorted(reassemble(collector.segments))).toEqual(sorted(doc));
      expect(client.counters).toMatchObject({ sent: 2, split: 1, cut: 0 });
    });
  });

  it('what cannot be sent at all is counted by reason, and the rest of the document still goes', async () => {
    const huge = { ...sub('pg', 0), sql: { sanitized_query: 'x'.repeat(70_000) } };
    const doc = segment([huge, sub('DynamoDB', 10)]);
    client.send(doc);
    await waitForDatagrams(2);
    expect(collector.segments.map((s) => s.name).sort()).toEqual(['DynamoDB', 'parcel-api']);
    expect(client.counters.dropped).toEqual({ too_large: 1, unserialisable: 0, send_failed: 0 });

    client.send({ ...segment([]), metadata: { big: 1n } });
    expect(client.counters.dropped.unserialisable).toBe(1);

    await client.close();
    client.send(segment([]));
    expect(client.counters.dropped.send_failed).toBe(1);
    expect(client.dropped).toBe(3);
  });

  it('parses daemon addresses, v4 and v6, and refuses nonsense', () => {
    expect(parseDaemonAddress('127.0.0.1:2000')).toEqual({ host: '127.0.0.1', port: 2000 });
    expect(parseDaemonAddress('[::1]:2001')).toEqual({ host: '::1', port: 2001 });
    expect(() => parseDaemonAddress('nope')).toThrow(/invalid daemon address/);
    expect(() => parseDaemonAddress('h:99999')).toThrow(/invalid daemon address/);
  });
});
