#!/usr/bin/env node
/**
 * Part 1 of the demo: diagnosing malignant tumours from fine-needle-aspirate image features
 * (UCI Breast Cancer Wisconsin, bundled in examples/data).
 *
 * It trains the same small network three ways on a seeded, stratified 80/20 split — plain
 * sigmoid cross-entropy, with scikit-learn-style 'balanced' class weights, and with focal loss —
 * reports sensitivity, specificity, accuracy and ROC AUC on the held-out tumours, then saves the
 * best model to disk and loads it back with its loss and optimizer intact.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { computeClassWeights, createLoss, ProgressClock, Random, splitIndices } from 'tfjs-medkit';
import { accuracy, rocAuc, rocCurve, sensitivity, specificity } from 'tfjs-medkit/metrics';
import { loadModel, saveModel, terminalProgress } from 'tfjs-medkit/node';
import { rocChart } from './report/charts.mjs';
import { figure } from './report/html.mjs';

/**
 * Runs part 1 on the active backend; returns the report section (numbers marked with `show`).
 *
 * @param {{ epochs?: number, show?: Function }} options
 */
export async function breastCancerDemo({ epochs = 40, show = (_k, v) => String(v) } = {}) {
  const EPOCHS = epochs;
  const BATCH = 32;
  const SEED = 2026;

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
  const split = splitIndices(malignant, { testSize: 0.2, seed: SEED });
  const testIdx = split.test;
  const trainIdx = new Random(SEED).shuffle(split.train);

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
    const scores = Array.from(logits.dataSync());
    const truth = testIdx.map((i) => malignant[i]);
    const predicted = scores.map((s) => (s > 0 ? 1 : 0));
    const lossValue = createLoss('sigmoidCrossEntropy')(yTest, logits).dataSync()[0];
    logits.dispose();
    return {
      sensitivity: sensitivity(truth, predicted),
      specificity: specificity(truth, predicted),
      accuracy: accuracy(truth, predicted),
      auc: rocAuc(truth, scores),
      curve: rocCurve(truth, scores),
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
      metrics.sensitivity + metrics.specificity >
        best.metrics.sensitivity + best.metrics.specificity
    ) {
      best?.model.dispose();
      best = { model, metrics };
    } else model.dispose();
  }

  console.log('\nheld-out tumours (malignant = positive)');
  console.log(
    'loss                                          sensitivity  specificity  accuracy    AUC  test loss  train s',
  );
  for (const r of results) {
    console.log(
      `${r.name.padEnd(46)}${r.sensitivity.toFixed(3).padStart(11)}${r.specificity.toFixed(3).padStart(13)}${r.accuracy.toFixed(3).padStart(10)}${r.auc.toFixed(3).padStart(7)}${r.testLoss.toFixed(4).padStart(11)}${r.seconds.toFixed(1).padStart(9)}`,
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

  const keys = ['ce', 'balanced', 'focal'];
  const tableRows = results
    .map(
      (r, k) =>
        `<tr><td>${r.name}</td><td>${show(`tabular.${keys[k]}.sensitivity`, r.sensitivity)}</td><td>${show(`tabular.${keys[k]}.specificity`, r.specificity)}</td><td>${show(`tabular.${keys[k]}.accuracy`, r.accuracy)}</td><td>${show(`tabular.${keys[k]}.auc`, r.auc)}</td></tr>`,
    )
    .join('');
  const html = `
<p>Malignant or benign, from 30 features of digitised fine-needle aspirates (UCI Breast Cancer
Wisconsin, 569 real tumours): ${show('tabular.train', trainIdx.length, 0)} for training,
${show('tabular.test', testIdx.length, 0)} held out (stratified, seeded). The same small network
(30 → 16 → 1) trained ${EPOCHS} epochs with three losses; malignant is the positive class, and a
tumour is called malignant when p ≥ 0.5.</p>
<div class="grid">
${figure(rocChart({ title: 'ROC per loss, held-out tumours', curves: results.map((r, k) => ({ name: `${['cross-entropy', 'balanced weights', 'focal loss'][k]}, AUC ${r.auc.toFixed(3)}`, fpr: r.curve.fpr, tpr: r.curve.tpr })) }), 'Each loss trained from the same initial weights.')}
<table><tr><th>loss</th><th>sensitivity</th><th>specificity</th><th>accuracy</th><th>ROC AUC</th></tr>${tableRows}</table>
</div>`;
  return { id: 'tabular', title: 'Tabular diagnosis: three losses', html };
}
