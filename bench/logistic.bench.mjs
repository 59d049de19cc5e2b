#!/usr/bin/env node
/**
 * Benchmark: LogisticRegression on simulated genotypes (2,000 samples × 10,000 standardised
 * additive variants, 20 causal), L2 (C 0.01) and L1 (C 0.05), against scikit-learn's lbfgs and
 * saga on the same simulation in the same run (../shared/bench/logreg_sklearn.py draws its own
 * matrix with numpy; this bench draws one of the same design with the library's generator).
 * Each fit twice: products on the host (double precision) and on the wasm backend with the
 * library's kernels (`products: 'backend'`, single precision; what `'auto'` picks there); on the
 * backend, the L2 fit also a second time in the process (its heap grown) and with the features as
 * a float32 tensor made before the timing (as scikit-learn gets an array made before its timing).
 * Then the L2 fits again in a second process on two wasm threads (useWasmThreads, whose helper
 * thread splits each pass over the design by columns).
 * Targets: L2 fit at most scikit-learn's time; L1 at least 10× faster than saga.
 *
 *   node bench/logistic.bench.mjs [--samples 2000] [--variants 10000] [--skip-l1]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { Random, registerTrainingKernels } from 'tfjs-medkit';
import { LogisticRegression } from 'tfjs-medkit/genomics';
import { useWasmThreads } from 'tfjs-medkit/node';
import { runAnchor } from './harness.mjs';

const { values: args } = parseArgs({
  options: {
    samples: { type: 'string', default: '2000' },
    variants: { type: 'string', default: '10000' },
    'skip-l1': { type: 'boolean', default: false },
    // the wasm backend's threads (a second process: the threaded build must start first), and
    // the anchor's L2 seconds measured by the first process
    threads: { type: 'string', default: '1' },
    'anchor-l2': { type: 'string' },
  },
});
const threads = Number(args.threads);
const n = Number(args.samples);
const p = Number(args.variants);
const anchorArgs = ['--samples', String(n), '--variants', String(p), '--C', '0.01'];
if (args['skip-l1']) anchorArgs.push('--skip-l1');
const anchor = args['anchor-l2']
  ? { l2Seconds: Number(args['anchor-l2']) }
  : runAnchor('../shared/bench/logreg_sklearn.py', anchorArgs);
if (anchor && !args['anchor-l2']) console.log(JSON.stringify(anchor));

// the same design: MAF ~ U(0.05, 0.5), additive genotypes, 20 causal effects ~ N(0, 0.8), in
// the dense form the genomics pipeline produces (encodeGenotypes → GenotypeStandardizer): one
// Float64Array, as scikit-learn gets one numpy array (no array of rows left on the JavaScript
// heap for the garbage collector to walk during the timed fits)
const rng = new Random(0);
const maf = Array.from({ length: p }, () => rng.uniform(0.05, 0.5));
const data = new Float64Array(n * p);
for (let i = 0; i < n; i++)
  for (let j = 0; j < p; j++)
    data[i * p + j] = (rng.nextFloat() < maf[j] ? 1 : 0) + (rng.nextFloat() < maf[j] ? 1 : 0);
for (let j = 0; j < p; j++) {
  let mean = 0;
  for (let i = 0; i < n; i++) mean += data[i * p + j];
  mean /= n;
  let sd = 0;
  for (let i = 0; i < n; i++) sd += (data[i * p + j] - mean) ** 2;
  sd = Math.sqrt(sd / n) || 1;
  for (let i = 0; i < n; i++) data[i * p + j] = (data[i * p + j] - mean) / sd;
}
const beta = new Float64Array(p);
for (let k = 0; k < 20; k++) beta[rng.int(p)] = rng.normal(0, 0.8);
const y = Array.from({ length: n }, (_, i) => {
  let z = 0;
  for (let j = 0; j < p; j++) z += data[i * p + j] * beta[j];
  return rng.nextFloat() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
});
const dense = { data, rows: n, cols: p };
const time = async (options) => {
  const t = performance.now();
  const m = await new LogisticRegression({ ...options, onWarning: () => {} }).fit(dense, y);
  return { seconds: (performance.now() - t) / 1000, model: m };
};
/** scikit-learn's objective at a fit: Σ log-loss + ‖w‖²/(2C) (L2) or ‖w‖₁/C (L1). */
const objective = async (model, C, penalty) => {
  const proba = await model.predictProba(dense);
  let loss = 0;
  proba.forEach((row, i) => {
    loss -= Math.log(Math.max(row[y[i]], 1e-300));
  });
  const w = model.coef[0];
  return (
    loss +
    (penalty === 'l1'
      ? w.reduce((a, v) => a + Math.abs(v), 0) / C
      : w.reduce((a, v) => a + v * v, 0) / (2 * C))
  );
};
const objectives = {};
if (threads > 1) await useWasmThreads({ threads });
registerTrainingKernels();
await tf.setBackend('wasm');
for (const products of threads > 1 ? ['backend'] : ['host', 'backend']) {
  const l2 = await time({ C: 0.01, maxIter: 1000, products });
  const result = {
    bench: 'logistic regression',
    products:
      products === 'host' ? 'host (float64)' : `wasm backend (float32), ${threads} thread(s)`,
    samples: n,
    variants: p,
    l2Seconds: Number(l2.seconds.toFixed(3)),
    l2Iterations: l2.model.iterations,
    l2Converged: l2.model.converged,
    l2Objective: await objective(l2.model, 0.01, 'l2'),
  };
  if (!args['skip-l1']) {
    const l1 = await time({ C: 0.05, penalty: 'l1', maxIter: 200, products });
    Object.assign(result, {
      l1Seconds: Number(l1.seconds.toFixed(3)),
      l1Iterations: l1.model.iterations,
      l1NonZero: l1.model.coef[0].filter((v) => v !== 0).length,
      l1Objective: await objective(l1.model, 0.05, 'l1'),
    });
  }
  if (products === 'backend') {
    // a second fit in the process: the backend's heap has grown to hold the design by now (the
    // first fit's page faults on fresh memory are ~0.3 s of it on this machine)
    result.l2SecondFitSeconds = Number(
      (await time({ C: 0.01, maxIter: 1000, products })).seconds.toFixed(3),
    );
    // the features as a float32 tensor made before the timing, as scikit-learn's float64 array is
    const Xt = tf.tensor2d(Float32Array.from(dense.data), [n, p]);
    const t = performance.now();
    await new LogisticRegression({ C: 0.01, maxIter: 1000, onWarning: () => {} }).fit(Xt, y);
    result.l2TensorSeconds = Number(((performance.now() - t) / 1000).toFixed(3));
    Xt.dispose();
  }
  objectives[products] = result;
  if (products === 'backend' && objectives.host) {
    // the backend (single-precision) fits against the host's, at the same objective
    const rel = (k) => (result[k] - objectives.host[k]) / objectives.host[k];
    result.l2ObjectiveRelativeToHost = Number(rel('l2Objective').toExponential(2));
    if (result.l1Objective)
      result.l1ObjectiveRelativeToHost = Number(rel('l1Objective').toExponential(2));
  }
  console.log(JSON.stringify(result));
  if (anchor) {
    console.log(
      `ratio L2 scikit-learn lbfgs time / ours (${products}): ${(anchor.l2Seconds / result.l2Seconds).toFixed(3)} (target ≥ 1)`,
    );
    if (result.l2SecondFitSeconds)
      console.log(
        `ratio L2 scikit-learn lbfgs time / ours (${products}, a second fit): ${(anchor.l2Seconds / result.l2SecondFitSeconds).toFixed(3)} (target ≥ 1)`,
      );
    if (result.l2TensorSeconds)
      console.log(
        `ratio L2 scikit-learn lbfgs time / ours (${products}, features as a tensor): ${(anchor.l2Seconds / result.l2TensorSeconds).toFixed(3)} (target ≥ 1)`,
      );
    if (result.l1Seconds && anchor.l1Seconds)
      console.log(
        `ratio L1 scikit-learn saga time / ours (${products}): ${(anchor.l1Seconds / result.l1Seconds).toFixed(3)} (target ≥ 10)`,
      );
  }
}
// the same fits with the matrix passes split over two threads (useWasmThreads starts a helper
// thread for them), in a second process, against this run's anchor
if (threads === 1) {
  const child = [
    new URL(import.meta.url).pathname,
    '--threads',
    '2',
    '--skip-l1',
    '--samples',
    String(n),
    '--variants',
    String(p),
    ...(anchor ? ['--anchor-l2', String(anchor.l2Seconds)] : []),
  ];
  execFileSync(process.execPath, child, { stdio: 'inherit' });
}
