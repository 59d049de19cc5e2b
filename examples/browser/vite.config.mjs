/**
 * The browser app's build: the page uses the built package (`npm run build` first), and the
 * bundled example files of examples/data are served beside it (./dicom/…, ./anatomical.nii).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: './',
  publicDir: here('../data'),
  resolve: {
    alias: [
      { find: /^tfjs-medkit\/vision$/, replacement: here('../../dist/vision/index.js') },
      { find: /^tfjs-medkit$/, replacement: here('../../dist/index.js') },
    ],
  },
  build: {
    outDir: here('../../.browser-app'),
    emptyOutDir: true,
    target: 'es2022',
    chunkSizeWarningLimit: 8000,
  },
  logLevel: 'warn',
});
