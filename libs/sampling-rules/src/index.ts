export * from './match';
export * from './rules';
