export * from './engine/execution';
export * from './engine/interpreter';
export * from './engine/states-error';
export * from './server';
export * from './service';
export * from './state-machines';
