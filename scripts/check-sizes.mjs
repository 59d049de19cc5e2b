#!/usr/bin/env node
/**
 * Size budgets per public subpath: each entry bundled for the browser by esbuild from dist/
 * (minified, tfjs external: a peer the app has anyway), everything it exports and, for a few, one
 * typical import alone (tree-shaken). The DICOM data dictionary (the largest module) must stay
 * out of every subpath but vision and the root, and out of vision bundles that read no DICOM.
 * Exits 1 when a budget is exceeded.
 *
 *   npm run build && node scripts/check-sizes.mjs
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const KB = 1000;
/** [what the app imports, budget in bytes, may it hold the DICOM dictionary]. */
const BUDGETS = [
  // everything (the DICOM dictionary included; 684.5 KB with a convolution and its pooling fused)
  ["export * from 'tfjs-medkit'", 688 * KB, true],
  ["export * from 'tfjs-medkit/losses'", 20 * KB, false],
  ["export * from 'tfjs-medkit/metrics'", 28 * KB, false],
  ["export * from 'tfjs-medkit/privacy'", 10 * KB, false],
  ["export * from 'tfjs-medkit/vision'", 505 * KB, true],
  // the SIMD modules' generators come with any kernel (109.1 and 105.3 KB with a convolution and
  // its pooling fused)
  ["export * from 'tfjs-medkit/genomics'", 112 * KB, false],
  ["export * from 'tfjs-medkit/generative'", 108 * KB, false],
  ["export { createResNet, trainClassifier, gradCam } from 'tfjs-medkit/vision'", 120 * KB, false],
  // the training kernels and their SIMD loops (90.3 KB with a convolution and its pooling fused)
  ["export { registerTrainingKernels } from 'tfjs-medkit'", 93 * KB, false],
  ["export { sigmoidFocalLoss } from 'tfjs-medkit/losses'", 14 * KB, false],
  ["export { rocAuc } from 'tfjs-medkit/metrics'", 16 * KB, false],
];

// the chunk of dist/ that defines the dictionary (others import its name)
const dictionary = readdirSync(join(root, 'dist'))
  .filter((f) => f.endsWith('.js'))
  .find((f) =>
    /\b(?:var|let|const) DICOM_DICTIONARY\s*=/.test(readFileSync(join(root, 'dist', f), 'utf8')),
  );
if (!dictionary) throw new Error('check-sizes: no chunk of dist/ holds the DICOM dictionary');

let failures = 0;
for (const [code, budget, dictionaryAllowed] of BUDGETS) {
  const out = await build({
    stdin: { contents: code, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    external: ['@tensorflow/*'],
    logLevel: 'error',
  });
  const size = out.outputFiles.reduce((n, f) => n + f.contents.length, 0);
  const inputs = Object.keys(Object.values(out.metafile.outputs)[0].inputs);
  const hasDictionary = inputs.some((i) => i.endsWith(`dist/${dictionary}`));
  const ok = size <= budget && (dictionaryAllowed || !hasDictionary);
  if (!ok) failures++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${code}: ${(size / KB).toFixed(1)} KB of ${budget / KB} KB` +
      (hasDictionary ? ' (with the DICOM dictionary)' : '') +
      (!dictionaryAllowed && hasDictionary ? ': the dictionary must stay out' : ''),
  );
}
console.log(failures === 0 ? 'sizes within budget' : `sizes: ${failures} over budget`);
process.exit(failures === 0 ? 0 : 1);
