/**
 * Part 3 of the demo: image classification end to end with tfjs-medkit/vision, on real scanned
 * images (the UCI 8×8 digits, bundled in examples/data, standing in for small image patches).
 *
 * A seeded stratified split; createSimpleCnn; trainClassifier with a grouped-free stratified
 * validation split, cosine learning-rate schedule, early stopping and the terminal progress bar;
 * then the figures clinicians read (per-class sensitivity and specificity, balanced accuracy,
 * one-vs-rest ROC AUC with a bootstrap 95% CI, calibration error), a Grad-CAM heatmap of one
 * held-out image printed as text, and a save/load round trip.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { splitIndices } from 'tfjs-medkit';
import {
  bootstrapCi,
  classificationReport,
  expectedCalibrationError,
  rocAuc,
} from 'tfjs-medkit/metrics';
import { loadModel, saveModel, terminalProgress } from 'tfjs-medkit/node';
import { createSimpleCnn, gradCam, trainClassifier } from 'tfjs-medkit/vision';

const SHADES = ' .:-=+*#%@';
const shade = (v) => SHADES[Math.min(SHADES.length - 1, Math.floor(v * SHADES.length))];

/**
 * Runs part 3 on the active backend.
 *
 * @param {{ epochs?: number, seed?: number }} options
 */
export async function imageDiagnosisDemo({ epochs = 12, seed = 2026 } = {}) {
  const gz = await readFile(new URL('./data/digits_8x8.csv.gz', import.meta.url));
  const rows = gunzipSync(gz)
    .toString()
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
  const labels = rows.map((r) => r[64]);
  const { train, test } = splitIndices(labels, { testSize: 0.2, seed });
  const images = (idx) =>
    tf.tensor4d(
      idx.flatMap((i) => rows[i].slice(0, 64).map((v) => v / 16)),
      [idx.length, 8, 8, 1],
    );
  const x = images(train);
  const y = tf.tensor1d(
    train.map((i) => labels[i]),
    'int32',
  );
  const xTest = images(test);
  const yTest = test.map((i) => labels[i]);
  console.log(
    `\nImages: ${rows.length} real 8×8 scans, 10 classes; ${train.length} for training (10% of them for validation), ${test.length} held out`,
  );

  const model = createSimpleCnn({ inputShape: [8, 8, 1], numClasses: 10, seed });
  const started = performance.now();
  const result = await trainClassifier(
    model,
    { x, y },
    {
      epochs,
      batchSize: 32,
      seed,
      validationSplit: 0.1,
      schedule: 'cosine',
      earlyStopping: { monitor: 'valLoss', patience: 4 },
      onProgress: terminalProgress(),
    },
  );
  const seconds = (performance.now() - started) / 1000;
  const last = result.epochs - 1;
  console.log(
    `trained ${result.epochs} epochs in ${seconds.toFixed(1)} s (${result.stopReason}); validation accuracy ${result.history.valAccuracy[last].toFixed(4)}, AUC ${result.history.valAuc[last].toFixed(4)}`,
  );

  // --- the held-out images: the figures clinicians read ---
  const probsT = tf.tidy(() => tf.softmax(model.predict(xTest)));
  const flat = await probsT.data();
  probsT.dispose();
  const probs = yTest.map((_, i) => Array.from(flat.subarray(i * 10, (i + 1) * 10)));
  const predicted = probs.map((p) => p.indexOf(Math.max(...p)));
  const report = classificationReport(yTest, predicted);
  const auc = rocAuc(yTest, probs);
  const ci = bootstrapCi(rocAuc, yTest, probs, { nResamples: 200, seed });
  const ece = expectedCalibrationError(yTest, probs);
  console.log('\nheld-out images');
  console.log(
    `  accuracy ${report.accuracy.toFixed(4)}, balanced accuracy ${report.balancedAccuracy.toFixed(4)}`,
  );
  console.log(
    `  macro sensitivity ${report.macro.sensitivity.toFixed(4)}, macro specificity ${report.macro.specificity.toFixed(4)}, macro F1 ${report.macro.f1.toFixed(4)}`,
  );
  console.log(
    `  ROC AUC (one-vs-rest, macro) ${auc.toFixed(4)} (95% bootstrap CI ${ci.lower.toFixed(4)}–${ci.upper.toFixed(4)}), expected calibration error ${ece.toFixed(4)}`,
  );
  console.log(`  class        ${report.labels.map((c) => String(c).padStart(6)).join('')}`);
  console.log(`  sensitivity  ${report.sensitivity.map((v) => v.toFixed(3).padStart(6)).join('')}`);
  console.log(`  specificity  ${report.specificity.map((v) => v.toFixed(3).padStart(6)).join('')}`);

  // --- why: Grad-CAM of one held-out image ---
  const k = yTest.findIndex((c, i) => c === 3 && predicted[i] === 3);
  const image = tf.tidy(() => tf.squeeze(tf.slice(xTest, [k, 0, 0, 0], [1, -1, -1, -1]), [0]));
  const heat = await gradCam(model, image);
  const [pix, hv] = await Promise.all([image.data(), heat.data()]);
  console.log(
    `\nGrad-CAM of held-out image #${k} (a 3, predicted ${predicted[k]}): image | heatmap`,
  );
  for (let r = 0; r < 8; r++) {
    let left = '';
    let right = '';
    for (let c = 0; c < 8; c++) {
      left += shade(pix[r * 8 + c]).repeat(2);
      right += shade(hv[r * 8 + c]).repeat(2);
    }
    console.log(`  ${left} | ${right}`);
  }
  tf.dispose([image, heat]);

  // --- save and load back: the same predictions ---
  const dir = await mkdtemp(join(tmpdir(), 'medkit-vision-demo-'));
  try {
    await saveModel(model, dir);
    const loaded = await loadModel(dir);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(xTest), loaded.predict(xTest)))));
    console.log(
      `\nsaved the classifier to ${dir} and loaded it back: max |Δ logit| = ${(await diff.data())[0]}`,
    );
    tf.dispose([diff]);
    loaded.dispose();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  tf.dispose([x, y, xTest]);
  model.dispose();
}
