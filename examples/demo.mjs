#!/usr/bin/env node
/**
 * tfjs-medkit end-to-end demo (the README's main job), on bundled data:
 *   1. tabular diagnosis: malignant vs benign tumours (examples/breast-cancer.mjs), three losses;
 *   2. medical images: CT in Hounsfield units with windows and resampling, compressed DICOM,
 *      a CT series, an MRI NIfTI volume reoriented and normalised, seeded augmentation of an
 *      image and its mask (examples/medical-images.mjs);
 *   3. image classification: a CNN on real 8×8 scans with training, clinical metrics, Grad-CAM
 *      and save/load (examples/image-diagnosis.mjs);
 *   4. genomics: VCF → QC → association scan → sparse risk model → one patient's explanation
 *      (examples/genomics.mjs);
 *   5. drug discovery: a molecular-graph GAN on real NCI compounds, scored by validity,
 *      uniqueness, novelty, diversity and property distances beside two baselines
 *      (examples/molecule-generation.mjs; run that file alone for the full 60-epoch run).
 *
 *   node examples/demo.mjs [--backend wasm|cpu] [--epochs N]   (--epochs caps every part)
 *
 * Runs against the built package (`npm run build` first; `npm run demo` does both).
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels } from 'tfjs-medkit';
import { breastCancerDemo } from './breast-cancer.mjs';
import { genomicsDemo } from './genomics.mjs';
import { imageDiagnosisDemo } from './image-diagnosis.mjs';
import { medicalImagesDemo } from './medical-images.mjs';
import { moleculeGenerationDemo } from './molecule-generation.mjs';

const { values: args } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    epochs: { type: 'string' },
  },
});
registerTrainingKernels(); // the CNN's gradients on wasm, faster ones on cpu
await tf.setBackend(args.backend);
await tf.ready();
console.log(`backend: ${tf.getBackend()}`);
const cap = args.epochs === undefined ? undefined : Number(args.epochs);
await breastCancerDemo({ epochs: Math.min(40, cap ?? 40) });
await medicalImagesDemo();
await imageDiagnosisDemo({ epochs: Math.min(12, cap ?? 12) });
await genomicsDemo();
await moleculeGenerationDemo({ epochs: Math.min(20, cap ?? 20), samples: 500 });
