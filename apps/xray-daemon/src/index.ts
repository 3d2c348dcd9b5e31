export type { DaemonStats, DropReason } from './counters';
export {
  bufferCapacityBytes,
  type DaemonConfig,
  type DaemonOptions,
  type RunningDaemon,
  startXrayDaemon,
} from './daemon';
export { type InvalidReason, MAX_DOCUMENT_BYTES, readDatagram } from './datagram-reader';
export { createXrayClient, httpUpload, xrayUpload } from './forwarder';
export { createSamplingProxy, type ProxyTarget } from './sampling-proxy';
export { SegmentPipeline, type Upload } from './segment-pipeline';
