export * from './groups';
export * from './keep';
export * from './match';
export * from './rules';
