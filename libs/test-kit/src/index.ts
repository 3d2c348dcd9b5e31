export { CHROMIUM_PATH, hasAwsCli, hasChromium, isRoot, toolPresent } from './tools';
