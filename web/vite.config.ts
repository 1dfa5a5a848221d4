// Builds the browser UI into web/dist, which the server serves at `/`. In development (`npx vite web`)
// API calls and the live WebSocket go to a server started separately with `visage serve` on port 3000.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const API = process.env.VISAGE_API ?? 'http://127.0.0.1:3000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 800,
  },
  server: {
    proxy: {
      '/api': { target: API, ws: true },
    },
  },
});
