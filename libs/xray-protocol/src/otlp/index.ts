export * from './receiver';
export * from './spans';
export * from './to-segments';
