// Builds the dashboard into ../dist, which is committed and embedded in the learnlog
// binary (see docs/adr/0013-dashboard.md). The build must be deterministic: same
// sources and lock file, same bytes.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/dashboard/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2020',
    sourcemap: false,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
});
