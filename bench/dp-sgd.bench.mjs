#!/usr/bin/env node
/**
 * Benchmark: the cost of differential privacy. The seed CNN (28×28×1 → conv32 → pool → conv64 →
 * pool → fc128 → fc2, Adam 1e-3, batch 64) trained by trainClassifier with and without
 * `privacy` (DP-SGD: per-example gradients clipped and noised) on the same data, in the same
 * run, on the wasm backend (registerTrainingKernels; `--wasm-threads`, default 1) and on cpu
 * with the library's kernels. Prints each row's time per step and the private/plain ratio
 * (the anchor here is the library's own non-private step), and the kernel calls of a step of
 * each (tf.profile, over the two warm-up steps). Target: ≤ 3× on wasm.
 *
 *   node bench/dp-sgd.bench.mjs [--samples 1024] [--wasm-threads 1] [--sampling shuffle]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { registerTrainingKernels } from 'tfjs-medkit';
import { useWasmThreads } from 'tfjs-medkit/node';
import { trainClassifier } from 'tfjs-medkit/vision';
import { kernelBreakdown } from './harness.mjs';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '1024' },
    'wasm-threads': { type: 'string', default: '1' },
    sampling: { type: 'string', default: 'shuffle' },
  },
});
const SAMPLES = Number(args.samples);
const BATCH = 64;

function seedCnn() {
  const init = (seed) => tfl.initializers.glorotUniform({ seed });
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(1),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({
        filters: 64,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(2),
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 128, activation: 'relu', kernelInitializer: init(3) }),
      tfl.layers.dense({ units: 2, kernelInitializer: init(4) }),
    ],
  });
}

async function timeRun(privacy) {
  const x = tf.randomUniform([SAMPLES, 28, 28, 1], 0, 1, 'float32', 7);
  const y = Array.from({ length: SAMPLES }, (_, i) => i % 2);
  const model = seedCnn();
  // one warm-up epoch of 2 steps, then the timed epoch
  const options = {
    batchSize: BATCH,
    seed: 1,
    ...(privacy
      ? {
          privacy: {
            maxGradNorm: 1,
            noiseMultiplier: 1,
            sampling: args.sampling,
            allowLargeDelta: true,
          },
        }
      : {}),
  };
  const warm = tf.slice(x, 0, 2 * BATCH);
  // the warm-up's kernels, per step (two steps with the default shuffled batches)
  const kernels = await kernelBreakdown(
    tf,
    () =>
      trainClassifier(model, { x: warm, y: y.slice(0, 2 * BATCH) }, { ...options, epochs: 1 }).then(
        () => tf.scalar(0),
      ),
    4,
    2,
  );
  const t0 = performance.now();
  const r = await trainClassifier(model, { x, y }, { ...options, epochs: 1 });
  const ms = performance.now() - t0;
  const steps = privacy ? r.privacy.steps : Math.ceil(SAMPLES / BATCH);
  tf.dispose([x, warm]);
  model.dispose();
  return { ms: ms / steps, kernels };
}

registerTrainingKernels();
const threads = Number(args['wasm-threads']);
if (threads > 1) await useWasmThreads({ threads });
const runtime = `Node ${process.versions.node}`;
for (const backend of ['wasm', 'cpu']) {
  await tf.setBackend(backend);
  await tf.ready();
  const { ms: plain, kernels: plainKernels } = await timeRun(false);
  const { ms: dp, kernels: dpKernels } = await timeRun(true);
  const row = {
    bench: 'dp-sgd seed CNN, batch 64',
    runtime,
    backend:
      backend === 'wasm'
        ? `wasm (${threads} thread${threads > 1 ? 's' : ''})`
        : 'cpu (library kernels)',
    sampling: args.sampling,
    plainMsPerStep: Math.round(plain * 10) / 10,
    privateMsPerStep: Math.round(dp * 10) / 10,
    ratio: Math.round((dp / plain) * 100) / 100,
    plainKernelCallsPerStep: plainKernels.kernelCalls,
    privateKernelCallsPerStep: dpKernels.kernelCalls,
    privateTopKernels: dpKernels.top,
  };
  console.log(JSON.stringify(row));
}
