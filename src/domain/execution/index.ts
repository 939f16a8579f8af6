export * from './retry.js';
export * from './status.js';
