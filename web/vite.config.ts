/**
 * The web app: built into web/dist and served by the API under /app/ (api/http/web-app.ts).
 * `npm run dev:web` serves it with hot reload and proxies the API paths to a running API
 * (API_URL, default http://localhost:3000).
 */
import path from 'node:path';
import { defineConfig } from 'vite';

const api = process.env.API_URL ?? 'http://localhost:3000';
const apiPaths = [
  '/deals',
  '/me',
  '/users',
  '/process-definitions',
  '/reports',
  '/notifications',
  '/webhooks',
];

export default defineConfig({
  root: __dirname,
  base: '/app/',
  resolve: { alias: { '@': path.resolve(__dirname, 'src') } },
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    manifest: true,
    // The budget is checked on gzipped first-load JS (scripts/web-build.ts), not per chunk.
    chunkSizeWarningLimit: 2000,
    rolldownOptions: {
      // antd marks its modules "use client" (a React Server Components hint): meaningless here.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: {
    port: Number(process.env.WEB_PORT ?? 5173),
    proxy: Object.fromEntries(apiPaths.map((p) => [p, { target: api, changeOrigin: false }])),
  },
});
