import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { UpdateSamplingRuleCommand, type XRayClient } from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '@parcel/config';
import { hasAwsCli, toolPresent } from '@parcel/test-kit';
import { parseTraceHeader } from '@parcel/xray-protocol';

const run = promisify(execFile);

let cliPresent: Promise<boolean> | undefined;

/**
 * Changes a rule's rate and reservoir as an operator would: the AWS CLI against the local X-Ray service
 * (`--endpoint-url`). Without a CLI (a developer's machine) the X-Ray SDK client makes the change and
 * the test says so; with REQUIRE_TOOLS=1 (CI) a missing CLI fails instead.
 */
export async function updateRule(
  xray: XRayClient,
  endpoint: string,
  ruleName: string,
  fixedRate: number,
  reservoirSize: number,
): Promise<void> {
  const update = { RuleName: ruleName, FixedRate: fixedRate, ReservoirSize: reservoirSize };
  cliPresent ??= hasAwsCli().then((present) => toolPresent('the AWS CLI', present));
  if (!(await cliPresent)) {
    console.warn(`no AWS CLI here: ${ruleName} updated with the X-Ray SDK client instead`);
    await xray.send(new UpdateSamplingRuleCommand({ SamplingRuleUpdate: update }));
    return;
  }
  await run(
    'aws',
    [
      'xray',
      'update-sampling-rule',
      '--endpoint-url',
      endpoint,
      '--sampling-rule-update',
      JSON.stringify(update),
    ],
    {
      timeout: 30_000,
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_PAGER: '',
      },
    },
  );
}

export interface Outcome {
  atMs: number;
  status: number;
  sampled: boolean;
  traceId: string | undefined;
}

/**
 * Steady traffic without trace headers (the edge decides), at most `perSecond` requests a second and never
 * more than `perSecond` in flight, recording whether each answer says `Sampled=1`.
 */
export function startTraffic(url: string, perSecond: number) {
  const outcomes: Outcome[] = [];
  let inFlight = 0;
  let errors = 0;
  const timer = setInterval(() => {
    if (inFlight >= perSecond) return;
    inFlight++;
    fetch(url, { signal: AbortSignal.timeout(10_000) })
      .then(async (res) => {
        await res.arrayBuffer();
        const header = parseTraceHeader(res.headers.get('x-amzn-trace-id') ?? undefined);
        outcomes.push({
          atMs: Date.now(),
          status: res.status,
          sampled: header?.sampled === '1',
          traceId: header?.root,
        });
      })
      .catch(() => {
        errors++;
      })
      .finally(() => {
        inFlight--;
      });
  }, 1000 / perSecond);
  return {
    outcomes,
    get errors() {
      return errors;
    },
    /** Share of sampled answers among those that arrived in the last `windowMs`. */
    share(windowMs: number, now = Date.now()): { share: number; count: number } {
      const recent = outcomes.filter((o) => o.atMs > now - windowMs);
      const sampled = recent.filter((o) => o.sampled).length;
      return { share: recent.length ? sampled / recent.length : Number.NaN, count: recent.length };
    },
    stop() {
      clearInterval(timer);
    },
  };
}

/** Polls `check` every 250 ms (after `step`, if given) until it holds; resolves with the time it took, or rejects after `timeoutMs`. */
export async function timeUntil(
  check: () => boolean,
  timeoutMs: number,
  describe: () => string,
  /** Runs before each check (a probe request, say). */
  step?: () => Promise<void>,
): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    await step?.();
    if (check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`not within ${timeoutMs} ms: ${describe()}`);
}
