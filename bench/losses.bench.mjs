#!/usr/bin/env node
/**
 * Benchmark: sparse softmax cross-entropy with class weights and label smoothing, value and
 * gradient, on the cpu and wasm backends, against PyTorch's F.cross_entropy (one thread) measured
 * in the same run. Prints one JSON line per backend and a ratio line.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { sparseSoftmaxCrossEntropy } from 'tfjs-medkit/losses';
import { runAnchor, timeIt } from './harness.mjs';

const [N, C] = [256, 100];
const anchor = runAnchor('losses_torch.py', [String(N), String(C)]);
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  const z = tf.mul(tf.randomNormal([N, C], 0, 1, 'float32', 1), 3);
  const labels = tf.randomUniform([N], 0, C, 'int32', 2);
  const classWeights = tf.add(tf.randomUniform([C], 0, 1, 'float32', 3), 0.5);
  const grad = tf.valueAndGrad((x) =>
    sparseSoftmaxCrossEntropy(labels, x, {
      classWeights,
      labelSmoothing: 0.1,
      reduction: 'weightedMean',
    }),
  );
  const callsPerS = await timeIt(() => {
    const { value, grad: g } = grad(z);
    g.dataSync();
    tf.dispose([value, g]);
  });
  const result = {
    bench: 'sparseSoftmaxCrossEntropy value+grad',
    backend,
    shape: [N, C],
    calls_per_s: callsPerS,
  };
  console.log(JSON.stringify(result));
  if (anchor)
    console.log(
      `ratio ${backend}/torch: ${(callsPerS / anchor.calls_per_s).toFixed(3)} (${callsPerS.toFixed(0)} vs ${anchor.calls_per_s.toFixed(0)} calls/s)`,
    );
  tf.dispose([z, labels, classWeights]);
}
if (anchor) console.log(JSON.stringify(anchor));
