/**
 * The imaging part of the demo: lesion detection on real anatomy, with tfjs-medkit/vision.
 *
 * No labelled real lesions can be had here, so the task is built honestly and said to be
 * simulated: lesions (ellipses 2–5 px in radius, of seeded shape, orientation and contrast,
 * bright or dark, with soft edges and texture) are inserted into 32×32 patches of real brain MRI, CT and MR
 * slices (examples/data: dipy's b=0 brain slices and T1 coronal slice, pydicom's CT and MR, and
 * nibabel's anatomical volume), at positions inside the anatomy. Half the patches get one. A CNN
 * learns to detect them; the split is by source slice (no slice gives patches to both sides).
 * Reported: detection ROC AUC with a bootstrap interval, the confusion matrix, calibration, and
 * how well Grad-CAM localises the lesion (pointing game and heatmap mass inside the lesion), each
 * against a random map.
 */
import { readFile } from 'node:fs/promises';
import * as tf from '@tensorflow/tfjs-core';
import { Random } from 'tfjs-medkit';
import {
  bootstrapCi,
  calibrationCurve,
  confusionMatrix,
  expectedCalibrationError,
  rocAuc,
  rocCurve,
} from 'tfjs-medkit/metrics';
import {
  createAugmentation,
  createSimpleCnn,
  gradCam,
  occlusionSensitivity,
  overlayHeatmap,
  readDicom,
  readNifti,
  scaleIntensityPercentiles,
  trainClassifier,
  windowIntensity,
} from 'tfjs-medkit/vision';
import { confusionChart, lineChart, reliabilityChart, rocChart } from './report/charts.mjs';
import { displayValues, figure, img, pngDataUrl } from './report/html.mjs';

const P = 32; // patch size
const data = (name) => new URL(`./data/${name}`, import.meta.url);
const bytes = async (name) => new Uint8Array(await readFile(data(name)));

/** A 2-D slice of a [nx, ny, nz] volume, displayed anterior up: [ny, nx]. */
const axialSlice = (volume, z) =>
  tf.tidy(() => {
    const [nx, ny] = volume.shape;
    const s = tf.reshape(tf.slice(volume, [0, 0, z], [nx, ny, 1]), [nx, ny]);
    return tf.reverse(tf.transpose(s), 0);
  });

/** Scales to [0, 1] between the 1st and 99th percentiles, clipped: each source on one scale. */
const unitScale = (t) => scaleIntensityPercentiles(t, { lower: 1, upper: 99, clip: true });

/** The real slices, each [h, w] in [0, 1], with a name, a group and the split it belongs to. */
export async function loadSources() {
  const sources = [];
  const add = async (name, image, split) => {
    const [h, w] = image.shape;
    sources.push({ name, h, w, split, values: Float32Array.from(await image.data()) });
    image.dispose();
  };
  // dipy: ten b=0 brain slices (128×128, 2 mm); slices 1, 5 and 8 held out
  const b0 = await readNifti(await bytes('mri/brain_b0_10slices.nii.gz'));
  const b0v = tf.tidy(() => tf.reshape(b0.volume, b0.volume.shape.slice(0, 3)));
  for (let z = 0; z < 10; z++) {
    const s = axialSlice(b0v, z);
    await add(`brain b=0 slice ${z}`, await unitScale(s), [1, 5, 8].includes(z) ? 'test' : 'train');
    s.dispose();
  }
  tf.dispose([b0.volume, b0v]);
  // dipy: a T1 coronal slice (256×256, 1 mm), halved to 2 mm like the b=0 slices
  const t1 = await readNifti(await bytes('mri/brain_t1_coronal_slice.nii.gz'));
  const t1s = tf.tidy(() => {
    const s = axialSlice(tf.reshape(t1.volume, [256, 256, 1]), 0);
    return tf.squeeze(tf.image.resizeBilinear(tf.expandDims(s, -1), [128, 128]), [2]);
  });
  await add('brain T1 coronal', await unitScale(t1s), 'train');
  tf.dispose([t1.volume, t1s]);
  // pydicom: a CT slice (128×128, HU) in the mediastinal window, and an MR slice (64×64)
  const ct = await readDicom(await bytes('dicom/CT_small.dcm'));
  await add('CT slice', windowIntensity(ct.image, 'mediastinum'), 'train');
  ct.image.dispose();
  const mr = await readDicom(await bytes('dicom/MR_small.dcm'));
  await add('MR slice', await unitScale(mr.image), 'test');
  mr.image.dispose();
  // nibabel: an anatomical MRI volume (33×41×25, 2 mm): axial slices 8–16, doubled in size
  const anat = await readNifti(await bytes('anatomical.nii'));
  for (let z = 8; z <= 16; z++) {
    const s = tf.tidy(() => {
      const a = axialSlice(tf.reshape(anat.volume, anat.volume.shape.slice(0, 3)), z);
      const [h, w] = a.shape;
      return tf.squeeze(tf.image.resizeBilinear(tf.expandDims(a, -1), [2 * h, 2 * w]), [2]);
    });
    await add(`anatomical slice ${z}`, await unitScale(s), [10, 14].includes(z) ? 'test' : 'train');
    s.dispose();
  }
  anat.volume.dispose();
  return sources;
}

/** Patches of a source inside its anatomy, half with a simulated lesion. */
export function samplePatches(source, count, random, group) {
  const { h, w, values } = source;
  const tissue = (y, x) => values[y * w + x] > 0.15;
  const out = [];
  for (let tries = 0; out.length < count && tries < count * 60; tries++) {
    const y0 = random.int(h - P + 1);
    const x0 = random.int(w - P + 1);
    const patch = new Float32Array(P * P);
    let inside = 0;
    for (let y = 0; y < P; y++)
      for (let x = 0; x < P; x++) {
        patch[y * P + x] = values[(y0 + y) * w + x0 + x];
        if (tissue(y0 + y, x0 + x)) inside++;
      }
    if (inside < 0.5 * P * P) continue;
    const mask = new Uint8Array(P * P);
    const lesion = random.nextFloat() < 0.5;
    if (lesion) {
      // a centre inside the tissue, away from the border
      let cy = 0;
      let cx = 0;
      for (let k = 0; k < 100; k++) {
        cy = 6 + random.int(P - 12);
        cx = 6 + random.int(P - 12);
        if (tissue(y0 + cy, x0 + cx)) break;
      }
      const a = random.uniform(2, 5);
      const b = random.uniform(2, 5);
      const theta = random.uniform(0, Math.PI);
      const contrast = (random.nextFloat() < 0.6 ? 1 : -1) * random.uniform(0.2, 0.5);
      const [c, s] = [Math.cos(theta), Math.sin(theta)];
      for (let y = 0; y < P; y++)
        for (let x = 0; x < P; x++) {
          const u = (x - cx) * c + (y - cy) * s;
          const v = -(x - cx) * s + (y - cy) * c;
          const d = Math.sqrt((u / a) ** 2 + (v / b) ** 2);
          const weight = 1 / (1 + Math.exp((d - 1) / 0.12));
          if (weight > 1e-3)
            patch[y * P + x] += contrast * weight * (0.85 + 0.3 * random.nextFloat());
          if (d <= 1) mask[y * P + x] = 1;
        }
    }
    for (let i = 0; i < P * P; i++) patch[i] += random.normal(0, 0.02);
    out.push({ patch, mask, label: lesion ? 1 : 0, group, source: source.name });
  }
  return out;
}

/** Pointing game and mass share of one heatmap for one lesion mask, and their random baselines. */
function localisation(heat, mask) {
  // the lesion grown by one pixel: the pointing game's tolerance
  const grown = new Uint8Array(P * P);
  for (let y = 0; y < P; y++)
    for (let x = 0; x < P; x++) {
      if (!mask[y * P + x]) continue;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < P && xx >= 0 && xx < P) grown[yy * P + xx] = 1;
        }
    }
  let best = 0;
  let total = 0;
  let inside = 0;
  let area = 0;
  let grownArea = 0;
  for (let i = 0; i < P * P; i++) {
    if (heat[i] > heat[best]) best = i;
    total += heat[i];
    if (mask[i]) {
      inside += heat[i];
      area++;
    }
    grownArea += grown[i];
  }
  return {
    hit: grown[best] === 1,
    mass: total > 0 ? inside / total : 0,
    // a random map with independent values: its maximum is anywhere, its mass spread evenly
    hitChance: grownArea / (P * P),
    massChance: area / (P * P),
  };
}

/** The same two measures for seeded uniform random maps, averaged (the measured baseline). */
function randomMaps(masks, random, draws = 50) {
  let hits = 0;
  let mass = 0;
  const heat = new Float32Array(P * P);
  for (const mask of masks)
    for (let d = 0; d < draws; d++) {
      for (let i = 0; i < heat.length; i++) heat[i] = random.nextFloat();
      const m = localisation(heat, mask);
      hits += m.hit ? 1 : 0;
      mass += m.mass;
    }
  const n = masks.length * draws;
  return { hitRate: hits / n, mass: mass / n };
}

/** The lesion outline drawn green on RGBA pixels. */
function outline(rgba, mask) {
  for (let y = 0; y < P; y++)
    for (let x = 0; x < P; x++) {
      if (!mask[y * P + x]) continue;
      const edge = [
        [0, 1],
        [1, 0],
        [0, -1],
        [-1, 0],
      ].some(([dy, dx]) => {
        const yy = y + dy;
        const xx = x + dx;
        return yy < 0 || yy >= P || xx < 0 || xx >= P || !mask[yy * P + xx];
      });
      if (edge) rgba.set([0, 230, 0, 255], (y * P + x) * 4);
    }
  return rgba;
}

const patchPng = (values) => pngDataUrl({ width: P, height: P, channels: 1, values });
const maskPng = (mask) => pngDataUrl({ width: P, height: P, channels: 1, values: mask });

/**
 * Runs the imaging part on the active backend; returns the report section.
 *
 * @param {{ epochs?: number, quick?: boolean, seed?: number, show: Function }} options
 */
export async function lesionDetectionDemo({ epochs = 20, quick = false, seed = 2026, show }) {
  const random = new Random(seed);
  const sources = await loadSources();
  const perSource = quick ? { train: 48, test: 40 } : { train: 140, test: 90 };
  const patches = { train: [], test: [] };
  sources.forEach((s, g) => {
    patches[s.split].push(...samplePatches(s, perSource[s.split], random, g));
  });
  const toX = (list) =>
    tf.tensor4d(
      list.flatMap((p) => Array.from(p.patch)),
      [list.length, P, P, 1],
    );
  const train = patches.train;
  const test = patches.test;
  const trainSources = sources.filter((s) => s.split === 'train').map((s) => s.name);
  const testSources = sources.filter((s) => s.split === 'test').map((s) => s.name);
  console.log(
    `\nImaging: simulated lesions in real anatomy: ${train.length} training patches from ${trainSources.length} slices, ${test.length} held-out patches from ${testSources.length} other slices`,
  );

  // --- train: a small CNN, validation split by source slice, flips and quarter turns ---
  const x = toX(train);
  const model = createSimpleCnn({
    inputShape: [P, P, 1],
    numClasses: 2,
    filters: [16, 32, 64],
    denseUnits: 64,
    seed,
  });
  const started = performance.now();
  const result = await trainClassifier(
    model,
    { x, y: train.map((p) => p.label) },
    {
      epochs,
      batchSize: 32,
      learningRate: 2e-3,
      seed,
      validationSplit: 0.2,
      groups: train.map((p) => p.group),
      augment: createAugmentation(
        [{ kind: 'flip', axes: [0, 1], probability: 0.5 }, { kind: 'rotate90' }],
        { seed },
      ),
    },
  );
  const seconds = (performance.now() - started) / 1000;
  x.dispose();

  // --- held-out slices: detection ---
  const xTest = toX(test);
  const yTest = test.map((p) => p.label);
  const probT = tf.tidy(() =>
    tf.squeeze(tf.slice(tf.softmax(model.predict(xTest)), [0, 1], [-1, 1]), [1]),
  );
  const prob = Array.from(await probT.data());
  probT.dispose();
  const auc = rocAuc(yTest, prob);
  const ci = bootstrapCi(rocAuc, yTest, prob, { nResamples: 1000, seed });
  const curve = rocCurve(yTest, prob);
  const predicted = prob.map((p) => (p >= 0.5 ? 1 : 0));
  const cm = confusionMatrix(yTest, predicted);
  const [[tn, fp], [fn, tp]] = cm;
  const sensitivity = tp / (tp + fn);
  const specificity = tn / (tn + fp);
  const calibration = calibrationCurve(yTest, prob, { nBins: 10 });
  const ece = expectedCalibrationError(yTest, prob, { nBins: 10 });
  console.log(
    `  trained ${result.epochs} epochs in ${seconds.toFixed(1)} s; held-out detection ROC AUC ${auc.toFixed(3)} (95% bootstrap CI ${ci.lower.toFixed(3)}–${ci.upper.toFixed(3)}), sensitivity ${sensitivity.toFixed(3)}, specificity ${specificity.toFixed(3)}`,
  );

  // --- where the network looks: Grad-CAM on every held-out lesion it found ---
  const tpIdx = test.flatMap((p, i) => (p.label === 1 && predicted[i] === 1 ? [i] : []));
  const fpIdx = test.flatMap((p, i) => (p.label === 0 && predicted[i] === 1 ? [i] : []));
  const batchOf = (idx) => tf.tidy(() => tf.gather(xTest, tf.tensor1d(idx, 'int32')));
  const tpBatch = batchOf(tpIdx);
  const tpCams = tpIdx.length ? await gradCam(model, tpBatch, { classIndex: 1 }) : undefined;
  const camValues = tpCams ? await tpCams.data() : new Float32Array(0);
  const measures = tpIdx.map((i, k) =>
    localisation(camValues.subarray(k * P * P, (k + 1) * P * P), test[i].mask),
  );
  const mean = (f) => measures.reduce((a, m) => a + f(m), 0) / (measures.length || 1);
  const pointing = mean((m) => (m.hit ? 1 : 0));
  const massInside = mean((m) => m.mass);
  const chance = { hit: mean((m) => m.hitChance), mass: mean((m) => m.massChance) };
  const measured = randomMaps(
    tpIdx.map((i) => test[i].mask),
    new Random(seed + 1),
  );
  console.log(
    `  Grad-CAM on ${tpIdx.length} detected lesions: pointing game ${pointing.toFixed(3)} (random map ${measured.hitRate.toFixed(3)}), heatmap mass inside the lesion ${massInside.toFixed(3)} (random map ${measured.mass.toFixed(3)})`,
  );

  // --- pictures ---
  const overlays = async (idx, cams, withOutline) => {
    const out = [];
    for (let k = 0; k < Math.min(4, idx.length); k++) {
      const i = idx[k];
      const image = tf.tidy(() =>
        tf.reshape(tf.slice(xTest, [i, 0, 0, 0], [1, -1, -1, -1]), [P, P]),
      );
      const heat = tf.tidy(() => tf.reshape(tf.slice(cams, [k, 0, 0], [1, -1, -1]), [P, P]));
      const { data: rgba } = await overlayHeatmap(image, heat, { alpha: 0.5 });
      if (withOutline) outline(rgba, test[i].mask);
      out.push(
        figure(
          img(pngDataUrl({ width: P, height: P, channels: 4, values: rgba, bytes: true }), {
            alt: `Grad-CAM, held-out patch ${i}`,
            size: 150,
          }),
          `${test[i].source}; p(lesion) ${prob[i].toFixed(2)}`,
        ),
      );
      tf.dispose([image, heat]);
    }
    return out;
  };
  const tpFigures = tpCams ? await overlays(tpIdx, tpCams, true) : [];
  const fpBatch = fpIdx.length ? batchOf(fpIdx.slice(0, 4)) : undefined;
  const fpCams = fpBatch ? await gradCam(model, fpBatch, { classIndex: 1 }) : undefined;
  const fpFigures = fpCams ? await overlays(fpIdx, fpCams, false) : [];

  // occlusion: the drop in p(lesion) when a 6×6 square is greyed out, on one detected lesion
  let occlusionFigure = '<p>No lesion was detected, so there is no occlusion map.</p>';
  if (tpIdx.length) {
    const i = tpIdx[0];
    const image = tf.tidy(() =>
      tf.reshape(tf.slice(xTest, [i, 0, 0, 0], [1, -1, -1, -1]), [P, P, 1]),
    );
    const occ = await occlusionSensitivity(model, image, {
      patchSize: 6,
      stride: 2,
      classIndex: 1,
      probabilities: true,
    });
    const grey = tf.reshape(image, [P, P]);
    const { data: rgba } = await overlayHeatmap(grey, occ, { alpha: 0.6, colormap: 'hot' });
    occlusionFigure = figure(
      img(
        pngDataUrl({
          width: P,
          height: P,
          channels: 4,
          values: outline(rgba, test[i].mask),
          bytes: true,
        }),
        {
          alt: 'occlusion map',
          size: 200,
        },
      ) + img(patchPng(await displayValues(grey)), { alt: 'the patch', size: 200 }),
      `Occlusion sensitivity of held-out patch ${i} (${test[i].source}): how much p(lesion) drops when a 6×6 square is covered (hot = large drop); green: the inserted lesion.`,
    );
    tf.dispose([image, occ, grey]);
  }

  // the real slices as loaded (CT in three windows)
  const sliceFigures = [];
  const ct = await readDicom(await bytes('dicom/CT_small.dcm'));
  for (const preset of ['lung', 'mediastinum', 'bone']) {
    const w = windowIntensity(ct.image, preset);
    sliceFigures.push(
      figure(
        img(
          pngDataUrl({
            width: w.shape[1],
            height: w.shape[0],
            channels: 1,
            values: await w.data(),
          }),
          {
            alt: `CT, ${preset} window`,
            size: 180,
          },
        ),
        `CT, ${preset} window (HU)`,
      ),
    );
    w.dispose();
  }
  ct.image.dispose();
  for (const name of ['brain b=0 slice 3', 'brain T1 coronal', 'MR slice', 'anatomical slice 12']) {
    const s = sources.find((t) => t.name === name);
    sliceFigures.push(
      figure(
        img(pngDataUrl({ width: s.w, height: s.h, channels: 1, values: s.values }), {
          alt: name,
          size: 180,
        }),
        `${name} (${s.split === 'test' ? 'held out' : 'training'}), scaled between its 1st and 99th percentiles`,
      ),
    );
  }

  // augmentation: a patch and its lesion mask moved with the same draws
  const example = train.find((p) => p.label === 1);
  const exImage = tf.tensor4d(example.patch, [1, P, P, 1]);
  const exMask = tf.tensor4d(Float32Array.from(example.mask), [1, P, P, 1]);
  const augFigures = [
    figure(
      img(patchPng(example.patch), { alt: 'original patch', size: 110 }) +
        img(maskPng(example.mask), { alt: 'original mask', size: 110 }),
      'original: patch | lesion mask',
    ),
  ];
  const pipeline = createAugmentation(
    [
      { kind: 'rotate', degrees: [-30, 30] },
      { kind: 'zoom', range: [0.85, 1.2] },
      { kind: 'elastic', magnitude: 1.5 },
      { kind: 'flip', axes: [1], probability: 0.5 },
    ],
    { seed },
  );
  for (let k = 0; k < 3; k++) {
    const a = pipeline.withMask(exImage, exMask);
    augFigures.push(
      figure(
        img(patchPng(await a.image.data()), { alt: `augmented patch ${k + 1}`, size: 110 }) +
          img(maskPng(await a.mask.data()), { alt: `augmented mask ${k + 1}`, size: 110 }),
        `draw ${k + 1}: the same rotation, zoom and elastic field for both`,
      ),
    );
    tf.dispose([a.image, a.mask]);
  }
  tf.dispose([exImage, exMask, xTest, tpBatch, tpCams ?? [], fpBatch ?? [], fpCams ?? []]);
  model.dispose();

  const h = result.history;
  const html = `
<p class="note"><b>The lesions are simulated.</b> No labelled real lesions are available to this
demo, so lesions (ellipses 2–5 px in radius, of seeded shape, orientation and contrast, bright
or dark, with soft edges and texture) were inserted into 32×32 patches of <b>real</b> brain MRI,
CT and MR slices, inside the anatomy. The numbers below measure detection of these simulated
lesions, not of any disease.</p>
<p>Split by source slice: ${show('imaging.trainPatches', train.length, 0)} training patches from
${trainSources.length} slices (${trainSources.join(', ')}), ${show('imaging.testPatches', test.length, 0)}
held-out patches from ${testSources.length} other slices (${testSources.join(', ')}). The
validation split inside training is by slice too. A CNN (three convolution blocks, 16, 32 and
64 filters) trained ${show('imaging.epochs', result.epochs, 0)} epochs with flips and quarter turns
in ${seconds.toFixed(0)} s.</p>
<h3>The real slices</h3><div class="grid">${sliceFigures.join('')}</div>
<h3>Augmentation: image and mask moved together</h3><div class="grid">${augFigures.join('')}</div>
<h3>Training</h3><div class="grid">
${figure(
  lineChart({
    title: 'Loss per epoch',
    xLabel: 'epoch',
    yLabel: 'cross-entropy',
    series: [
      { name: 'training', y: h.loss },
      { name: 'validation (other slices)', y: h.valLoss, dashed: true },
    ],
  }),
  'Training and validation loss.',
)}
${figure(
  lineChart({
    title: 'Accuracy per epoch',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    series: [
      { name: 'training', y: h.accuracy },
      { name: 'validation', y: h.valAccuracy, dashed: true },
    ],
  }),
  'Training and validation accuracy.',
)}
</div>
<h3>Detection on held-out slices</h3>
<p>ROC AUC ${show('imaging.auc', auc)} (95% bootstrap interval ${show('imaging.aucLower', ci.lower)}–${show('imaging.aucUpper', ci.upper)},
1,000 resamples); at p ≥ 0.5: sensitivity ${show('imaging.sensitivity', sensitivity)}, specificity
${show('imaging.specificity', specificity)}; expected calibration error ${show('imaging.ece', ece)}.</p>
<div class="grid">
${figure(rocChart({ title: 'ROC, simulated lesion detection', curves: [{ name: `CNN, AUC ${auc.toFixed(3)}`, fpr: curve.fpr, tpr: curve.tpr }] }), 'Held-out patches; dashed: chance.')}
${figure(confusionChart({ title: 'Confusion matrix at p ≥ 0.5', matrix: cm, labels: ['no lesion', 'lesion'] }), `${tp} true positives, ${fp} false positives, ${fn} false negatives, ${tn} true negatives.`)}
${figure(reliabilityChart({ title: 'Reliability diagram', predicted: calibration.probPred, observed: calibration.probTrue, counts: calibration.counts }), 'Ten bins of equal width.')}
</div>
<h3>Does the network look at the lesion? Grad-CAM</h3>
<p>On the ${show('imaging.detected', tpIdx.length, 0)} held-out lesions it detected: the heatmap's
maximum falls on the lesion (within one pixel) in ${show('imaging.pointing', pointing)} of them
(pointing game; a random map: ${show('imaging.pointingRandom', measured.hitRate)} measured over 50 seeded
uniform maps per case, ${chance.hit.toFixed(3)} expected), and ${show('imaging.massInside', massInside)} of the heatmap's mass lies
inside the lesion (a random map: ${show('imaging.massRandom', measured.mass)}; the lesions cover ${chance.mass.toFixed(3)}
of a patch).</p>
<p>True positives (green: the inserted lesion):</p><div class="grid">${tpFigures.join('')}</div>
<p>False positives (no lesion was inserted; what drew the network):</p><div class="grid">${fpFigures.join('') || '<p>none</p>'}</div>
<h3>Occlusion</h3><div class="grid">${occlusionFigure}</div>`;
  return { id: 'imaging', title: 'Imaging: simulated lesions in real anatomy', html };
}
