import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The page lives in web/; it builds to dist/ with relative paths so it runs from any static host or sub-path.
export default defineConfig({
  root: 'web',
  base: './',
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] } },
  // lil-gui's stylesheet is not in its package exports; the page bundles it (a strict CSP forbids injected styles).
  resolve: { alias: { 'lil-gui/dist/lil-gui.css': fileURLToPath(new URL('./node_modules/lil-gui/dist/lil-gui.css', import.meta.url)) } },
  test: { root: '.', include: ['web/test/**/*.test.ts'], environment: 'node' },
});
