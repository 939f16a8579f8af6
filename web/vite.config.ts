import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served from web/dist by `grove-jobs serve` at `/`, or by an application at the
// path it mounts it at: index.html's <base href> (set by the server) says where, and every URL in
// the build is relative to it (assets/…).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
  },
  server: {
    // `vite --config web/vite.config.ts` during development: the API runs on grove-jobs serve.
    proxy: { '/api': 'http://127.0.0.1:8080', '/favicon.svg': 'http://127.0.0.1:8080' },
  },
});
