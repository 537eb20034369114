import { defineConfig } from 'vite';

// The page lives in web/; it builds to dist/ with relative paths so it runs from any static host or sub-path.
export default defineConfig({
  root: 'web',
  base: './',
  build: { outDir: '../dist', emptyOutDir: true, target: 'es2022' },
  worker: { format: 'es' },
  server: { fs: { allow: ['..'] } },
  test: { root: '.', include: ['web/test/**/*.test.ts'], environment: 'node' },
});
