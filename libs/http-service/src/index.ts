export * from './client';
export * from './server';
