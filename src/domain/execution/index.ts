export * from './retry.js';
export * from './status.js';
export * from './errors.js';
export * from './store-backoff.js';
export * from './execution-id.js';
