#!/usr/bin/env node
/**
 * Benchmark: training samples/s of a 3D CNN on 32³ volumes (batch 8) and a depthwise-separable
 * CNN on 32×32×3 images (batch 32) on wasm and cpu with registerTrainingKernels(), against the same
 * networks in PyTorch on one thread (bench/anchors/cnn_variants_torch.py, best of three runs) in
 * the same run. wasm runs on `--wasm-threads` threads (default: the available parallelism, through
 * useWasmThreads; 1 = the single-threaded build).
 *
 *   node bench/cnn-variants.bench.mjs [--wasm-threads 2]
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerTrainingKernels } from 'tfjs-medkit';
import { createLoss } from 'tfjs-medkit/losses';
import { useWasmThreads } from 'tfjs-medkit/node';
import { runAnchor } from './harness.mjs';

const MODELS = {
  '3d': {
    batch: 8,
    shape: [32, 32, 32, 1],
    build: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv3d({
            inputShape: [32, 32, 32, 1],
            filters: 8,
            kernelSize: 3,
            padding: 'same',
            activation: 'relu',
          }),
          tfl.layers.maxPooling3d({ poolSize: 2 }),
          tfl.layers.conv3d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu' }),
          tfl.layers.maxPooling3d({ poolSize: 2 }),
          tfl.layers.flatten(),
          tfl.layers.dense({ units: 2 }),
        ],
      }),
  },
  separable: {
    batch: 32,
    shape: [32, 32, 3],
    build: () =>
      tfl.sequential({
        layers: [
          tfl.layers.conv2d({
            inputShape: [32, 32, 3],
            filters: 16,
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            activation: 'relu',
          }),
          tfl.layers.separableConv2d({
            filters: 32,
            kernelSize: 3,
            padding: 'same',
            activation: 'relu',
          }),
          tfl.layers.separableConv2d({
            filters: 64,
            kernelSize: 3,
            strides: 2,
            padding: 'same',
            activation: 'relu',
          }),
          tfl.layers.globalAveragePooling2d({}),
          tfl.layers.dense({ units: 2 }),
        ],
      }),
  },
};

const { values: args } = parseArgs({
  options: {
    'wasm-threads': { type: 'string', default: String(Math.min(8, availableParallelism())) },
  },
});
registerTrainingKernels();
const requested = Number(args['wasm-threads']);
const threads = requested > 1 ? await useWasmThreads({ threads: requested }) : 1;
for (const [name, spec] of Object.entries(MODELS)) {
  const anchor = runAnchor('cnn_variants_torch.py', ['--model', name], 3);
  if (anchor) console.log(JSON.stringify(anchor));
  for (const backend of ['wasm', 'cpu']) {
    await tf.setBackend(backend);
    const model = spec.build();
    const optimizer = tf.train.adam(1e-3);
    const loss = createLoss('sparseSoftmaxCrossEntropy');
    const x = tf.randomNormal([spec.batch, ...spec.shape], 0, 1, 'float32', 1);
    const y = tf.randomUniform([spec.batch], 0, 2, 'int32', 2);
    const step = () => {
      const cost = optimizer.minimize(() => loss(y, model.apply(x, { training: true })), true);
      cost.dataSync();
      cost.dispose();
    };
    step();
    const steps = backend === 'cpu' && name === '3d' ? 2 : 8;
    const t = performance.now();
    for (let i = 0; i < steps; i++) step();
    const perSec = (steps * spec.batch) / ((performance.now() - t) / 1000);
    console.log(
      JSON.stringify({
        bench: `${name} CNN training`,
        backend: backend === 'wasm' ? `wasm, ${threads} thread${threads > 1 ? 's' : ''}` : backend,
        batch: spec.batch,
        trainSamplesPerSec: Number(perSec.toFixed(1)),
      }),
    );
    if (anchor)
      console.log(
        `ratio ${name} ${backend}/PyTorch: ${(perSec / anchor.trainSamplesPerSec).toFixed(3)}`,
      );
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  }
}
