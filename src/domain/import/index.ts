export * from './types.js';
export * from './pg-cron.js';
export * from './crontab.js';
export * from './github-actions.js';
export * from './curl.js';
export * from './secret-headers.js';
export * from './shell-words.js';
export * from './untangle.js';
