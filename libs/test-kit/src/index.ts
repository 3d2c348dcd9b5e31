export { type LoopbackServer, serveOnLoopback } from './loopback-server';
export { assertLoopback, runOpenLoop } from './open-loop';
export { type RawReply, rawRequest } from './raw-request';
export {
  type RecordedReply,
  type RecordedRequest,
  type RecordingResponder,
  type RecordingServer,
  startRecordingServer,
} from './recording-server';
export { seededRandom } from './seeded-random';
export { CHROMIUM_PATH, hasAwsCli, hasChromium, isRoot, toolPresent } from './tools';
export { sampledHeader } from './trace-header';
export { startUdpCollector, type UdpCollector } from './udp-collector';
