export { freeStackAddresses } from './ports';
export {
  LAUNCHED_APPS,
  type RunningStack,
  type StackEndpoints,
  type StackOptions,
  startStack,
} from './stack';
