import { defineConfig } from 'tsup';

/**
 * One entry per public subpath (see the `exports` map in package.json).
 * The tfjs packages stay external: they are peer dependencies, so the consumer's single copy
 * (and its registered backend) is the one the library uses.
 */
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    'losses/index': 'src/losses/index.ts',
    'metrics/index': 'src/metrics/index.ts',
    'privacy/index': 'src/privacy/index.ts',
    'vision/index': 'src/vision/index.ts',
    'genomics/index': 'src/genomics/index.ts',
    'generative/index': 'src/generative/index.ts',
    'node/index': 'src/node/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  splitting: true,
  treeshake: true,
  target: 'es2022',
  platform: 'neutral',
  external: [/^@tensorflow\//, /^node:/],
});
