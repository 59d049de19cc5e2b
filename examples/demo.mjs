#!/usr/bin/env node
/**
 * tfjs-medkit end-to-end demo (the README's main job): diagnosing malignant tumours from
 * fine-needle-aspirate image features (UCI Breast Cancer Wisconsin, bundled in examples/data).
 *
 * It trains the same small network three ways on a seeded, stratified 80/20 split — plain
 * sigmoid cross-entropy, with scikit-learn-style 'balanced' class weights, and with focal loss —
 * reports sensitivity, specificity and accuracy on the held-out tumours, then saves the best model
 * to disk and loads it back with its loss and optimizer intact.
 *
 *   node examples/demo.mjs [--backend cpu|wasm] [--epochs 40]
 *
 * Runs against the built package (`npm run build` first; `npm run demo` does both).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { computeClassWeights, createLoss, ProgressClock, Random } from 'tfjs-medkit';
import { loadModel, saveModel, terminalProgress } from 'tfjs-medkit/node';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'cpu' },
    epochs: { type: 'string', default: '40' },
  },
});
const EPOCHS = Number(args.epochs);
const BATCH = 32;
const SEED = 2026;
await tf.setBackend(args.backend);
await tf.ready();

// --- data: 569 tumours × 30 features; positive class = malignant (label 0 in the file) ---
const text = await readFile(new URL('./data/breast_cancer.csv', import.meta.url), 'utf8');
const rows = text
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',').map(Number));
const features = rows.map((r) => r.slice(0, -1));
const malignant = rows.map((r) => (r.at(-1) === 0 ? 1 : 0));

// seeded stratified split: 20% of each class held out
const rng = new Random(SEED);
const byClass = [0, 1].map((c) => rng.shuffle(malignant.flatMap((y, i) => (y === c ? [i] : []))));
const testIdx = byClass.flatMap((idx) => idx.slice(0, Math.round(idx.length * 0.2)));
const trainIdx = rng.shuffle(byClass.flatMap((idx) => idx.slice(Math.round(idx.length * 0.2))));

// standardise with the training split's statistics only
const dims = features[0].length;
const mean = Array.from(
  { length: dims },
  (_, j) => trainIdx.reduce((a, i) => a + features[i][j], 0) / trainIdx.length,
);
const std = Array.from({ length: dims }, (_, j) =>
  Math.sqrt(trainIdx.reduce((a, i) => a + (features[i][j] - mean[j]) ** 2, 0) / trainIdx.length),
);
const matrix = (idx) =>
  tf.tensor2d(idx.map((i) => features[i].map((v, j) => (v - mean[j]) / std[j])));
const labels = (idx) => tf.tensor1d(idx.map((i) => malignant[i]));
const [xTrain, yTrain, xTest, yTest] = [
  matrix(trainIdx),
  labels(trainIdx),
  matrix(testIdx),
  labels(testIdx),
];
const positives = trainIdx.filter((i) => malignant[i] === 1).length;
console.log(
  `Breast Cancer Wisconsin: ${trainIdx.length} training tumours (${positives} malignant), ${testIdx.length} held out; backend ${tf.getBackend()}`,
);

// --- the network: 30 → 16 (relu) → 1 logit, seeded initialisers ---
function makeModel(seed) {
  const r = new Random(seed);
  return tfl.sequential({
    layers: [
      tfl.layers.dense({
        inputShape: [dims],
        units: 16,
        activation: 'relu',
        kernelInitializer: tfl.initializers.glorotUniform({ seed: r.tfSeed() }),
      }),
      tfl.layers.dense({
        units: 1,
        kernelInitializer: tfl.initializers.glorotUniform({ seed: r.tfSeed() }),
      }),
    ],
  });
}

/** tfjs-layers callbacks → the library's typed progress events and terminal bar. */
function progressCallbacks(label) {
  const report = terminalProgress();
  const steps = Math.ceil(trainIdx.length / BATCH);
  const clock = new ProgressClock(label, EPOCHS, steps);
  let epoch = 0;
  return {
    onEpochBegin: async (e) => {
      epoch = e + 1;
    },
    onBatchEnd: async (batch, logs) =>
      report(clock.event('stepEnd', { epoch, step: batch + 1, loss: logs.loss })),
    onEpochEnd: async (_e, logs) =>
      report(clock.event('epochEnd', { epoch, step: steps, loss: logs.loss })),
  };
}

function evaluate(model) {
  const logits = tf.tidy(() => tf.reshape(model.predict(xTest), [-1]));
  const scores = logits.dataSync();
  const truth = yTest.dataSync();
  let tp = 0,
    tn = 0,
    fp = 0,
    fn = 0;
  scores.forEach((s, i) => {
    const pred = s > 0 ? 1 : 0;
    if (pred === 1 && truth[i] === 1) tp++;
    else if (pred === 0 && truth[i] === 0) tn++;
    else if (pred === 1) fp++;
    else fn++;
  });
  const lossValue = createLoss('sigmoidCrossEntropy')(yTest, logits).dataSync()[0];
  logits.dispose();
  return {
    sensitivity: tp / (tp + fn),
    specificity: tn / (tn + fp),
    accuracy: (tp + tn) / truth.length,
    testLoss: lossValue,
  };
}

const classWeights = computeClassWeights(yTrain, 'balanced', { numClasses: 2 });
const variants = [
  ['sigmoid cross-entropy', createLoss('sigmoidCrossEntropy')],
  [
    `+ balanced class weights [${classWeights.map((w) => w.toFixed(3)).join(', ')}]`,
    createLoss('sigmoidCrossEntropy', { classWeights }),
  ],
  ['focal loss (α 0.5, γ 2)', createLoss('sigmoidFocalLoss', { alpha: 0.5, gamma: 2 })],
];
const results = [];
let best;
for (const [name, loss] of variants) {
  const model = makeModel(SEED);
  model.compile({ optimizer: tf.train.adam(3e-3), loss });
  const started = performance.now();
  await model.fit(xTrain, tf.reshape(yTrain, [-1, 1]), {
    epochs: EPOCHS,
    batchSize: BATCH,
    shuffle: false, // the split above was shuffled with the library's seeded generator
    verbose: 0,
    callbacks: progressCallbacks(name.split(' ')[0]),
  });
  const metrics = { name, ...evaluate(model), seconds: (performance.now() - started) / 1000 };
  results.push(metrics);
  if (
    !best ||
    metrics.sensitivity + metrics.specificity > best.metrics.sensitivity + best.metrics.specificity
  ) {
    best?.model.dispose();
    best = { model, metrics };
  } else model.dispose();
}

console.log('\nheld-out tumours (malignant = positive)');
console.log(
  'loss                                          sensitivity  specificity  accuracy  test loss  train s',
);
for (const r of results) {
  console.log(
    `${r.name.padEnd(46)}${r.sensitivity.toFixed(3).padStart(11)}${r.specificity.toFixed(3).padStart(13)}${r.accuracy.toFixed(3).padStart(10)}${r.testLoss.toFixed(4).padStart(11)}${r.seconds.toFixed(1).padStart(9)}`,
  );
}

// --- save the best model, load it back: same predictions, same loss and optimizer ---
const dir = await mkdtemp(join(tmpdir(), 'medkit-demo-'));
try {
  const saved = await saveModel(best.model, dir);
  const loaded = await loadModel(dir);
  const same = tf.tidy(
    () => tf.max(tf.abs(tf.sub(best.model.predict(xTest), loaded.predict(xTest)))).dataSync()[0],
  );
  console.log(
    `\nsaved "${best.metrics.name}" to ${dir}: ${saved.files.join(', ')}; reloaded with loss ${loaded.loss.config.name} ${JSON.stringify(loaded.loss.config.options)}, optimizer ${loaded.optimizer.getClassName()}; max |Δ prediction| = ${same}`,
  );
  loaded.dispose();
} finally {
  await rm(dir, { recursive: true, force: true });
}
best.model.dispose();
tf.dispose([xTrain, yTrain, xTest, yTest]);
