import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// `npm run dev` serves the app with hot reload on :5173 and forwards the API and the socket to a LIME server on
// :5080 (`dotnet run --project src/Lime.Server`). The socket's Origin is rewritten to the server's own, which is on
// its allow-list. `npm run build` writes web/dist, which the server build copies next to Lime.Server.dll.
const server = process.env.LIME_SERVER ?? 'http://127.0.0.1:5080';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // No inline scripts or data: modules: the server's Content-Security-Policy allows 'self' scripts only.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: server },
      '/ws': {
        target: server,
        ws: true,
        configure: (proxy) => {
          proxy.on('proxyReqWs', (proxyReq) => proxyReq.setHeader('origin', server));
        },
      },
    },
  },
});
