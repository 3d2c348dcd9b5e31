export * from './bind';
export * from './client';
export * from './localhost-names';
export * from './server';
export * from './signals';
