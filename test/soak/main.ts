/**
 * `npm run soak`: the soak on a local stack of its own (free ports, so a running `npm start` is untouched).
 * Prints progress and figures; exits 1 on any 5xx, a counter that does not add up, or growing memory.
 *
 *   npm run soak -- --rate 200 --seconds 300 --burst 60 --mix 80,10,10
 */
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { LOAD_BALANCER_IDLE_TIMEOUT_SECONDS } from '@parcel/config';
import { startTestStack } from '../support/stack';
import { DEFAULT_MIX, gapAfterKeepAlive, loadAverage, runSoak, type SoakMix } from './soak';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '120' },
    burst: { type: 'string', default: '30' },
    gap: { type: 'string' },
    mix: {
      type: 'string',
      default: `${DEFAULT_MIX.known * 100},${DEFAULT_MIX.unknown * 100},${DEFAULT_MIX.malformed * 100}`,
    },
    'idle-timeout': { type: 'string', default: String(LOAD_BALANCER_IDLE_TIMEOUT_SECONDS) },
    progress: { type: 'string', default: '5' },
    warmup: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});

if (values.help) {
  console.log(`npm run soak -- [options]
  --rate N          requests per second during a burst (default 100, at most 2000)
  --seconds N       seconds of load in all, the bursts' total (default 120, at most 3600)
  --burst N         seconds per burst (default 30)
  --gap N           idle seconds between bursts (default: the services' keep-alive + 1 s)
  --mix K,U,M       percent known parcels, valid-but-unknown ids, malformed ids (default 80,10,10)
  --idle-timeout N  the load balancer idle timeout the services derive their keep-alive from (default ${LOAD_BALANCER_IDLE_TIMEOUT_SECONDS})
  --progress N      seconds between progress lines (default 5)
  --warmup N        bursts whose memory growth is warm-up (default 1)`);
  process.exit(0);
}

function positive(name: string, raw: string | undefined, max: number): number {
  const n = Number(raw);
  if (!(Number.isFinite(n) && n > 0 && n <= max))
    throw new Error(`--${name} must be in (0, ${max}], got ${raw}`);
  return n;
}

function mixOf(raw: string): SoakMix {
  const parts = raw.split(',').map(Number);
  const [known, unknown, malformed] = parts;
  if (
    parts.length !== 3 ||
    parts.some((p) => !(p >= 0)) ||
    Math.abs(parts.reduce((a, b) => a + b, 0) - 100) > 1e-9
  )
    throw new Error(`--mix must be three percentages adding up to 100, got ${raw}`);
  return {
    known: (known as number) / 100,
    unknown: (unknown as number) / 100,
    malformed: (malformed as number) / 100,
  };
}

const idleTimeout = positive('idle-timeout', values['idle-timeout'], 4000);
const opts = {
  rate: positive('rate', values.rate, 2000),
  seconds: positive('seconds', values.seconds, 3600),
  burstSeconds: positive('burst', values.burst, 3600),
  gapSeconds: values.gap === undefined ? gapAfterKeepAlive(idleTimeout) : positive('gap', values.gap, 3600),
  mix: mixOf(values.mix),
  progressEverySeconds: positive('progress', values.progress, 600),
  warmupBursts: Math.floor(positive('warmup', values.warmup, 100)),
};

const began = Date.now();
const say = (line: string) =>
  console.log(`[${((Date.now() - began) / 1000).toFixed(0).padStart(4)} s] ${line}`);
say(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, load average ${loadAverage()}`,
);
say(
  `soak: ${opts.rate} req/s, ${opts.seconds} s of load in bursts of ${opts.burstSeconds} s, ${opts.gapSeconds} s idle between; ` +
    `mix ${values.mix} (known, unknown, malformed); load balancer idle timeout ${idleTimeout} s`,
);
say('starting a local stack on free ports …');
const stack = await startTestStack({
  LOAD_BALANCER_IDLE_TIMEOUT_SECONDS: String(idleTimeout),
  LOG_LEVEL: 'warn',
});
let exitCode = 1;
try {
  const report = await runSoak(stack, { ...opts, log: say });
  if (report.problems.length === 0) {
    say('no 5xx, every counter adds up, no piece keeps growing');
    exitCode = 0;
  } else {
    say(`FAILED:\n${report.problems.map((p) => `  - ${p}`).join('\n')}`);
  }
} catch (err) {
  console.error('soak failed:', err);
} finally {
  say('stopping the stack');
  await stack.stop();
}
say(`done in ${((Date.now() - began) / 1000).toFixed(0)} s`);
process.exit(exitCode);
