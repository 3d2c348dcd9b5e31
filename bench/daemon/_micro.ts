import { validateSegment } from '@parcel/xray-protocol';
import { segmentDatagrams } from './segments';

const pool = segmentDatagrams(4096);
const N = 200000;
function time(name: string, f: (b: Buffer, i: number) => unknown) {
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < N; i++) f(pool[i % 4096]!, i);
    best = Math.min(best, performance.now() - t);
  }
  console.log(name.padEnd(30), ((best * 1000) / N).toFixed(2), 'µs');
}
const texts = pool.map((b) => b.toString('utf8', 30));
const docs = texts.map((t) => JSON.parse(t));
time('toString utf8', (b) => b.toString('utf8', 30));
time('toString latin1', (b) => b.toString('latin1', 30));
time('JSON.parse', (_b, i) => JSON.parse(texts[i % 4096]!));
time('validate', (_b, i) => validateSegment(docs[i % 4096]));
time('JSON.stringify(text)', (_b, i) => JSON.stringify(texts[i % 4096]!));
time('byteLength', (_b, i) => Buffer.byteLength(texts[i % 4096]!));
time('Buffer.from(text)', (_b, i) => Buffer.from(texts[i % 4096]!));
