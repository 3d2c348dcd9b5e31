export * from './analyze';
export * from './format';
export { percentile } from './stats';
