// Tests lay out a whole stack on free ports; the one probe lives with the other local resources.
export { findFreePort } from '@parcel/local-resources';
export {
  LAUNCHED_APPS,
  type RunningStack,
  type StackEndpoints,
  type StackOptions,
  startStack,
} from './stack';
