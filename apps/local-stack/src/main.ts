// `npm start`: the whole request path on loopback, each piece its own process.
import { ConfigError, readLocalStackConfig } from '@parcel/config';
import { nodeSupportNotice } from './node-support';
import { PortTakenError } from './ports';
import { type RunningStack, startStack } from './stack';

const started = Date.now();
const verbose = process.env.STACK_LOG !== 'quiet';
let stack: RunningStack | undefined;
let stopping = false;

async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping the local stack…');
  await stack?.stop();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

const nodeNotice = nodeSupportNotice();
if (nodeNotice) console.warn(`⚠ ${nodeNotice.replaceAll('\n', '\n  ')}\n`);

try {
  const config = readLocalStackConfig();
  stack = await startStack(config, {
    onLine: verbose ? (name, line) => console.log(`${name.padEnd(16)}│ ${line}`) : undefined,
    onProgress: (m) => console.log(`✔ ${m}`),
  });
  const e = stack.endpoints;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
Local stack ready in ${seconds} s.

  API Gateway stage   ${e.gateway}
  parcel-api          ${e.parcelApi}
  warehouse-query     ${e.warehouseQuery}
  Step Functions      ${e.stepFunctions}
  DynamoDB            ${e.dynamodb}
  PostgreSQL          ${e.database.replace(/:[^:@/]*@/, ':***@')}
  vendor (HTTPS)      ${e.vendor}   (CA: ${e.caFile})
  X-Ray daemon        udp+tcp ${e.daemon}, OTLP/HTTP ${e.otlp}/v1/traces
  X-Ray API/console   ${e.xray}

Try:
  curl -i ${e.gateway}/parcels/RR123456785GB
  aws xray get-trace-summaries --endpoint-url ${e.xray} --start-time $(($(date +%s)-300)) --end-time $(date +%s)
  open ${e.xray}/ for the console

Ctrl-C stops everything.`);
  // If any piece dies, say so and take the stack down rather than leave half of it running.
  for (const child of stack.children) {
    void child.exited.then((code) => {
      if (!stopping) {
        console.error(`${child.name} exited with code ${code}; stopping the stack`);
        void shutdown(1);
      }
    });
  }
} catch (err) {
  if (err instanceof PortTakenError || err instanceof ConfigError) console.error(`npm start: ${err.message}`);
  else console.error('npm start failed:', err);
  await shutdown(1);
}
