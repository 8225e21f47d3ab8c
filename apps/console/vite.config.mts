/**
 * The console's build: `npm run console:build` writes apps/console/dist, which the gateway serves at `/`.
 * index.html carries a CSP nonce placeholder the gateway replaces per response (see the gateway's
 * console-static.ts); every other file is content-hashed under /assets and cached for ever.
 */
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  html: { cspNonce: 'STEWARD_CSP_NONCE' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // the first screen must stay small: route-level chunks load on navigation
    chunkSizeWarningLimit: 600,
  },
  server: {
    // `vite --config apps/console/vite.config.ts` during development: the API from a running gateway
    proxy: Object.fromEntries(['/v1', '/openapi.json'].map((path) => [path, process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080'])),
  },
});
