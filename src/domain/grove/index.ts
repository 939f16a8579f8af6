export * from './model.js';
export * from './errors.js';
export * from './demo-data.js';
export * from './digest.js';
export * from './health.js';
export * from './cleanup.js';
export * from './rules.js';
export * from './signals.js';
