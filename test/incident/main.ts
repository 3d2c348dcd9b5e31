/**
 * `npm run incident`: the worked example, replayed on a local stack of its own (free ports, so a running
 * `npm start` is untouched). Prints the figures; exits 1 when the shape is not the expected one.
 *
 *   INCIDENT_RATE=50 INCIDENT_SECONDS=20,30,30 npm run incident
 */
import { cpus, loadavg } from 'node:os';
import { startTestStack } from '../support/stack';
import {
  FULL_REPLAY,
  formatPhases,
  INCIDENT_STACK_ENV,
  type ReplayOptions,
  replayIncident,
  SAMPLING_NOTE,
  VENDOR_SUBSEGMENT,
} from './replay';

function options(): ReplayOptions {
  const rate = Number(process.env.INCIDENT_RATE ?? FULL_REPLAY.rate);
  const [baseline, degraded, withTimeout] = (process.env.INCIDENT_SECONDS ?? '')
    .split(',')
    .map(Number)
    .filter((n) => n > 0);
  if (!(rate > 0 && rate <= 200)) throw new Error('INCIDENT_RATE must be in 1..200 req/s');
  return {
    ...FULL_REPLAY,
    rate,
    seconds: {
      baseline: baseline ?? FULL_REPLAY.seconds.baseline,
      degraded: degraded ?? FULL_REPLAY.seconds.degraded,
      withTimeout: withTimeout ?? FULL_REPLAY.seconds.withTimeout,
    },
  };
}

const opts = options();
const began = Date.now();
const say = (line: string) =>
  console.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`);
say(
  `machine: ${cpus().length} cores, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} (the bounds assume the cores are mostly free)`,
);
say('starting a local stack on free ports (CACHE_TTL_SECONDS=1) …');
const stack = await startTestStack({ ...INCIDENT_STACK_ENV });
let exitCode = 1;
try {
  say(`stack up; sampling: ${SAMPLING_NOTE}`);
  const report = await replayIncident(stack, { ...opts, log: say });
  console.log('\nClient-side latency per phase (gateway round trip, open-loop fixed rate):\n');
  console.log(formatPhases(report.phases));
  const total = report.phases.reduce((n, p) => n + p.staleEmf, 0);
  console.log(
    `\nStale fallbacks counted (vendor_stale, EMF lines in parcel-api's stdout): ${total} ` +
      `(${report.phases.map((p) => `${p.name}: ${p.staleEmf}`).join(', ')})`,
  );
  console.log(
    `\nPer-subsegment analysis of the "degraded, no timeout" phase ` +
      `(${report.tracesRead} of ${report.tracesSent} traces read back from X-Ray):\n`,
  );
  console.log(report.analysisText);
  console.log(
    `\nCause: ${report.blamed ?? 'none'}${report.blamed?.endsWith(VENDOR_SUBSEGMENT) ? ' (the vendor subsegment)' : ''}` +
      `\nExample traces: ${report.exampleTraceIds.join(' ')}`,
  );
  const bound = `${opts.timeoutBound.percentile} < ${opts.timeoutBound.ms} ms`;
  if (report.problems.length === 0) {
    console.log(
      `\nShape as expected: p99 > ${opts.degradedP99AboveMs} ms without the timeout, ${bound} with it; ` +
        `the vendor subsegment is to blame.`,
    );
    exitCode = 0;
  } else {
    console.log(`\nShape NOT as expected:\n${report.problems.map((p) => `  - ${p}`).join('\n')}`);
  }
} catch (err) {
  console.error('incident replay failed:', err);
} finally {
  say('stopping the stack');
  await stack.stop();
}
say(`done in ${((Date.now() - began) / 1000).toFixed(0)} s`);
process.exit(exitCode);
