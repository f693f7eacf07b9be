import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { compression } from 'vite-plugin-compression2';

/**
 * The admin panel: built into admin-ui/dist, served by the gateway at /admin (src/http/admin-ui.ts).
 * Every text asset is also written brotli- and gzip-compressed (.br, .gz) at build time, so the
 * gateway sends the smaller file without compressing anything per request.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/admin/',
  plugins: [react(), compression({ algorithms: ['brotliCompress', 'gzip'], include: /\.(js|css|html|svg|json)$/, threshold: 512 })],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  // `npm run dev:admin` next to a running gateway (default http://localhost:8080) proxies the API.
  server: { proxy: { '/admin/api': process.env.TOLLGATE_URL ?? 'http://localhost:8080' } },
});
