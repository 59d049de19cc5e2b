#!/usr/bin/env node
/**
 * Does starting from a pretrained network help with little labelled data? A measured answer: a
 * CNN (createSimpleCnn, filters [16, 32], 64 dense units) is pretrained on one task (classes 0–4
 * of a data set), then learns a new task (classes 5–9) from n = 25, 50, 100, 200 and 500 labelled
 * images four ways, with the same images, 40 epochs and batch 16: from scratch (the same network
 * freshly initialised, Adam 1e-3), and from the pretrained network with a new head
 * (replaceHead): fine-tuned whole at Adam 1e-3; with the backbone at 3e-4 and the head at 10×
 * that (learningRateGroups); and as a linear probe (the backbone frozen, the head at 1e-2).
 * Each cell is the mean over the seeds (each draws its own n images, stratified, and initialises
 * the head or the network) with a 95% t-interval, on the same held-out images of classes 5–9.
 * docs/transfer.md quotes its tables.
 *
 *   --data digits   the bundled UCI 8×8 digits (901 source images; 537 to draw n from; 359 held out)
 *   --data fashion  Debian's Fashion-MNIST (apt-get install dataset-fashion-mnist; 12,000 source
 *                   images of T-shirts, trousers, pullovers, dresses and coats, pretrained 5
 *                   epochs; n drawn from sandals, shirts, sneakers, bags and ankle boots; 1,000
 *                   held out)
 *   --data lesions  simulated lesions in real anatomy (the demo's imaging task,
 *                   examples/lesion-detection.mjs): the source task is lesion or not in 3,000
 *                   patches of the ten b=0 brain MRI slices (pretrained 10 epochs); the target
 *                   task is the same question on other images, CT, T1 and nibabel's anatomical
 *                   slices: n drawn from 7 slices, 500 held out from 5 others (the MR slice
 *                   among them). Two classes; the network has a third convolution block.
 *
 *   node examples/transfer-learning.mjs [--data digits|fashion] [--seeds 5] [--backend wasm|cpu]
 *
 * Runs against the built package (`npm run build` first).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Random, registerTrainingKernels, splitIndices } from 'tfjs-medkit';
import { rocAuc } from 'tfjs-medkit/metrics';
import { createSimpleCnn, freeze, replaceHead, trainClassifier } from 'tfjs-medkit/vision';
import { loadSources, samplePatches } from './lesion-detection.mjs';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    seeds: { type: 'string', default: '5' },
    data: { type: 'string', default: 'digits' },
  },
});
registerTrainingKernels();
await tf.setBackend(args.backend);
await tf.ready();
const SEEDS = Array.from({ length: Number(args.seeds) }, (_, i) => 100 + i);
const SIZES = [25, 50, 100, 200, 500];
const T95 = { 2: 12.706, 3: 4.303, 4: 3.182, 5: 2.776, 6: 2.571, 8: 2.365, 10: 2.262 };

/**
 * The images and labels of a data set: the bundled 8×8 digits, or Debian's Fashion-MNIST
 * (apt-get install dataset-fashion-mnist: 70,000 28×28 images of ten kinds of clothing).
 */
async function load(name) {
  if (name === 'lesions') {
    // source: every b=0 slice; target pool and held-out: other anatomy, split by slice
    const sources = await loadSources();
    const random = new Random(2026);
    const role = (s) =>
      s.name.startsWith('brain b=0')
        ? 'source'
        : [
              'MR slice',
              'anatomical slice 13',
              'anatomical slice 14',
              'anatomical slice 15',
              'anatomical slice 16',
            ].includes(s.name)
          ? 'test'
          : 'pool';
    const count = { source: 300, pool: 120, test: 100 };
    const pixels = [];
    const labels = [];
    const roles = [];
    sources.forEach((s, g) => {
      for (const p of samplePatches(s, count[role(s)], random, g)) {
        pixels.push(Array.from(p.patch));
        labels.push(p.label);
        roles.push(role(s));
      }
    });
    return { side: 32, pixels, labels, roles, classes: 2 };
  }
  if (name === 'digits') {
    const gz = await readFile(new URL('./data/digits_8x8.csv.gz', import.meta.url));
    const rows = gunzipSync(gz)
      .toString()
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    return {
      side: 8,
      pixels: rows.map((r) => r.slice(0, 64).map((v) => v / 16)),
      labels: rows.map((r) => r[64]),
    };
  }
  const dir = '/usr/share/datasets/fashion-mnist';
  if (!existsSync(dir)) {
    console.log('Fashion-MNIST is not installed: apt-get install dataset-fashion-mnist');
    process.exit(0);
  }
  const idx = async (file) => gunzipSync(await readFile(`${dir}/${file}`));
  const pixels = [];
  const labels = [];
  for (const part of ['train', 't10k']) {
    const img = await idx(`${part}-images-idx3-ubyte.gz`);
    const lab = await idx(`${part}-labels-idx1-ubyte.gz`);
    const n = img.readUInt32BE(4);
    for (let i = 0; i < n; i++) {
      pixels.push(Array.from(img.subarray(16 + i * 784, 16 + (i + 1) * 784), (v) => v / 255));
      labels.push(lab[8 + i]);
    }
  }
  return { side: 28, pixels, labels };
}

const data = await load(args.data);
const SIDE = data.side;
const LESIONS = args.data === 'lesions';
const CLASSES = data.classes ?? 5;
// digits and Fashion-MNIST: classes 0–4 are the source task, 5–9 the target task (as 0–4)
const OFFSET = LESIONS ? 0 : 5;
const rows = data.pixels.map((p, i) => [...p, data.labels[i]]);
const LABEL = SIDE * SIDE;
const images = (idx) =>
  tf.tensor4d(
    idx.flatMap((i) => rows[i].slice(0, LABEL)),
    [idx.length, SIDE, SIDE, 1],
  );
const all = rows.map((_, i) => i);
let source;
let pool;
let test;
if (LESIONS) {
  source = all.filter((i) => data.roles[i] === 'source');
  pool = all.filter((i) => data.roles[i] === 'pool');
  test = all.filter((i) => data.roles[i] === 'test');
} else {
  // Fashion-MNIST: the source task takes at most 12,000 images, the test at most 1,000 (time)
  source = all.filter((i) => rows[i][LABEL] < 5).slice(0, 12000);
  const target = all.filter((i) => rows[i][LABEL] >= 5);
  const targetLabels = target.map((i) => rows[i][LABEL] - 5);
  const { train: poolAt, test: testAt } = splitIndices(targetLabels, {
    testSize: args.data === 'digits' ? 0.4 : 0.05,
    seed: 7,
  });
  pool = poolAt.map((k) => target[k]);
  test = testAt.map((k) => target[k]).slice(0, 1000);
}
const yTest = test.map((i) => rows[i][LABEL] - OFFSET);
const xTest = images(test);
const net = (seed) =>
  createSimpleCnn({
    inputShape: [SIDE, SIDE, 1],
    numClasses: CLASSES,
    filters: LESIONS ? [16, 32, 64] : [16, 32],
    denseUnits: 64,
    seed,
  });
const fit = { epochs: 40, batchSize: 16 };

console.log(`backend ${tf.getBackend()}, Node ${process.versions.node}`);
console.log(
  LESIONS
    ? `lesions (simulated): source task ${source.length} patches of the b=0 brain slices; target task other anatomy, a pool of ${pool.length} patches from 7 slices to draw n from, ${test.length} held out from 5 other slices`
    : `${args.data}: source task classes 0–4, ${source.length} images; target task classes 5–9, a pool of ${pool.length} to draw n from, ${test.length} held out`,
);

// pretraining, once
const pretrained = net(1);
const xs = images(source);
const t0 = performance.now();
await trainClassifier(
  pretrained,
  { x: xs, y: source.map((i) => rows[i][LABEL]) },
  { epochs: args.data === 'digits' ? 30 : LESIONS ? 10 : 5, batchSize: 32, seed: 1 },
);
xs.dispose();
const weights = pretrained.getWeights().map((w) => w.clone());
console.log(`pretrained in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

async function evaluate(model) {
  const p = tf.tidy(() => tf.softmax(model.predict(xTest)));
  const probs = await p.array();
  p.dispose();
  const accuracy =
    probs.filter((r, i) => r.indexOf(Math.max(...r)) === yTest[i]).length / probs.length;
  return { accuracy, auc: rocAuc(yTest, CLASSES === 2 ? probs.map((r) => r[1]) : probs) };
}

function sample(n, seed) {
  // stratified: n/CLASSES images of each class from the pool
  const rng = new Random(seed);
  const byClass = Array.from({ length: CLASSES }, (_, c) =>
    rng.shuffle(pool.filter((i) => rows[i][LABEL] - OFFSET === c)),
  );
  const out = [];
  for (let k = 0; out.length < n; k++)
    for (const list of byClass) if (out.length < n && k < list.length) out.push(list[k]);
  return out;
}

const stats = (v) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
  return { mean: m, half: (T95[v.length] ?? 1.96) * (sd / Math.sqrt(v.length)) };
};
const cell = (s) => `${s.mean.toFixed(3)} ± ${s.half.toFixed(3)}`;

const HEAD = 'simple_cnn_logits';
// the digits and Fashion-MNIST alike: the same four arms
const ARMS = {
  scratch: { label: 'from scratch', pretrained: false, options: { learningRate: 1e-3 } },
  whole: { label: 'fine-tuned, all at 1e-3', pretrained: true, options: { learningRate: 1e-3 } },
  groups: {
    label: 'fine-tuned, backbone 3e-4, head 3e-3',
    pretrained: true,
    options: {
      learningRate: 3e-4,
      learningRateGroups: [{ layers: { layers: [HEAD] }, multiplier: 10 }],
    },
  },
  probe: {
    label: 'linear probe (backbone frozen)',
    pretrained: true,
    freeze: true,
    options: { learningRate: 1e-2 },
  },
};
const table = {};
for (const n of SIZES) {
  table[n] = Object.fromEntries(Object.keys(ARMS).map((k) => [k, []]));
  for (const seed of SEEDS) {
    const idx = sample(n, seed);
    const x = images(idx);
    const y = idx.map((i) => rows[i][LABEL] - OFFSET);
    for (const [key, arm] of Object.entries(ARMS)) {
      let model;
      if (arm.pretrained) {
        const base = net(1);
        base.setWeights(weights);
        model = replaceHead(base, CLASSES, { seed });
        if (arm.freeze) freeze(model, { where: (l) => l.name !== HEAD });
      } else model = net(seed);
      await trainClassifier(model, { x, y }, { ...fit, seed, ...arm.options });
      table[n][key].push(await evaluate(model));
      model.dispose();
    }
    x.dispose();
  }
  console.log(`n = ${n} done`);
}
for (const metric of ['accuracy', 'auc']) {
  console.log(
    `\nheld-out ${metric === 'auc' ? (CLASSES === 2 ? 'ROC AUC' : 'ROC AUC (one-vs-rest macro)') : 'accuracy'}, mean ± 95% CI over ${SEEDS.length} seeds`,
  );
  console.log(['n', ...Object.values(ARMS).map((a) => a.label)].join(' | '));
  for (const n of SIZES) {
    console.log(
      [n, ...Object.keys(ARMS).map((k) => cell(stats(table[n][k].map((r) => r[metric]))))].join(
        ' | ',
      ),
    );
  }
}
tf.dispose([xTest, ...weights]);
pretrained.dispose();
