/**
 * `npm run bench [-- <name> …]`: every benchmark (or the named ones: tracing, daemon, xray-service,
 * startup) in one run on this machine, a table of the figures against the issue's targets, and
 * bench/results/latest.json with the figures and the machine they were measured on. Benchmarks whose
 * subject must be isolated run in their own processes; everything is on loopback and bounded in time.
 * Figures are printed, never asserted: the tests have no timed assertions.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, totalmem } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DaemonResult } from './daemon/throughput';
import type { StartupResult } from './startup/startup';
import type { XrayServiceResult } from './xray-service/query';

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const RESULTS = here('./results/latest.json');
const NAMES = ['tracing', 'daemon', 'xray-service', 'startup'] as const;
type BenchName = (typeof NAMES)[number];

interface Row {
  bench: string;
  figure: string;
  value: string;
  target: string;
  met: boolean | null;
}

/** Runs `node [nodeArgs] --import tsx <script>` and returns the JSON its last stdout line holds. */
function runChild<T>(script: string, nodeArgs: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}) {
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', here(script)], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let last = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.trim()) last = line;
    });
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`${script} ended with ${code ?? signal}`));
      try {
        resolve(JSON.parse(last) as T);
      } catch {
        reject(new Error(`${script} printed no JSON result`));
      }
    });
  });
}

function machine() {
  let cpu = 'unknown';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    // not Linux: leave it unknown
  }
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  } catch {
    commit = undefined;
  }
  return {
    cpu,
    cores: availableParallelism(),
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    date: new Date().toISOString(),
    loadAverage1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
    ...(commit ? { commit } : {}),
  };
}

const fmt = (n: number) => n.toLocaleString('en-GB');

function daemonRows(r: DaemonResult): Row[] {
  const best = r.steps.filter((s) => s.lossless).sort((a, b) => b.sentRate - a.sentRate)[0];
  const rows: Row[] = [
    {
      bench: 'daemon',
      figure: `segments/s with zero loss, ${r.datagramBytes} B each${r.pinned ? ', daemon pinned to 1 core' : ''}`,
      value: fmt(r.zeroLossRate),
      target: '≥ 50,000',
      met: r.zeroLossRate >= 50_000,
    },
  ];
  if (best?.daemonCpuMicrosPerSegment)
    rows.push({
      bench: 'daemon',
      figure: 'daemon CPU per segment at that rate (→ capacity of a whole core)',
      value: `${best.daemonCpuMicrosPerSegment} µs (→ ${fmt(Math.round(1e6 / best.daemonCpuMicrosPerSegment))}/s)`,
      target: '',
      met: null,
    });
  if (r.overload) {
    const o = r.overload;
    rows.push({
      bench: 'daemon',
      figure: `at 2× (${fmt(o.sentRate)}/s sent): received = forwarded + dropped + invalid`,
      value: `${fmt(o.received)} = ${fmt(o.forwarded)} + ${fmt(o.dropped)} + ${fmt(o.invalid)}; kernel drops ${fmt(o.kernelDrops)} (RcvbufErrors ${o.rcvbufErrors ?? 'n/a'}); sink got ${fmt(o.sinkDocuments)}`,
      target: 'exact',
      met: o.accountedExactly && o.sinkMatchesForwarded,
    });
  }
  return rows;
}

function xrayRows(r: XrayServiceResult): Row[] {
  const rows: Row[] = r.queries.map((q) => ({
    bench: 'xray-service',
    figure: `GetTraceSummaries over ${fmt(r.traces)} traces, ${q.expression ? `filter ${q.expression}` : 'no filter'} (median; its CPU; first; its CPU)`,
    value: `${q.medianMs} ms; ${q.medianCpuMs ?? '?'} ms; ${q.firstMs} ms; ${q.firstCpuMs ?? '?'} ms`,
    target: '≤ 250 ms',
    met: q.medianMs <= 250,
  }));
  rows.push(
    {
      bench: 'xray-service',
      figure: `store memory (heap + ArrayBuffers) for ${fmt(r.traces)} traces (${fmt(r.segmentDocuments)} documents); after queries`,
      value: `${r.storeHeapMb} MB; ${r.storeHeapAfterQueriesMb} MB`,
      target: '',
      met: null,
    },
    {
      bench: 'xray-service',
      figure: 'store per trace: documents as received; memory after queries (×100,000)',
      value: `${fmt(r.documentBytesPerTrace)} B; ${fmt(r.heapBytesPerTrace)} B (${r.heapFor100kMb} MB)`,
      target: '100,000 traces ≤ 300 MB',
      met: r.heapFor100kMb <= 300,
    },
    {
      bench: 'xray-service',
      figure: 'ingest (PutTraceSegments handler, in-process); CPU time of the load',
      value: `${fmt(r.ingestSegmentsPerSecond)} segments/s; ${r.loadCpuSeconds ?? '?'} s`,
      target: '',
      met: null,
    },
    {
      bench: 'xray-service',
      figure: `ingest over HTTP (PutTraceSegments, 4 in flight); through the daemon (UDP → PutTraceSegments, ${fmt(r.ingest.daemonOfferedRate)}/s offered), ${fmt(r.ingest.documents)} documents`,
      value: `${fmt(r.ingest.httpDocumentsPerSecond)} docs/s; ${fmt(r.ingest.daemonDocumentsPerSecond)} docs/s (${r.ingest.daemonLost} lost)`,
      target: '',
      met: null,
    },
  );
  return rows;
}

function startupRows(r: StartupResult): Row[] {
  return r.runs.map((run, i) => ({
    bench: 'startup',
    figure: `npm start to ready, ${run.kind}${run.kind === 'warm' ? ` #${i}` : ''} (launcher's own figure)`,
    value: `${run.wallSeconds} s (${run.reportedSeconds ?? '?'} s)`,
    target: '',
    met: null,
  }));
}

function table(rows: Row[]): string {
  const lines = ['| Benchmark | Figure | Measured | Target | Met |', '|---|---|---|---|---|'];
  for (const r of rows)
    lines.push(
      `| ${r.bench} | ${r.figure.replaceAll('|', '\\|')} | ${r.value} | ${r.target} | ${r.met === null ? '' : r.met ? 'yes' : '**no**'} |`,
    );
  return lines.join('\n');
}

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of wanted)
  if (!(NAMES as readonly string[]).includes(name)) {
    console.error(`unknown benchmark "${name}"; choose from ${NAMES.join(', ')}`);
    process.exit(2);
  }
const selected: BenchName[] = wanted.length > 0 ? (wanted as BenchName[]) : [...NAMES];

const previous = existsSync(RESULTS)
  ? (JSON.parse(readFileSync(RESULTS, 'utf8')) as { results?: Record<string, unknown> })
  : {};
const results: Record<string, unknown> = { ...(previous.results ?? {}) };
const rows: Row[] = [];
const notes: string[] = [];
let tracingTable: string | undefined;

for (const name of selected) {
  const started = Date.now();
  console.error(`\n── ${name} ──`);
  try {
    if (name === 'tracing') {
      const file = here('./tracing/overhead.ts');
      if (!existsSync(file)) {
        notes.push('tracing: bench/tracing/overhead.ts not present, skipped');
        continue;
      }
      const mod = (await import(pathToFileURL(file).href)) as {
        run?: (opts?: object) => Promise<unknown>;
        formatTable?: (figures: never) => string;
      };
      if (typeof mod.run !== 'function') {
        notes.push('tracing: bench/tracing/overhead.ts exports no run(), skipped');
        continue;
      }
      const figures = await mod.run({ log: (line: string) => console.error(line) });
      results.tracing = { measuredAt: new Date().toISOString(), loadAverage1m: loadavg()[0], figures };
      if (typeof mod.formatTable === 'function') tracingTable = mod.formatTable(figures as never);
    } else if (name === 'daemon') {
      const r = await runChild<DaemonResult>('./daemon/throughput.ts', [], 10 * 60_000);
      results.daemon = { measuredAt: new Date().toISOString(), loadAverage1m: loadavg()[0], ...r };
      rows.push(...daemonRows(r));
    } else if (name === 'xray-service') {
      const r = await runChild<XrayServiceResult>('./xray-service/query.ts', ['--expose-gc'], 15 * 60_000);
      results['xray-service'] = { measuredAt: new Date().toISOString(), loadAverage1m: loadavg()[0], ...r };
      rows.push(...xrayRows(r));
    } else if (name === 'startup') {
      const r = await runChild<StartupResult>('./startup/startup.ts', [], 12 * 60_000);
      results.startup = { measuredAt: new Date().toISOString(), loadAverage1m: loadavg()[0], ...r };
      rows.push(...startupRows(r));
    }
  } catch (err) {
    notes.push(`${name}: failed — ${(err as Error).message}`);
  }
  console.error(`── ${name}: ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

const m = machine();
mkdirSync(here('./results'), { recursive: true });
writeFileSync(RESULTS, `${JSON.stringify({ machine: m, ran: selected, results, notes }, null, 2)}\n`);

console.log(
  `\nMeasured on ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, ${m.date} (load average ${m.loadAverage1m})\n`,
);
if (tracingTable) console.log(`${tracingTable}\n`);
if (rows.length > 0) console.log(table(rows));
for (const note of notes) console.log(`note: ${note}`);
console.log(`\nfigures written to ${RESULTS}`);
