/**
 * The daemon under test, alone in its own process (the benchmark pins it to one core): `startXrayDaemon`
 * with the project's defaults except the upload client, forwarding to `XRAY_ENDPOINT`. Prints
 * `{"address": …, "url": …}` once bound; SIGTERM drains and exits.
 */
import { readXrayDaemonConfig } from '@parcel/config';
import { startXrayDaemon } from '@parcel/xray-daemon';

const config = readXrayDaemonConfig({
  ...process.env,
  AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:0',
  XRAY_UPLOAD_CLIENT: process.env.XRAY_UPLOAD_CLIENT ?? 'http',
});
const daemon = await startXrayDaemon(config, { statsLogIntervalMs: 0 });
process.stdout.write(
  `${JSON.stringify({ address: daemon.address, url: daemon.url, config: { bufferMb: config.bufferMb, concurrency: config.concurrency, batchSize: config.batchSize, uploadClient: config.uploadClient } })}\n`,
);
process.on('SIGTERM', () => {
  void daemon.close().then(() => process.exit(0));
});
// The benchmark holds our stdin: when it goes away, so do we.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
