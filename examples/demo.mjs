#!/usr/bin/env node
/**
 * tfjs-medkit end-to-end demo (the README's main job), on bundled data; writes one
 * self-contained HTML report and prints its path last:
 *   1. tabular diagnosis: malignant vs benign tumours (examples/breast-cancer.mjs), three losses;
 *   2. medical images: CT in Hounsfield units with windows and resampling, compressed DICOM,
 *      a CT series, an MRI NIfTI volume (examples/medical-images.mjs);
 *   3. imaging: simulated lesions inserted into real brain MRI, CT and MR slices, a CNN that
 *      detects them, split by source slice, with ROC, calibration, Grad-CAM localisation against
 *      random maps, and occlusion (examples/lesion-detection.mjs);
 *   4. genomics: VCF → QC → association scan → sparse risk model → one patient's explanation
 *      (examples/genomics.mjs);
 *   5. drug discovery: a molecular-graph GAN on real NCI compounds, scored by RDKit beside two
 *      baselines (examples/molecule-generation.mjs).
 *
 *   node examples/demo.mjs [--backend wasm|cpu] [--epochs N] [--quick] [--out report.html]
 *
 * `--epochs` caps every part; `--quick` runs every part briefly (for tests). The report goes to
 * artifacts/demo-report.html unless `--out` says otherwise, with its numbers beside it (.json).
 * Runs against the built package (`npm run build` first; `npm run demo` builds when needed).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels } from 'tfjs-medkit';
// the installed DICOM codecs and RDKit (Node and Deno)
import 'tfjs-medkit/node';
import { breastCancerDemo } from './breast-cancer.mjs';
import { genomicsDemo } from './genomics.mjs';
import { lesionDetectionDemo } from './lesion-detection.mjs';
import { medicalImagesDemo } from './medical-images.mjs';
import { moleculeGenerationDemo } from './molecule-generation.mjs';
import { numbers, writeReport } from './report/html.mjs';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const out = resolve(args.out ?? new URL('../artifacts/demo-report.html', import.meta.url).pathname);
registerTrainingKernels(); // the CNN's gradients on wasm, faster ones on cpu
await tf.setBackend(args.backend);
await tf.ready();
console.log(`backend: ${tf.getBackend()}`);
const started = performance.now();
const cap = args.epochs === undefined ? (args.quick ? 2 : undefined) : Number(args.epochs);
const epochs = (n) => Math.min(n, cap ?? n);
const { show, values } = numbers();

const sections = [];
sections.push(await breastCancerDemo({ epochs: epochs(40), show }));
await medicalImagesDemo();
sections.push(await lesionDetectionDemo({ epochs: epochs(20), quick: args.quick, show }));
sections.push(await genomicsDemo({ show }));
const molecules = await moleculeGenerationDemo({
  epochs: epochs(20),
  samples: args.quick ? 200 : 500,
  show,
});
sections.push(molecules.section);
// imaging first: it is what the report is opened for
sections.unshift(sections.splice(1, 1)[0]);

const seconds = (performance.now() - started) / 1000;
const intro = `<p>Written by <code>npm run demo</code> (tfjs-medkit) on the ${tf.getBackend()}
backend in ${seconds.toFixed(0)} s${args.quick ? ' (quick run: a few epochs per part, not representative)' : ''}.
Every number and picture below was computed by this run from the data bundled in
<code>examples/data</code>; nothing was fetched, and nothing leaves this file.</p>`;
await writeReport(out, { title: 'tfjs-medkit demo report', intro, sections, values });

console.log('\nSummary');
console.log(
  `  imaging (simulated lesions, real anatomy): detection AUC ${values['imaging.auc'].toFixed(3)}, Grad-CAM pointing game ${values['imaging.pointing'].toFixed(3)} vs ${values['imaging.pointingRandom'].toFixed(3)} for random maps`,
);
console.log(
  `  tabular: held-out AUC ${values['tabular.ce.auc'].toFixed(3)} (cross-entropy), ${values['tabular.focal.auc'].toFixed(3)} (focal)`,
);
console.log(
  `  genomics: λ_GC ${values['genomics.lambda'].toFixed(3)}, risk model AUC ${values['genomics.auc'].toFixed(3)}`,
);
console.log(
  `  molecules: validity ${values['molecules.gan.validity'].toFixed(3)}, uniqueness ${values['molecules.gan.uniqueness'].toFixed(3)}, novelty ${values['molecules.gan.novelty'].toFixed(3)}`,
);
console.log(`  ${seconds.toFixed(0)} s in all on ${tf.getBackend()}`);
console.log(`\nreport: ${out}`);
