import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { precompress } from './precompress.ts';

// The dashboard SPA: built into dist/dashboard, served by the API app at `/` (apps/api/src/dashboard).
// The debug console uses the Herald SDK straight from its TypeScript source (libs/sdk/src).
const root = fileURLToPath(new URL('../..', import.meta.url));
const sdkVersion = (JSON.parse(readFileSync(`${root}libs/sdk/package.json`, 'utf8')) as { version: string }).version;

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [react(), precompress()],
  resolve: { alias: { '@herald/sdk': `${root}libs/sdk/src/index.ts` } },
  define: { __HERALD_VERSION__: JSON.stringify(sdkVersion) },
  build: {
    outDir: `${root}dist/dashboard`,
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: true,
    chunkSizeWarningLimit: 1200,
  },
  // `npx vite apps/dashboard` for development: API calls go to the API that `npm start` runs on :3000.
  server: { port: 5173, proxy: { '/v1': 'http://localhost:3000' } },
});
