#!/usr/bin/env node
/**
 * Benchmark: loading ResNet-50's PyTorch weights (~98 MB). The anchor (bench/anchors/
 * torch_resnet50.py, Debian's torch) writes torchvision's state_dict with torch.save and times
 * torch.load of it; the library then loads the same file into createResNet({ depth: 50, layout:
 * 'torchvision' }) and prints its time against the time to read the file from disk, and the
 * extra peak memory (resident set) the load took against the file's size. Targets: load ≤ ~2×
 * the read, peak ≤ ~2.5× the file. A safetensors copy (saveTorchWeights) is loaded too.
 *
 *   node bench/torch-weights.bench.mjs [--backend cpu]
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { createResNet, loadTorchWeights, saveTorchWeights } from 'tfjs-medkit/vision';
import { runAnchor } from './harness.mjs';

const { values: args } = parseArgs({ options: { backend: { type: 'string', default: 'cpu' } } });
await tf.setBackend(args.backend);
await tf.ready();
const path = join(tmpdir(), `medkit-resnet50-${process.pid}.pt`);
const anchor = runAnchor('torch_resnet50.py', [path]);
if (!anchor) {
  console.log(
    'the anchor (Debian python3-torch, python3-torchvision) did not run: nothing to load',
  );
  process.exit(0);
}
const model = createResNet({
  inputShape: [224, 224, 3],
  numClasses: 1000,
  depth: 50,
  layout: 'torchvision',
});
const runtime = `Node ${process.versions.node}, ${tf.getBackend()}`;

async function measure(label, file) {
  const t0 = performance.now();
  const bytes = new Uint8Array(readFileSync(file));
  const readMs = performance.now() - t0;
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const t1 = performance.now();
  const report = await loadTorchWeights(model, bytes);
  const loadMs = performance.now() - t1;
  clearInterval(timer);
  peak = Math.max(
    peak,
    process.memoryUsage().rss,
    process.resourceUsage().maxRSS * 1024 > rssBefore ? rssBefore : 0,
  );
  const mb = bytes.length / 2 ** 20;
  console.log(
    JSON.stringify({
      bench: `load ResNet-50 weights (${label})`,
      runtime,
      fileMB: Math.round(mb * 10) / 10,
      tensors: report.loaded.length,
      readMs: Math.round(readMs),
      loadMs: Math.round(loadMs),
      loadOverRead: Math.round((loadMs / readMs) * 100) / 100,
      extraPeakMB: Math.round((peak - rssBefore) / 2 ** 20),
      extraPeakOverFile: Math.round(((peak - rssBefore) / bytes.length) * 100) / 100,
      ...(label === 'torch.save' ? { torchLoadMs: Math.round(anchor.torchLoadS * 1000) } : {}),
    }),
  );
}

await measure('torch.save', path);
const st = `${path}.safetensors`;
writeFileSync(st, saveTorchWeights(model));
await measure('safetensors', st);
rmSync(path);
rmSync(st);
