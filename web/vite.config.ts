import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The console is served by `grove-jobs serve` from web/dist at `/`, its files under /assets/.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
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
