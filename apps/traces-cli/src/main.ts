// `npm run traces -- analyze --since 15m` / `npm run traces -- show <trace-id>`: the console's numbers in a terminal.
import { XRayClient } from '@aws-sdk/client-xray';
import { LOCAL_CREDENTIALS, LOCAL_PORTS, LOCAL_REGION } from '@parcel/config';
import { analyze, formatAnalysis, formatWaterfall } from '@parcel/trace-analysis';
import { isTraceId } from '@parcel/xray-protocol';
import { parseArgs, parseGroupBy, parseWindow, USAGE, UsageError } from './args';
import { getTraces, listTraceIds } from './fetch-traces';

async function run(argv: string[]): Promise<string> {
  const command = parseArgs(argv);
  const endpoint =
    command.options.get('endpoint') ??
    process.env.XRAY_ENDPOINT ??
    `http://127.0.0.1:${LOCAL_PORTS.xrayService}`;
  const client = new XRayClient({
    endpoint,
    region: process.env.AWS_REGION ?? LOCAL_REGION,
    credentials: {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? LOCAL_CREDENTIALS.accessKeyId,
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? LOCAL_CREDENTIALS.secretAccessKey,
    },
  });
  if (command.name === 'show') {
    const id = command.positional[0];
    if (!id || !isTraceId(id))
      throw new UsageError(`show needs a trace id like 1-5759e988-bd862e3fe1be46a994272793\n${USAGE}`);
    const [trace] = await getTraces(client, [id]);
    if (!trace || trace.segments.length === 0) return `Trace ${id} not found at ${endpoint}.`;
    return formatWaterfall(trace);
  }
  const { start, end } = parseWindow(command.options);
  const groupBy = parseGroupBy(command.options.get('group-by') ?? 'name');
  const limit = Number(command.options.get('limit') ?? 5000);
  const ids = await listTraceIds(client, {
    start,
    end,
    filterExpression: command.options.get('filter'),
    limit,
  });
  const traces = await getTraces(client, ids);
  return formatAnalysis(analyze(traces, groupBy));
}

run(process.argv.slice(2)).then(
  (text) => console.log(text),
  (err: Error) => {
    console.error(err instanceof UsageError ? err.message : `traces: ${err.message}`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  },
);
