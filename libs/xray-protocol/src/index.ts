export * from './daemon-client';
export * from './datagram';
export * from './ids';
export * from './otlp/index';
export * from './segment';
export * from './trace-header';
