#!/usr/bin/env node
/**
 * Benchmark: the seed CNN (28×28×1 → conv32 → pool → conv64 → pool → fc128 → fc2, Adam 1e-3,
 * batch 64), training and inference samples/s on wasm (with registerTrainingKernels) and on cpu
 * (stock tfjs and with the library's kernels), against PyTorch on one thread
 * (../shared/bench/seed_cnn_torch.py) in the same run; plus the kernel-time breakdown of one
 * wasm training step. Targets: wasm training ≥ 0.5× PyTorch, inference ≥ 1.0×.
 * The wasm backend runs on `--wasm-threads` threads (default: the machine's available
 * parallelism, through useWasmThreads; 1 = the single-threaded build); with more than one, PyTorch
 * is also timed on as many threads, and the wasm row's ratio against it printed too. Each
 * PyTorch figure is the best of three runs (this machine's speed varies between runs), and so is
 * each wasm training figure (three timed runs in the process, each printed under `trainRuns`). The
 * library's rows use its own optimizer, fusedAdam (one kernel per variable on cpu and wasm), and
 * two warm-up steps and time every sample, like the wasm row (the stock cpu row times
 * `--cpu-batches` batches, at ~30 s a batch). These rows run tfjs-layers' own layers in a plain
 * `optimizer.minimize` loop, as PyTorch's anchor does. Two more wasm rows train with the layers
 * fused (Dense and Conv2D as one kernel call forward and one backward, the poolings taking the
 * ReLU's gradient along, a convolution whose ReLU output only its pooling uses running with it as
 * one op): the same loop inside `withFusedLayers`, and the library's trainer,
 * `trainClassifier` (fusedAdam, the same batches), whose samples/s are timed from the first
 * step's start to the last step's end, a warm-up epoch before, so the trainer's setup is not
 * counted but its per-step work (batching, the loss and accuracy it reports) is.
 *
 *   node bench/seed-cnn.bench.mjs [--samples 1024] [--cpu-batches 2] [--wasm-threads 2]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { fusedAdam, registerTrainingKernels, trainClassifier, withFusedLayers } from 'tfjs-medkit';
import { createLoss } from 'tfjs-medkit/losses';
import { useWasmThreads } from 'tfjs-medkit/node';
import { kernelBreakdown, runAnchor } from './harness.mjs';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '1024' },
    'cpu-batches': { type: 'string', default: '2' },
    'wasm-threads': { type: 'string', default: String(Math.min(8, availableParallelism())) },
  },
});
const THREADS = Number(args['wasm-threads']);
const SAMPLES = Number(args.samples);
const BATCH = 64;

function seedCnn() {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: 2 }),
    ],
  });
}

async function measure(
  backend,
  label,
  batches,
  { fused = false, layers = false, warmup = 1, rounds = 1 } = {},
) {
  await tf.setBackend(backend);
  await tf.ready();
  // with `layers`, the whole measurement inside withFusedLayers (the library's fused layers)
  if (layers) {
    let inner;
    const model = seedCnn();
    await withFusedLayers(model, async () => {
      inner = await measureModel(label, batches, model, { fused, warmup, rounds });
    });
    return inner;
  }
  return measureModel(label, batches, seedCnn(), { fused, warmup, rounds });
}

async function measureModel(label, batches, model, { fused, warmup, rounds }) {
  const optimizer = fused ? fusedAdam(1e-3) : tf.train.adam(1e-3);
  const loss = createLoss('sparseSoftmaxCrossEntropy');
  const x = tf.randomNormal([SAMPLES, 28, 28, 1], 0, 1, 'float32', 1);
  const y = tf.randomUniform([SAMPLES], 0, 2, 'int32', 2);
  const step = (i) => {
    const xb = tf.slice(x, [(i * BATCH) % SAMPLES, 0, 0, 0], [BATCH, -1, -1, -1]);
    const yb = tf.slice(y, [(i * BATCH) % SAMPLES], [BATCH]);
    const cost = optimizer.minimize(() => loss(yb, model.apply(xb, { training: true })), true);
    cost.dataSync();
    tf.dispose([xb, yb, cost]);
  };
  // warm-up (the library's JavaScript kernels reach their compiled speed after a step or two)
  for (let i = 0; i < warmup; i++) step(0);
  const steps = batches ?? (2 * SAMPLES) / BATCH;
  // the best of `rounds` timed runs, as PyTorch's figure is the best of its runs
  const trainRuns = [];
  let t;
  for (let r = 0; r < rounds; r++) {
    t = performance.now();
    for (let i = 0; i < steps; i++) step(i + 1);
    trainRuns.push((steps * BATCH) / ((performance.now() - t) / 1000));
  }
  const train = Math.max(...trainRuns);
  const predict = (i) =>
    tf.tidy(() =>
      model.predict(tf.slice(x, [(i * BATCH) % SAMPLES, 0, 0, 0], [BATCH, -1, -1, -1])).dataSync(),
    );
  predict(0);
  const inferSteps = batches ?? SAMPLES / BATCH;
  t = performance.now();
  for (let i = 0; i < inferSteps; i++) predict(i);
  const infer = (inferSteps * BATCH) / ((performance.now() - t) / 1000);
  let breakdown;
  if (fused) breakdown = await kernelBreakdown(tf, () => step(3));
  tf.dispose([x, y]);
  model.dispose();
  optimizer.dispose();
  return report(label, { train, infer, trainRuns }, breakdown);
}

/** Prints a row (and its step's kernel breakdown, where measured) and returns it. */
function report(label, { train, infer, trainRuns }, breakdown) {
  const result = {
    bench: 'seed CNN',
    backend: label,
    batch: BATCH,
    trainSamplesPerSec: Number(train.toFixed(1)),
    ...(trainRuns?.length > 1
      ? { bestOf: trainRuns.length, trainRuns: trainRuns.map((v) => Math.round(v)) }
      : {}),
    ...(infer === undefined ? {} : { inferSamplesPerSec: Number(infer.toFixed(1)) }),
  };
  console.log(JSON.stringify(result));
  if (breakdown)
    console.log(JSON.stringify({ bench: 'seed CNN', backend: label, trainingStep: breakdown }));
  return result;
}

/** The library's trainer on the current backend: samples/s over two epochs after a warm-up one. */
async function measureTrainer(label) {
  const model = seedCnn();
  const optimizer = fusedAdam(1e-3);
  const x = tf.randomNormal([SAMPLES, 28, 28, 1], 0, 1, 'float32', 1);
  const y = Array.from(tf.tidy(() => tf.randomUniform([SAMPLES], 0, 2, 'int32', 2)).dataSync());
  const options = { batchSize: BATCH, optimizer, seed: 1 };
  await trainClassifier(model, { x, y }, { ...options, epochs: 1 });
  const epochs = 2;
  // the best of three runs, as PyTorch's figure is the best of its runs
  const trainRuns = [];
  for (let r = 0; r < 3; r++) {
    let first;
    let last;
    await trainClassifier(
      model,
      { x, y },
      {
        ...options,
        epochs,
        onProgress: (e) => {
          if (e.type === 'epochStart' && e.epoch === 1) first = performance.now();
          if (e.type === 'stepEnd') last = performance.now();
        },
      },
    );
    trainRuns.push((epochs * SAMPLES) / ((last - first) / 1000));
  }
  const train = Math.max(...trainRuns);
  let breakdown;
  {
    // one step's kernels, through the trainer's fused layers: a one-batch epoch
    const xb = tf.slice(x, [0, 0, 0, 0], [BATCH, -1, -1, -1]);
    breakdown = await kernelBreakdown(tf, () =>
      trainClassifier(model, { x: xb, y: y.slice(0, BATCH) }, { ...options, epochs: 1 }),
    );
    xb.dispose();
  }
  tf.dispose(x);
  model.dispose();
  optimizer.dispose();
  return report(label, { train, trainRuns }, breakdown);
}

const anchor = runAnchor(
  '../shared/bench/seed_cnn_torch.py',
  ['--threads', '1', '--samples', String(SAMPLES)],
  3,
);
if (anchor) console.log(JSON.stringify(anchor));
const sameThreads =
  THREADS > 1
    ? runAnchor(
        '../shared/bench/seed_cnn_torch.py',
        ['--threads', String(THREADS), '--samples', String(SAMPLES)],
        3,
      )
    : anchor;
if (THREADS > 1 && sameThreads) console.log(JSON.stringify(sameThreads));
const cpuBatches = Number(args['cpu-batches']);
const stockCpu = await measure('cpu', 'cpu (stock tfjs)', cpuBatches);
registerTrainingKernels();
const threads = THREADS > 1 ? await useWasmThreads({ threads: THREADS }) : 1;
const onThreads = `wasm, ${threads} thread${threads > 1 ? 's' : ''}`;
const wasm = await measure('wasm', `${onThreads} (registerTrainingKernels, fusedAdam)`, undefined, {
  fused: true,
  warmup: 2,
  rounds: 3,
});
const wasmLayers = await measure(
  'wasm',
  `${onThreads} (registerTrainingKernels, fusedAdam, withFusedLayers)`,
  undefined,
  { fused: true, layers: true, warmup: 2, rounds: 3 },
);
const trainer = await measureTrainer(`${onThreads} (trainClassifier)`);
const cpu = await measure('cpu', 'cpu (registerTrainingKernels, fusedAdam)', undefined, {
  fused: true,
  warmup: 2,
});
for (const r of [stockCpu, wasm, wasmLayers, trainer, cpu]) {
  if (!anchor) continue;
  const inference = r.inferSamplesPerSec
    ? `, inference ${(r.inferSamplesPerSec / anchor.inferSamplesPerSec).toFixed(3)}`
    : '';
  console.log(
    `ratio ${r.backend}/PyTorch: training ${(r.trainSamplesPerSec / anchor.trainSamplesPerSec).toFixed(3)}${inference}`,
  );
}
// the wasm rows against PyTorch on as many threads
if (sameThreads)
  for (const r of [wasm, wasmLayers, trainer]) {
    const inference = r.inferSamplesPerSec
      ? `, inference ${(r.inferSamplesPerSec / sameThreads.inferSamplesPerSec).toFixed(3)}`
      : '';
    console.log(
      `ratio ${r.backend}/PyTorch on ${THREADS} thread${THREADS > 1 ? 's' : ''}: training ${(r.trainSamplesPerSec / sameThreads.trainSamplesPerSec).toFixed(3)} (target ≥ 1.3 at equal threads)${inference}`,
    );
  }
console.log(
  `ratio wasm/stock cpu training: ${(wasm.trainSamplesPerSec / stockCpu.trainSamplesPerSec).toFixed(1)}×`,
);
console.log(
  `ratio cpu with the library's kernels/stock cpu training: ${(cpu.trainSamplesPerSec / stockCpu.trainSamplesPerSec).toFixed(1)}× (target ≥ 20×)`,
);
