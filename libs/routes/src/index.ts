export * from './match';
export * from './routes';
