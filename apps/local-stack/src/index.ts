export { findFreePort } from './ports';
export {
  LAUNCHED_APPS,
  type RunningStack,
  type StackEndpoints,
  type StackOptions,
  startStack,
} from './stack';
