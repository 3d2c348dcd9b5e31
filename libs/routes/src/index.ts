export * from './edge-shape';
export * from './match';
export * from './routes';
