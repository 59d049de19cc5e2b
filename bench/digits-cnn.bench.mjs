#!/usr/bin/env node
/**
 * Benchmark: the classic CNN (createSimpleCnn) trained with trainClassifier on the real 8×8
 * digits (÷ 16, seeded stratified 80/20 split), against the same architecture, optimizer
 * (Adam 1e-3), batch size, epochs and split in PyTorch on one thread
 * (bench/anchors/digits_cnn_torch.py) in the same run: test accuracy and training time side by
 * side, on wasm and cpu (both with registerTrainingKernels).
 *
 *   node bench/digits-cnn.bench.mjs [--epochs 12] [--batch 32]
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels, splitIndices } from 'tfjs-medkit';
import { accuracy } from 'tfjs-medkit/metrics';
import { createSimpleCnn, trainClassifier } from 'tfjs-medkit/vision';
import { runAnchor } from './harness.mjs';

const { values: args } = parseArgs({
  options: { epochs: { type: 'string', default: '12' }, batch: { type: 'string', default: '32' } },
});
const EPOCHS = Number(args.epochs);
const BATCH = Number(args.batch);
const dataPath = new URL('../../shared/data/images/digits_8x8.csv.gz', import.meta.url).pathname;
const rows = gunzipSync(readFileSync(dataPath))
  .toString()
  .trim()
  .split('\n')
  .slice(1)
  .map((line) => line.split(',').map(Number));
const labels = rows.map((r) => r[64]);
const { train, test } = splitIndices(labels, { testSize: 0.2, seed: 0 });

const dir = mkdtempSync(join(tmpdir(), 'medkit-digits-'));
const splitFile = join(dir, 'split.json');
writeFileSync(splitFile, JSON.stringify({ data: dataPath, train, test }));
const anchor = runAnchor('digits_cnn_torch.py', [
  '--split',
  splitFile,
  '--epochs',
  String(EPOCHS),
  '--batch',
  String(BATCH),
]);
rmSync(dir, { recursive: true, force: true });
if (anchor) console.log(JSON.stringify(anchor));

registerTrainingKernels();
const tensorOf = (idx) =>
  tf.tensor4d(
    idx.flatMap((i) => rows[i].slice(0, 64).map((v) => v / 16)),
    [idx.length, 8, 8, 1],
  );
for (const backend of ['wasm', 'cpu']) {
  await tf.setBackend(backend);
  await tf.ready();
  const x = tensorOf(train);
  const y = tf.tensor1d(
    train.map((i) => labels[i]),
    'int32',
  );
  const xTest = tensorOf(test);
  const model = createSimpleCnn({ inputShape: [8, 8, 1], numClasses: 10, seed: 1 });
  const t0 = performance.now();
  await trainClassifier(model, { x, y }, { epochs: EPOCHS, batchSize: BATCH, seed: 1 });
  const seconds = (performance.now() - t0) / 1000;
  const pred = tf.tidy(() => tf.argMax(model.predict(xTest), -1));
  const acc = accuracy(
    test.map((i) => labels[i]),
    Array.from(await pred.data()),
  );
  tf.dispose([x, y, xTest, pred]);
  model.dispose();
  const result = {
    bench: 'digits CNN',
    backend,
    epochs: EPOCHS,
    batch: BATCH,
    testAccuracy: Number(acc.toFixed(4)),
    trainSeconds: Number(seconds.toFixed(2)),
  };
  console.log(JSON.stringify(result));
  if (anchor) {
    console.log(
      `ratio ${backend}/PyTorch: accuracy ${(acc / anchor.testAccuracy).toFixed(3)}, training speed ${(anchor.trainSeconds / seconds).toFixed(3)}`,
    );
  }
}
