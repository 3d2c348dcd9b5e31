import { DAEMON_HEADER } from '@parcel/xray-protocol';

/** Bytes of one datagram the benchmark sends (header line + document), as the brief asks: about 1 KB. */
export const TARGET_DATAGRAM_BYTES = 1024;

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * A pool of distinct ~1 KB daemon datagrams shaped like parcel-api's segments (HTTP request/response,
 * annotations, a DynamoDB subsegment), each with its own trace and segment id. Built once, sent in a
 * cycle: the daemon parses and validates every datagram as it would any other, so reuse costs it nothing.
 */
export function segmentDatagrams(count: number, epochSeconds = Math.floor(Date.now() / 1000)): Buffer[] {
  const pool: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const start = epochSeconds + i / 1000;
    const doc = {
      id: hex(0x1000_0000 + i, 16),
      trace_id: `1-${hex(epochSeconds, 8)}-${hex(i, 24)}`,
      parent_id: hex(0x2000_0000 + i, 16),
      name: 'parcel-api',
      origin: 'AWS::ECS::Container',
      start_time: start,
      end_time: start + 0.0123,
      service: { version: '1.0.0' },
      http: {
        request: {
          method: 'GET',
          url: `http://127.0.0.1:3001/parcels/RR${String(i % 100_000_000).padStart(8, '0')}9GB`,
          client_ip: '127.0.0.1',
          user_agent: 'Amazon CloudFront',
        },
        response: { status: 200, content_length: 412 },
      },
      annotations: { parcel_id: `RR${String(i % 100_000_000).padStart(8, '0')}9GB`, cache: 'hit' },
      aws: { ecs: { container: 'parcel-api' }, xray: { sdk: 'X-Ray for Node.js', sdk_version: '3.10.3' } },
      subsegments: [
        {
          id: hex(0x3000_0000 + i, 16),
          name: 'DynamoDB',
          namespace: 'aws',
          start_time: start + 0.001,
          end_time: start + 0.011,
          aws: { operation: 'GetItem', table_name: 'parcels', region: 'eu-west-2', retries: 0 },
          http: { response: { status: 200, content_length: 380 } },
        },
      ],
      metadata: { default: { padding: '' } },
    };
    const bare = DAEMON_HEADER.length + JSON.stringify(doc).length;
    doc.metadata.default.padding = 'x'.repeat(Math.max(0, TARGET_DATAGRAM_BYTES - bare));
    pool.push(Buffer.from(DAEMON_HEADER + JSON.stringify(doc), 'utf8'));
  }
  return pool;
}
