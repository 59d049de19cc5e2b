#!/usr/bin/env node
/**
 * Differentially private training (DP-SGD) and what it costs in accuracy, measured: the breast
 * cancer network (30 → 16 → 2, UCI Breast Cancer Wisconsin) and the simple CNN on the 8×8 digits,
 * each trained without privacy and with (ε, δ = 1e-5)-DP for ε ∈ {1, 3, 8}, on the same seeded
 * split, with the same epochs and batch size; held-out accuracy and ROC AUC (one-vs-rest macro for
 * the ten digits), each a mean over three seeds. docs/privacy.md quotes its table.
 *
 *   node examples/private-training.mjs [--backend wasm|cpu] [--seeds 3]
 *
 * Runs against the built package (`npm run build` first).
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { Random, registerTrainingKernels, splitIndices } from 'tfjs-medkit';
import { rocAuc } from 'tfjs-medkit/metrics';
import { createSimpleCnn, trainClassifier } from 'tfjs-medkit/vision';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    seeds: { type: 'string', default: '3' },
  },
});
registerTrainingKernels();
await tf.setBackend(args.backend);
await tf.ready();
const SEEDS = Array.from({ length: Number(args.seeds) }, (_, i) => 2026 + i);
const EPSILONS = [1, 3, 8];
const DELTA = 1e-5;

async function breastCancer() {
  const text = await readFile(new URL('./data/breast_cancer.csv', import.meta.url), 'utf8');
  const rows = text
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
  const features = rows.map((r) => r.slice(0, -1));
  const labels = rows.map((r) => (r.at(-1) === 0 ? 1 : 0)); // malignant = 1
  const { train, test } = splitIndices(labels, { testSize: 0.2, seed: 2026 });
  const dims = features[0].length;
  const mean = Array.from(
    { length: dims },
    (_, j) => train.reduce((a, i) => a + features[i][j], 0) / train.length,
  );
  const std = Array.from({ length: dims }, (_, j) =>
    Math.sqrt(train.reduce((a, i) => a + (features[i][j] - mean[j]) ** 2, 0) / train.length),
  );
  const x = (idx) => tf.tensor2d(idx.map((i) => features[i].map((v, j) => (v - mean[j]) / std[j])));
  return {
    name: 'breast cancer (30 → 16 → 2)',
    x: x(train),
    y: train.map((i) => labels[i]),
    xTest: x(test),
    yTest: test.map((i) => labels[i]),
    model: (seed) => {
      const r = new Random(seed);
      return tfl.sequential({
        layers: [
          tfl.layers.dense({
            inputShape: [dims],
            units: 16,
            activation: 'relu',
            kernelInitializer: tfl.initializers.heNormal({ seed: r.tfSeed() }),
          }),
          tfl.layers.dense({
            units: 2,
            kernelInitializer: tfl.initializers.glorotUniform({ seed: r.tfSeed() }),
          }),
        ],
      });
    },
    train: { epochs: 30, batchSize: 32, learningRate: 0.01 },
    privacy: { maxGradNorm: 1 },
  };
}

async function digits() {
  const gz = await readFile(new URL('./data/digits_8x8.csv.gz', import.meta.url));
  const rows = gunzipSync(gz)
    .toString()
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(',').map(Number));
  const labels = rows.map((r) => r[64]);
  const { train, test } = splitIndices(labels, { testSize: 0.2, seed: 2026 });
  const x = (idx) =>
    tf.tensor4d(
      idx.flatMap((i) => rows[i].slice(0, 64).map((v) => v / 16)),
      [idx.length, 8, 8, 1],
    );
  return {
    name: 'digits 8×8 (simple CNN)',
    x: x(train),
    y: train.map((i) => labels[i]),
    xTest: x(test),
    yTest: test.map((i) => labels[i]),
    model: (seed) =>
      createSimpleCnn({
        inputShape: [8, 8, 1],
        numClasses: 10,
        filters: [16, 32],
        denseUnits: 64,
        seed,
      }),
    train: { epochs: 20, batchSize: 64, learningRate: 0.003 },
    privacy: { maxGradNorm: 1 },
  };
}

async function evaluate(model, task) {
  const probs = tf.tidy(() => tf.softmax(model.predict(task.xTest)));
  const p = await probs.array();
  probs.dispose();
  const k = p[0].length;
  const accuracy =
    p.filter((row, i) => row.indexOf(Math.max(...row)) === task.yTest[i]).length / p.length;
  const auc =
    k === 2
      ? rocAuc(
          task.yTest,
          p.map((r) => r[1]),
        )
      : rocAuc(task.yTest, p);
  return { accuracy, auc };
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
console.log(
  `backend ${tf.getBackend()}, Node ${process.versions.node}; seeds ${SEEDS.join(', ')}; δ = ${DELTA}`,
);
for (const task of [await breastCancer(), await digits()]) {
  console.log(
    `\n${task.name}: ${task.y.length} training examples, ${task.yTest.length} held out; ${task.train.epochs} epochs, batch ${task.train.batchSize}, Adam ${task.train.learningRate}`,
  );
  console.log('privacy          σ       accuracy   ROC AUC    time/run');
  for (const eps of [null, ...EPSILONS]) {
    const runs = [];
    let sigma = 0;
    let seconds = 0;
    for (const seed of SEEDS) {
      const model = task.model(seed);
      const t0 = performance.now();
      const r = await trainClassifier(
        model,
        { x: task.x, y: task.y },
        {
          ...task.train,
          seed,
          ...(eps === null
            ? {}
            : { privacy: { ...task.privacy, targetEpsilon: eps, delta: DELTA } }),
        },
      );
      seconds += (performance.now() - t0) / 1000;
      if (r.privacy) sigma = r.privacy.noiseMultiplier;
      runs.push(await evaluate(model, task));
      model.dispose();
    }
    const label = eps === null ? 'none' : `ε = ${eps}`;
    console.log(
      `${label.padEnd(14)} ${eps === null ? '–     ' : sigma.toFixed(3)}   ${mean(runs.map((r) => r.accuracy)).toFixed(3)}      ${mean(runs.map((r) => r.auc)).toFixed(3)}      ${(seconds / SEEDS.length).toFixed(1)} s`,
    );
  }
  tf.dispose([task.x, task.xTest]);
}
