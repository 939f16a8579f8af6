import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Layers may only import inward; `domain` imports nothing outside itself. */
const outsideDomain = ['**/engine/**', '**/store/**', '**/cli/**', '**/api/**', '**/jobs/**', '**/notify/**', '**/app.js', '**/app.ts'];
const nodeIo = ['node:*', 'fs', 'path', 'child_process', 'net', 'http', 'https', 'os', 'pg', '@electric-sql/*', 'commander'];

const clockReads = [
  { selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']", message: 'Read time from the injected Clock, never Date.now().' },
  { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'Read time from the injected Clock, never new Date().' },
  { selector: "CallExpression[callee.name='setTimeout']", message: 'Sleep through Clock.sleepUntil, never setTimeout.' },
  { selector: "CallExpression[callee.name='setInterval']", message: 'Sleep through Clock.sleepUntil, never setInterval.' },
  { selector: "CallExpression[callee.object.name='performance'][callee.property.name='now']", message: 'Read time from the injected Clock.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'web/dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    ignores: ['src/domain/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...outsideDomain, ...nodeIo].map((group) => ({ group: [group], message: 'domain/ is pure: it imports only domain/ (and pure libraries).' })) }],
      'no-restricted-syntax': ['error', ...clockReads],
      'no-restricted-globals': ['error', { name: 'process', message: 'domain/ reads no environment.' }],
    },
  },
  {
    files: ['src/engine/**/*.ts'],
    ignores: ['src/engine/**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/store/**', '**/cli/**', '**/api/**', '**/jobs/**', '**/notify/**', '**/app.js'], message: 'engine/ imports only domain/ and its ports.' }] }],
      'no-restricted-syntax': ['error', ...clockReads],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/**', '!**/engine/ports.js', '**/cli/**', '**/api/**', '**/jobs/**', '**/notify/**', '**/app.js'], message: 'store/ imports inward only (domain/, engine/ports).' }] }],
    },
  },
  {
    files: ['src/jobs/**/*.ts', 'src/notify/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/engine/**', '!**/engine/ports.js', '**/store/**', '**/cli/**', '**/api/**', '**/app.js', ...(['jobs', 'notify'].map((layer) => `../../${layer}/**`))], message: 'jobs/ and notify/ import only domain/ and the engine ports.' }] }],
    },
  },
  {
    files: ['src/api/**/*.ts'],
    rules: {
      // The API declares what it needs of the system (api/system.ts); app.ts builds it and passes
      // it in, so api/ never imports the composition root (which imports api/).
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/store/**', '**/cli/**', '**/jobs/**', '**/notify/**', '**/engine/scheduler/**', '**/engine/worker/**', '**/app.js'], message: 'api/ is given the system (api/system.ts): it imports neither app.ts nor store/, jobs/, notify/, cli/ or the engine loops.' }] }],
    },
  },
  {
    files: ['src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/store/**', '**/engine/**', '**/api/**', '**/jobs/**', '**/notify/**'], message: 'cli/ reaches the system through app.ts.' }] }],
    },
  },
);
