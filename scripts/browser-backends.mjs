#!/usr/bin/env node
/**
 * The library's workloads on every backend in headless Chromium (scripts/browser-backends/page.mjs
 * lists them: losses and their gradients, every kind of model's forward pass and training steps,
 * the trainers, explanations, the GAN trainer, logistic regression, metrics on tensors, the
 * readers) and `checkTrainingSupport` for each model factory, run on cpu, wasm, webgl and webgpu
 * (SwiftShader: correctness, never speed) and compared with cpu at the tolerances below. Every
 * workload must return the tensor count to where it started. Exits 1 on any failure.
 *
 * On webgl the library turns tfjs's lazy unpacking off (see src/backend/webgl-workarounds.ts):
 * with it on, the 2-D CNN's second SGD step departed from cpu (weights by 3e-4, predictions by
 * 6e-3), a packed variable left by the optimizer's update being read wrongly. On webgpu,
 * LogisticRegression's backend products must be refused (synchronous reads give zeros there).
 *
 *   npm run build && node scripts/browser-backends.mjs [--chromium /usr/bin/chromium]
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { bundlePage, servePage } from './smoke/page-runner.mjs';

const { values: args } = parseArgs({
  options: { chromium: { type: 'string', default: '/usr/bin/chromium' } },
});
const root = resolve(import.meta.dirname, '..');
/** |x − cpu| ≤ atol + rtol·|cpu|, element by element. */
const TOLERANCE = {
  wasm: { rtol: 1e-4, atol: 1e-5 },
  webgpu: { rtol: 1e-3, atol: 1e-4 },
  webgl: { rtol: 1e-3, atol: 1e-4 },
};

/** Bounds for single results on the GPU backends (webgl and webgpu alike), `workload.result`. */
const SPECIFIC = {
  // the trainer's losses over two epochs of a ResNet-18 (batch statistics, Adam)
  'resnet18.loss': { rtol: 3e-2, atol: 1e-3 },
  'resnet18.camSum': { rtol: 5e-2, atol: 1e-3 },
  'focal.loss': { rtol: 1e-4, atol: 1e-3 },
  'focal.grad': { rtol: 1e-3, atol: 1e-3 },
  'logistic.host': { rtol: 1e-3, atol: 1e-3 },
  'logistic.backend': { rtol: 1e-3, atol: 1e-3 },
  'metrics.auc': { rtol: 1e-6, atol: 1e-6 },
};
const tolerance = (backend, name, key) =>
  (backend === 'webgl' || backend === 'webgpu' ? SPECIFIC[`${name}.${key}`] : undefined) ??
  TOLERANCE[backend];

const wasmDir = join(root, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');
const fixture = (p) => join(root, 'tests/fixtures', p);
const page = await servePage(
  await bundlePage(join(root, 'scripts/browser-backends/page.mjs'), root),
  {
    'MR_small.dcm': fixture('dicom/MR_small.dcm'),
    'volume.nii.gz': fixture('nifti/int16_scaled_sform.nii.gz'),
    'rgba8.png': fixture('images/rgba8.png'),
    'tfjs-backend-wasm.wasm': join(wasmDir, 'tfjs-backend-wasm.wasm'),
    'tfjs-backend-wasm-simd.wasm': join(wasmDir, 'tfjs-backend-wasm-simd.wasm'),
    'tfjs-backend-wasm-threaded-simd.wasm': join(wasmDir, 'tfjs-backend-wasm-threaded-simd.wasm'),
  },
);
const browser = await chromium.launch({
  executablePath: args.chromium,
  args: ['--no-sandbox', '--enable-unsafe-webgpu'],
});
let failures = 0;
function check(what, ok, detail) {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
}
try {
  const runs = {};
  // webgl-f16: webgl on float16 textures (what a device without float32 ones gets), measured and
  // shown, not held to a tolerance
  for (const backend of ['cpu', 'wasm', 'webgl', 'webgpu', 'webgl-f16']) {
    // a fresh page for each backend: no state carried over
    const tab = await browser.newPage();
    tab.on('pageerror', (e) => console.error(`page error (${backend}):`, e.message));
    await tab.goto(page.base);
    await tab.waitForFunction(() => window.pageReady === true);
    runs[backend] = await tab.evaluate((b) => window.runWorkloads(b), backend);
    await tab.close();
  }
  const cpu = runs.cpu;
  for (const [backend, run] of Object.entries(runs)) {
    if (run.unavailable) {
      check(`${backend}: available in this Chromium`, false);
      continue;
    }
    check(
      `${backend}: checkTrainingSupport for every model factory`,
      run.support === 'ok',
      run.support === 'ok' ? '' : run.support,
    );
    const measuredOnly = backend === 'webgl-f16';
    for (const [name, out] of Object.entries(run.results)) {
      if (out.error) {
        if (measuredOnly) console.log(`info webgl-f16 ${name}: ${out.error}`);
        else check(`${backend} ${name}`, false, out.error);
        continue;
      }
      check(
        `${backend} ${name}: no tensor left behind`,
        run.leaks[name] === 0,
        `${run.leaks[name]} left`,
      );
      for (const [k, v] of Object.entries(out)) {
        const ref = cpu.results[name][k];
        const finite = v.every(Number.isFinite);
        if (backend === 'cpu') {
          check(`cpu ${name}.${k}: finite`, finite, `${v.length} values`);
          continue;
        }
        const { rtol, atol } = tolerance(measuredOnly ? 'webgl' : backend, name, k);
        let worst = 0;
        let maxDiff = 0;
        let maxRel = 0;
        for (let i = 0; i < ref.length; i++) {
          const d = Math.abs(v[i] - ref[i]);
          maxDiff = Math.max(maxDiff, d);
          if (Math.abs(ref[i]) >= 1e-3) maxRel = Math.max(maxRel, d / Math.abs(ref[i]));
          worst = Math.max(worst, d / (atol + rtol * Math.abs(ref[i])));
        }
        const detail = `max |Δ| ${maxDiff.toExponential(2)}, relative ${maxRel.toExponential(1)} (${(worst * 100).toFixed(0)}% of webgl's tolerance)`;
        if (measuredOnly)
          console.log(`info webgl-f16 ${name}.${k} vs cpu: ${finite ? detail : 'not finite'}`);
        else
          check(
            `${backend} ${name}.${k} vs cpu`,
            finite && v.length === ref.length && worst <= 1,
            detail.replace("webgl's tolerance", 'the tolerance'),
          );
      }
    }
  }
} finally {
  await browser.close();
  page.close();
}
console.log(failures === 0 ? 'browser backends passed' : `browser backends: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
