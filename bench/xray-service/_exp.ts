import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { parcelTraceDocuments } from '@parcel/trace-model/testing';
import { buildTraceModel } from '@parcel/trace-model';
const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
const now = Date.now()/1000; const count = 20000;
const caches = ['miss', 'miss', 'hit', 'miss', 'stale'] as const;
const vendors = ['ok', 'ok', 'ok', 'timeout', 'not_found'] as const;
const trace = (i: number) => { const start = now - 60 - ((count - i) / count) * 20 * 3600; return parcelTraceDocuments({
    traceId: `1-${hex(Math.floor(start), 8)}-${hex(i, 24)}`, start,
    parcelId: i % 7 === 0 ? 'RR123456785GB' : `RR${String(i % 100_000_000).padStart(8, '0')}9GB`,
    cache: caches[i % caches.length], vendor: vendors[(i >> 1) % vendors.length], apiFault: i % 97 === 0, dynamoThrottle: i % 89 === 0, apiExtra: (i % 13) * 0.1, ...(i % 11 === 0 ? { user: 'alice' } : {}) }); };
const dict = Buffer.from(JSON.stringify(trace(3).map(d=>JSON.stringify(d))));
let raw=0, z=0, zd=0; let t=performance.now();
const blobs: Buffer[] = [];
for (let i=0;i<count;i++){ const s = JSON.stringify(trace(i).map(d=>JSON.stringify(d))); raw+=s.length; const b=deflateRawSync(s,{dictionary:dict}); zd+=b.length; blobs.push(b);}
console.log('compress ms/trace', (performance.now()-t)/count, 'raw', raw/count, 'dict', zd/count);
t=performance.now(); for (let i=0;i<count;i++){ deflateRawSync(JSON.stringify(trace(i).map(d=>JSON.stringify(d)))).length; } console.log('nodict ms/trace', (performance.now()-t)/count);
t=performance.now(); for (const b of blobs) JSON.parse(inflateRawSync(b,{dictionary:dict}).toString()); console.log('inflate ms', (performance.now()-t)/count);
t=performance.now(); for (let i=0;i<count;i++) buildTraceModel('x', trace(i)); console.log('gen+build ms', (performance.now()-t)/count);
t=performance.now(); for (let i=0;i<count;i++) trace(i); console.log('gen ms', (performance.now()-t)/count);
const m = buildTraceModel('x', trace(3));
console.log('services', m.services.map(s=>[s.name,s.type,s.facts.length, s.inferred]), 'edges', m.edges.length, m.edges.map(e=>e.calls.length), 'fault rc', JSON.stringify(m.faultRootCauses).length, JSON.stringify(m.responseTimeRootCauses).length, JSON.stringify(m.errorRootCauses).length);
for (const level of [1, 3, 6]) { let t2=performance.now(); let zz=0; for (let i=0;i<5000;i++){ const s = JSON.stringify(trace(i).map(d=>JSON.stringify(d))); zz+=deflateRawSync(s,{dictionary:dict, level}).length;} console.log('level', level, (performance.now()-t2)/5000, zz/5000); }
const gc = (globalThis as any).gc; gc(); gc();
const h0 = process.memoryUsage().heapUsed;
const keep: unknown[] = [];
for (let i=0;i<count;i++){ const m = buildTraceModel('x', trace(i)); const { entities, roots, segments, rootSegment, annotations, users, ...rest } = m; keep.push({...rest, rootName: rootSegment?.name}); }
gc(); gc();
console.log('digest-ish B/trace', (process.memoryUsage().heapUsed - h0)/count);
keep.length = 0; gc(); gc();
const h1 = process.memoryUsage().heapUsed;
for (let i=0;i<count;i++){ const m = buildTraceModel('x', trace(i)); keep.push(m); }
gc(); gc();
console.log('model B/trace', (process.memoryUsage().heapUsed - h1)/count);
