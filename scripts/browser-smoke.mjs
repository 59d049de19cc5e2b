#!/usr/bin/env node
/**
 * The browser side of the image readers, in a real Chromium: bundles a page script with esbuild
 * (tfjs-core, the cpu backend and the built `tfjs-medkit/vision`), opens it headless through
 * playwright-core, and checks that `imageFromPixels` reads a loaded `<img>` and an
 * `ImageBitmap` (an RGB PNG: a canvas premultiplies alpha, so a translucent pixel's colour comes
 * back rounded there), and that `readImage` and `readDicom` (uncompressed and 8-bit JPEG baseline)
 * read bytes there (deflated DICOM and `.nii.gz` too), against the values Node reads from the
 * same files; that BGZF and multi-member gzip VCFs read whole through `readVcf` and
 * `readVcfBlocks` (scripts/smoke/vcf-checks.mjs); that `saveModel`/`loadModel` round-trip a
 * compiled model through `indexeddb://` (weights, loss options, optimizer state: training
 * resumes identically); and that the cpu
 * backend's training kernels (`registerTrainingKernels`: convolutions and products as WebAssembly
 * SIMD on a private heap, compiled synchronously on the page's main thread) give Node's numbers
 * for a convolution, its gradients and a dense layer.
 *
 *   npm run build && node scripts/browser-smoke.mjs [--chromium /usr/bin/chromium]
 *
 * Needs Chromium (Debian: apt-get install chromium); not part of `npm test` (CI has no browser).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { chromium } from 'playwright-core';
import { createLoss, registerTrainingKernels } from 'tfjs-medkit';
import { saveModel as saveToFolder } from 'tfjs-medkit/node';
import { deidentifyDicom, readDicom, readImage, readNifti } from 'tfjs-medkit/vision';
import { bundlePage, servePage } from './smoke/page-runner.mjs';
import { vcfCases } from './smoke/vcf-cases.mjs';

const { values: args } = parseArgs({
  options: { chromium: { type: 'string', default: '/usr/bin/chromium' } },
});
const root = resolve(import.meta.dirname, '..');
const fixture = (p) => new Uint8Array(readFileSync(join(root, 'tests/fixtures', p)));
const files = {
  png: fixture('images/rgba8.png'),
  rgb: fixture('images/rgb8.png'),
  jpeg: fixture('images/grey.jpg'),
  dicom: fixture('dicom/MR_small.dcm'),
  dicomJpeg: fixture('dicom/MR_small_jpeg_baseline_8bit.dcm'),
  dicomDeflated: fixture('dicom/image_dfl.dcm'),
  niftiGz: fixture('nifti/int16_scaled_sform.nii.gz'),
  ...vcfCases(),
};

// what Node reads, to compare with
await tf.setBackend('cpu');
const summary = async (t) => {
  const v = await t.data();
  let sum = 0;
  for (const x of v) sum += x;
  return { shape: t.shape, sum, first: Array.from(v.slice(0, 6)) };
};
const expected = {
  png: await summary((await readImage(files.png)).image),
  rgb: await summary((await readImage(files.rgb)).image),
  rgbGrey: await summary((await readImage(files.rgb, { channels: 'grey' })).image),
  jpeg: await summary((await readImage(files.jpeg)).image),
  dicom: await summary((await readDicom(files.dicom)).image),
  dicomJpeg: await summary((await readDicom(files.dicomJpeg)).image),
  dicomDeflated: await summary((await readDicom(files.dicomDeflated)).image),
  niftiGz: await summary((await readNifti(files.niftiGz)).volume),
};
// de-identification: the same key gives the same file (UIDs through WebCrypto's HMAC, deflate)
const sha256 = async (b) => Buffer.from(await crypto.subtle.digest('SHA-256', b)).toString('hex');
expected.deid = {
  dicom: await sha256((await deidentifyDicom(files.dicom, { uidKey: 'smoke' })).bytes),
  dicomDeflated: await sha256(
    (await deidentifyDicom(files.dicomDeflated, { uidKey: 'smoke' })).bytes,
  ),
};

// a convolution, its two gradients and a dense layer on cpu with the library's kernels, from
// deterministic values (the same script runs in the page)
const KERNELS = `
  const values = (n, k) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * k) * 0.5);
  const x = tf.tensor4d(values(2 * 9 * 11 * 3, 0.7), [2, 9, 11, 3]);
  const w = tf.tensor4d(values(3 * 3 * 3 * 16, 1.3), [3, 3, 3, 16]);
  const d = tf.tensor2d(values(9 * 11 * 16 * 24, 0.3), [9 * 11 * 16, 24]);
  const f = (a, b) => tf.sum(tf.square(tf.conv2d(a, b, 1, 'same')));
  const [gx, gw] = tf.grads(f)([x, w]);
  const y = tf.conv2d(x, w, 1, 'same');
  const dense = tf.relu(tf.matMul(tf.reshape(y, [2, -1]), d));
  const kernels = { y, gx, gw, dense };
`;
registerTrainingKernels();
const kernelValues = new Function('tf', `${KERNELS} return kernels;`)(tf);
for (const [k, t] of Object.entries(kernelValues)) expected[`kernels.${k}`] = await summary(t);

// a model saved to a folder by tfjs-medkit/node, served over http for the page's loadModel
const modelDir = mkdtempSync(join(tmpdir(), 'medkit-served-model-'));
const PROBE = Array.from({ length: 10 }, (_, i) => Math.cos(i));
{
  const served = tfl.sequential({
    layers: [
      tfl.layers.dense({
        units: 3,
        inputShape: [5],
        kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }),
      }),
    ],
  });
  served.compile({
    optimizer: tf.train.adam(0.01),
    loss: createLoss('softmaxCrossEntropy', { labelSmoothing: 0.2 }),
  });
  await saveToFolder(served, modelDir);
  expected.served = Array.from(served.predict(tf.tensor2d(PROBE, [2, 5])).dataSync());
}

const dir = mkdtempSync(join(tmpdir(), 'medkit-browser-'));
const entry = join(dir, 'page.mjs');
writeFileSync(
  entry,
  `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { createLoss, loadModel, readVcf, readVcfBlocks, registerTrainingKernels, saveModel } from 'tfjs-medkit';
import { deidentifyDicom, imageFromPixels, readDicom, readImage, readNifti } from 'tfjs-medkit/vision';
import { vcfChecks } from ${JSON.stringify(join(root, 'scripts/smoke/vcf-checks.mjs'))};
const summary = async (t) => {
  const v = await t.data();
  let sum = 0;
  for (const x of v) sum += x;
  const out = { shape: t.shape, sum, first: Array.from(v.slice(0, 6)) };
  t.dispose();
  return out;
};
/** saveModel to IndexedDB and loadModel back: weights, loss options, optimizer state, resumed training. */
async function indexedDbRoundTrip() {
  const dense = (units, name, seed) =>
    tfl.layers.dense({ units, name, kernelInitializer: tfl.initializers.glorotUniform({ seed }) });
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: 4, inputShape: [5], activation: 'relu', kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }), dense(3, 'logits', 2)],
  });
  const loss = createLoss('softmaxCrossEntropy', { labelSmoothing: 0.1, classWeights: [1, 2, 3] });
  model.compile({ optimizer: tf.train.adam(0.01), loss });
  const x = tf.tensor2d(Array.from({ length: 40 }, (_, i) => Math.sin(i * 0.7)), [8, 5]);
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1], 'int32'), 3));
  const fit = (m) => m.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
  await fit(model);
  await fit(model);
  const info = await saveModel(model, 'indexeddb://medkit-smoke');
  const loaded = await loadModel('indexeddb://medkit-smoke');
  const weights = (m) => JSON.stringify(m.getWeights().map((w) => Array.from(w.dataSync())));
  const same = weights(loaded) === weights(model);
  const lossOptions = JSON.stringify(loaded.loss.config) === JSON.stringify(loss.config);
  await fit(model);
  await fit(loaded);
  const resumed = weights(loaded) === weights(model);
  const listed = Object.keys(await tf.io.listModels()).includes('indexeddb://medkit-smoke');
  await tf.io.removeModel('indexeddb://medkit-smoke');
  tf.dispose([x, y]);
  model.dispose();
  loaded.dispose();
  model.optimizer.dispose();
  loaded.optimizer.dispose();
  return { saved: info.optimizerSaved && info.trainingConfigSaved, listed, same, lossOptions, resumed };
}
window.run = async (files) => {
  await tf.setBackend('cpu');
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const img = new Image();
  img.src = 'data:image/png;base64,' + files.rgb;
  await img.decode();
  const bitmap = await createImageBitmap(img);
  return {
    element: await summary((await imageFromPixels(img, { channels: 'rgb' })).image),
    elementGrey: await summary((await imageFromPixels(img, { channels: 'grey' })).image),
    bitmap: await summary((await imageFromPixels(bitmap, { channels: 'rgb' })).image),
    png: await summary((await readImage(bytes(files.png))).image),
    jpeg: await summary((await readImage(bytes(files.jpeg))).image),
    dicom: await summary((await readDicom(bytes(files.dicom))).image),
    dicomJpeg: await summary((await readDicom(bytes(files.dicomJpeg))).image),
    dicomDeflated: await summary((await readDicom(bytes(files.dicomDeflated))).image),
    niftiGz: await summary((await readNifti(bytes(files.niftiGz))).volume),
    indexedDb: await indexedDbRoundTrip(),
    deid: await (async () => {
      const hex = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');
      return {
        dicom: await hex((await deidentifyDicom(bytes(files.dicom), { uidKey: 'smoke' })).bytes),
        dicomDeflated: await hex((await deidentifyDicom(bytes(files.dicomDeflated), { uidKey: 'smoke' })).bytes),
      };
    })(),
    served: await (async () => {
      const model = await loadModel(location.origin + '/files/model.json');
      const probe = tf.tensor2d(${JSON.stringify(PROBE)}, [2, 5]);
      const out = model.predict(probe);
      const result = { prediction: Array.from(await out.data()), loss: model.loss.config };
      tf.dispose([probe, out]);
      model.dispose();
      model.optimizer?.dispose();
      return result;
    })(),
    vcf: await vcfChecks(
      { readVcf, readVcfBlocks },
      { text: bytes(files.text), bgzf: bytes(files.bgzf), members: bytes(files.members) },
    ),
    kernels: await (async () => {
      registerTrainingKernels();
      const out = {};
      tf.tidy(() => {
        ${KERNELS}
        Object.assign(out, kernels);
        for (const t of Object.values(kernels)) tf.keep(t);
      });
      for (const [k, t] of Object.entries(out)) out[k] = await summary(t);
      return out;
    })(),
    tensors: tf.memory().numTensors,
  };
};
`,
);
const script = await bundlePage(entry, root);
rmSync(dir, { recursive: true, force: true });

// served from http://127.0.0.1: IndexedDB needs an origin (about:blank has none); the model
// saved in Node is served beside the page
const server = await servePage(
  script,
  Object.fromEntries(
    ['model.json', 'weights.bin', 'optimizer.bin'].map((f) => [f, join(modelDir, f)]),
  ),
);
const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });
let failures = 0;
try {
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(server.base);
  await page.waitForFunction(() => typeof window.run === 'function');
  const b64 = Object.fromEntries(
    Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  );
  const got = await page.evaluate((f) => window.run(f), b64);
  /** Same shape, sums within `rtol`, first values equal (or within `rtol` of their size). */
  const check = (name, a, b, rtol = 0) => {
    const ok =
      JSON.stringify(a.shape) === JSON.stringify(b.shape) &&
      Math.abs(a.sum - b.sum) <= Math.max(1e-6, rtol) * Math.max(1, Math.abs(b.sum)) &&
      a.first.every((x, i) => Math.abs(x - b.first[i]) <= rtol * Math.max(1, Math.abs(b.first[i])));
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} ${name}: [${a.shape}] sum ${a.sum}`);
  };
  check("imageFromPixels(<img>, { channels: 'rgb' })", got.element, expected.rgb);
  check("imageFromPixels(<img>, { channels: 'grey' })", got.elementGrey, expected.rgbGrey);
  check("imageFromPixels(ImageBitmap, { channels: 'rgb' })", got.bitmap, expected.rgb);
  check('readImage(PNG bytes)', got.png, expected.png);
  check('readImage(JPEG bytes)', got.jpeg, expected.jpeg);
  check('readDicom(uncompressed)', got.dicom, expected.dicom);
  check('readDicom(JPEG baseline)', got.dicomJpeg, expected.dicomJpeg);
  check('readDicom(deflated)', got.dicomDeflated, expected.dicomDeflated);
  check('readNifti(.nii.gz)', got.niftiGz, expected.niftiGz);
  for (const k of ['dicom', 'dicomDeflated']) {
    const same = got.deid[k] === expected.deid[k];
    if (!same) failures++;
    console.log(`${same ? 'ok  ' : 'FAIL'} deidentifyDicom(${k}): the same file as in Node`);
  }
  const servedOk =
    JSON.stringify(got.served.prediction) === JSON.stringify(expected.served) &&
    got.served.loss?.options?.labelSmoothing === 0.2;
  if (!servedOk) failures++;
  console.log(
    `${servedOk ? 'ok  ' : 'FAIL'} loadModel(http://…/model.json) of a folder saved in Node: same predictions, loss options kept`,
  );
  for (const [name, ok] of Object.entries(got.indexedDb)) {
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} saveModel/loadModel through indexeddb://: ${name}`);
  }
  for (const [name, actual, wanted] of got.vcf) {
    const ok = JSON.stringify(actual) === JSON.stringify(wanted);
    if (!ok) failures++;
    console.log(`${ok ? 'ok  ' : 'FAIL'} VCF ${name}: ${JSON.stringify(actual)}`);
  }
  // Chromium has relaxed SIMD, the Node running this may not: its products round the fused
  // way (within 2K·2⁻²⁴·Σ|ab| of the plain ones), so the kernels agree to 1e-4, not bit for bit
  for (const k of Object.keys(got.kernels))
    check(`cpu training kernels: ${k}`, got.kernels[k], expected[`kernels.${k}`], 1e-4);
  if (got.tensors !== 0) failures++;
  console.log(`${got.tensors === 0 ? 'ok  ' : 'FAIL'} tensors left in the page: ${got.tensors}`);
} finally {
  await browser.close();
  server.close();
  rmSync(modelDir, { recursive: true, force: true });
}
console.log(failures === 0 ? 'browser smoke passed' : `browser smoke: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
