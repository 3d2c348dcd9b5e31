import { connect } from 'node:net';

/** What came back on the wire, parsed just enough to assert on. */
export interface RawReply {
  status: number;
  headers: Record<string, string[]>;
  body: string;
  /** The connection ended without any HTTP answer (reset or closed). */
  noAnswer: boolean;
}

/**
 * Sends bytes exactly as given (fetch and node:http refuse CR/LF in header values, odd paths and
 * duplicated headers, which is what hostile clients send) and reads the reply until the server closes
 * the connection or `Content-Length` bytes arrived.
 */
export function rawRequest(base: string, request: string | Buffer, timeoutMs = 10_000): Promise<RawReply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port) });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseReply(Buffer.concat(chunks)));
    };
    const timer = setTimeout(() => {
      settled = true;
      socket.destroy();
      reject(new Error(`no complete answer within ${timeoutMs} ms: ${Buffer.concat(chunks).toString()}`));
    }, timeoutMs);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      const reply = parseReply(Buffer.concat(chunks));
      const length = Number(reply.headers['content-length']?.[0] ?? Number.NaN);
      if (!reply.noAnswer && Number.isFinite(length) && Buffer.byteLength(reply.body) >= length) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    // A server that answers early and closes may reset while we still write: the answer still counts.
    socket.on('error', finish);
    socket.write(request);
  });
}

function parseReply(data: Buffer): RawReply {
  const text = data.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(text);
  if (headEnd < 0 || !statusLine) return { status: 0, headers: {}, body: '', noAnswer: true };
  const headers: Record<string, string[]> = {};
  for (const line of text.slice(0, headEnd).split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const values = headers[name] ?? [];
    values.push(line.slice(colon + 1).trim());
    headers[name] = values;
  }
  return {
    status: Number(statusLine[1]),
    headers,
    body: data.subarray(Buffer.byteLength(text.slice(0, headEnd + 4), 'latin1')).toString('utf8'),
    noAnswer: false,
  };
}

/** A GET with the given raw header lines (each without CRLF unless the test puts one in on purpose). */
export function rawGet(base: string, path: string, headerLines: string[] = []): Promise<RawReply> {
  const host = new URL(base).host;
  const request = [`GET ${path} HTTP/1.1`, `Host: ${host}`, ...headerLines, 'Connection: close', '', ''].join(
    '\r\n',
  );
  return rawRequest(base, request);
}
