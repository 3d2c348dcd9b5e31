import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DAEMON_HEADER, decodeDatagram, encodeDatagram, validateSegment } from './datagram';
import { newSegmentId, newTraceId } from './ids';

const segment = () => ({
  name: 'parcel-api',
  id: newSegmentId(),
  trace_id: newTraceId(),
  start_time: 1_764_072_000.123,
  end_time: 1_764_072_000.456,
});

describe('daemon datagrams', () => {
  it('round-trips a segment', () => {
    const doc = segment();
    const result = decodeDatagram(encodeDatagram(doc));
    expect(result).toMatchObject({ ok: true, segment: doc });
  });

  it('accepts the header format in any case, and in-progress segments', () => {
    const doc = { ...segment(), end_time: undefined, in_progress: true };
    const result = decodeDatagram(Buffer.from(`{"format":"JSON","version":1}\n${JSON.stringify(doc)}`));
    expect(result.ok).toBe(true);
  });

  it('names what is wrong', () => {
    expect(decodeDatagram(Buffer.from('no newline'))).toMatchObject({ reason: 'missing_header' });
    expect(decodeDatagram(Buffer.from('{"format":"json","version":2}\n{}'))).toMatchObject({
      reason: 'invalid_header',
    });
    expect(decodeDatagram(Buffer.from('garbage\n{}'))).toMatchObject({ reason: 'invalid_header' });
    expect(decodeDatagram(Buffer.from(`${DAEMON_HEADER}{"name":`))).toMatchObject({ reason: 'invalid_json' });
    expect(decodeDatagram(Buffer.from(`${DAEMON_HEADER}[]`))).toMatchObject({ reason: 'invalid_segment' });
    const sub = { ...segment(), type: 'subsegment' };
    expect(decodeDatagram(encodeDatagram(JSON.stringify(sub)))).toMatchObject({ reason: 'invalid_segment' });
  });

  it('validates required fields', () => {
    expect(validateSegment({ ...segment(), id: 'short' })).toMatch(/id/);
    expect(validateSegment({ ...segment(), name: 'x'.repeat(201) })).toMatch(/name/);
    expect(validateSegment({ ...segment(), end_time: undefined })).toMatch(/end_time/);
    expect(validateSegment({ ...segment(), parent_id: 'zz' })).toMatch(/parent_id/);
    expect(validateSegment(segment())).toBeUndefined();
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => {
        const result = decodeDatagram(Buffer.from(bytes));
        return typeof result.ok === 'boolean';
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = decodeDatagram(Buffer.from(DAEMON_HEADER + JSON.stringify(value)));
        return typeof result.ok === 'boolean';
      }),
    );
  });
});
