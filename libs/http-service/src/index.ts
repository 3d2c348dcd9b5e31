export * from './bind';
export * from './client';
export * from './server';
export * from './signals';
