export { findFreePort } from './ports';
export { type RunningStack, type StackEndpoints, type StackOptions, startStack } from './stack';
