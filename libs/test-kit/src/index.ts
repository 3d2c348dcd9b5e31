export { type LoopbackServer, serveOnLoopback } from './loopback-server';
export { CHROMIUM_PATH, hasAwsCli, hasChromium, isRoot, toolPresent } from './tools';
export { startUdpCollector, type UdpCollector } from './udp-collector';
