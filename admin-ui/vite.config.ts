import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/** The admin panel: built into admin-ui/dist, served by the gateway at /admin (src/http/admin-ui.ts). */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/admin/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', assetsInlineLimit: 0 },
  // `npm run dev:admin` next to a running gateway (default http://localhost:8080) proxies the API.
  server: { proxy: { '/admin/api': process.env.TOLLGATE_URL ?? 'http://localhost:8080' } },
});
