import { TraceStore } from '../../apps/xray-service/src/trace-store';
import { parcelTraceDocuments } from '../../libs/xray-filter/src/testing/parcel-trace';

const store = new TraceStore(100000);
const now = Date.now() / 1000;
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
let t = performance.now();
for (let i = 0; i < 100000; i++) {
  const start = now - 60 - ((100000 - i) / 100000) * 20 * 3600;
  for (const d of parcelTraceDocuments({
    traceId: `1-${hex(Math.floor(start), 8)}-${hex(i, 24)}`,
    start,
    cache: i % 5 === 2 ? 'hit' : 'miss',
  }))
    store.put(d);
}
console.log('load', performance.now() - t);
for (let r = 0; r < 4; r++) {
  t = performance.now();
  const m = [];
  for (const e of store.inRange(now - 86000, now, 'TraceId')) m.push(e);
  const t1 = performance.now();
  m.sort((a, b) => b.startTime - a.startTime || (a.id < b.id ? -1 : 1));
  const t2 = performance.now();
  for (const e of m.slice(0, 100)) e.view();
  console.log(
    'iter',
    (t1 - t).toFixed(1),
    'sort',
    (t2 - t1).toFixed(1),
    'views',
    (performance.now() - t2).toFixed(1),
  );
}
