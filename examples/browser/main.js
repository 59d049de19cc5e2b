/**
 * tfjs-medkit in a browser page: open or drop a DICOM, NIfTI or PNG file, window it, train (or
 * load from IndexedDB) a small CT-or-MR classifier, and predict with a Grad-CAM overlay, on the
 * backend you pick. Nothing leaves the page: files are read with the File API, the model is kept
 * in the browser's IndexedDB.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { loadModel, registerTrainingKernels, saveModel } from 'tfjs-medkit';
import {
  createAugmentation,
  createSimpleCnn,
  gradCam,
  overlayHeatmap,
  readDicom,
  readImage,
  readNifti,
  scaleIntensityPercentiles,
  trainClassifier,
  windowIntensity,
} from 'tfjs-medkit/vision';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmPlain,
  'tfjs-backend-wasm-simd.wasm': wasmSimd,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
});

const SIZE = 64; // the classifier's input: SIZE × SIZE, one channel
const CLASSES = ['CT', 'MR'];
const STORE = 'indexeddb://tfjs-medkit-ct-or-mr';
const $ = (id) => document.getElementById(id);
const state = { raw: undefined, modality: 'image', name: '', model: undefined };

function say(text) {
  $('status').textContent = text;
}

/** Reads a file's bytes into a 2-D image in its own units (HU for CT), and its modality. */
async function readAny(bytes, name) {
  const isDicom = bytes.length > 132 && String.fromCharCode(...bytes.subarray(128, 132)) === 'DICM';
  if (isDicom) {
    const { image, meta } = await readDicom(bytes);
    const slice =
      image.rank === 3 && image.shape[2] !== 3
        ? tf.tidy(() => tf.squeeze(tf.slice(image, [0, 0, 0], [1, -1, -1]), [0]))
        : image;
    if (slice !== image) image.dispose();
    const grey = slice.rank === 3 ? tf.tidy(() => tf.mean(slice, 2)) : slice;
    if (grey !== slice) slice.dispose();
    return { raw: grey, modality: String(meta.Modality ?? 'image').trim() };
  }
  if (/\.nii(\.gz)?$/i.test(name)) {
    const { volume } = await readNifti(bytes);
    // the middle slice along the last spatial axis (axial for RAS-stored volumes)
    const [x, y, z] = volume.shape;
    const slice = tf.tidy(() =>
      tf.transpose(tf.reshape(tf.slice(volume, [0, 0, Math.floor(z / 2)], [x, y, 1]), [x, y])),
    );
    volume.dispose();
    return { raw: tf.tidy(() => tf.reverse(slice, 0)), modality: 'MR' };
  }
  const { image } = await readImage(bytes, { channels: 'grey' });
  return {
    raw: image.rank === 3 ? tf.tidy(() => tf.squeeze(image, [2])) : image,
    modality: 'image',
  };
}

/** The image as the classifier sees it: SIZE × SIZE, 1st–99th percentile scaled to [0, 1]. */
async function modelInput(raw) {
  const resized = tf.tidy(() => tf.image.resizeBilinear(tf.expandDims(raw, -1), [SIZE, SIZE]));
  const scaled = await scaleIntensityPercentiles(resized, { clip: true });
  resized.dispose();
  return scaled;
}

async function show(raw) {
  const preset = $('window').value;
  const display =
    preset === 'auto'
      ? await scaleIntensityPercentiles(raw, { clip: true })
      : tf.tidy(() => windowIntensity(raw, preset));
  const canvas = $('image');
  await tf.browser.toPixels(display, canvas);
  display.dispose();
}

async function open(bytes, name) {
  const { raw, modality } = await readAny(bytes, name);
  state.raw?.dispose();
  Object.assign(state, { raw, modality, name });
  if (modality === 'CT') $('window').value = 'abdomen';
  await show(raw);
  $('image-caption').textContent = `${name}: ${modality}, ${raw.shape.join(' × ')}`;
  $('predict').disabled = !state.model;
  say(`opened ${name}`);
}

async function fetchBytes(path) {
  const response = await fetch(path); // the page's own bundled files, nothing external
  return new Uint8Array(await response.arrayBuffer());
}

/** The bundled example slices: 6 CT (DICOM) and 14 MR (a DICOM, and 13 axial slices of a NIfTI volume). */
async function examples() {
  const images = [];
  const labels = [];
  for (const f of ['CT_small.dcm', ...[0, 1, 2, 3, 4].map((i) => `series/file${i}.dcm`)]) {
    const { raw } = await readAny(await fetchBytes(`./dicom/${f}`), f);
    images.push(await modelInput(raw));
    labels.push(0);
    raw.dispose();
  }
  const { raw: mr } = await readAny(await fetchBytes('./dicom/MR_small.dcm'), 'MR_small.dcm');
  images.push(await modelInput(mr));
  labels.push(1);
  mr.dispose();
  const { volume } = await readNifti(await fetchBytes('./anatomical.nii'));
  const [x, y, z] = volume.shape;
  for (let k = 6; k < z - 6; k++) {
    const slice = tf.tidy(() =>
      tf.transpose(tf.reshape(tf.slice(volume, [0, 0, k], [x, y, 1]), [x, y])),
    );
    images.push(await modelInput(slice));
    labels.push(1);
    slice.dispose();
  }
  volume.dispose();
  return { images, labels };
}

async function train() {
  say('reading the bundled examples…');
  const { images, labels } = await examples();
  // every slice 24 times; the augmentation draws a new flip, rotation, zoom and gamma each step
  const repeats = 24;
  const x = tf.tidy(() =>
    tf.concat(images.flatMap((im) => Array(repeats).fill(tf.expandDims(im, 0)))),
  );
  const y = labels.flatMap((l) => Array(repeats).fill(l));
  tf.dispose(images);
  state.model?.dispose();
  const model = createSimpleCnn({
    inputShape: [SIZE, SIZE, 1],
    numClasses: 2,
    filters: [8, 16],
    denseUnits: 32,
    seed: 7,
  });
  const augment = createAugmentation(
    [
      { kind: 'flip', axes: [1], probability: 0.5 },
      { kind: 'rotate', degrees: [-15, 15] },
      { kind: 'zoom', range: [0.85, 1.15] },
      { kind: 'gamma', range: [0.8, 1.25] },
    ],
    { seed: 11 },
  );
  const result = await trainClassifier(
    model,
    { x, y },
    {
      epochs: 4,
      batchSize: 32,
      seed: 5,
      learningRate: 3e-3,
      classWeights: 'balanced',
      augment,
      onProgress: (event) => {
        if (event.type === 'epochEnd')
          say(`training: epoch ${event.epoch}, loss ${(event.loss ?? Number.NaN).toFixed(3)}`);
      },
    },
  );
  x.dispose();
  state.model = model;
  await saveModel(model, STORE);
  const last = result.history.loss.at(-1);
  say(
    `trained on ${labels.length} slices × ${repeats} augmented copies (${result.epochs} epochs, final loss ${last.toFixed(3)}); saved to ${STORE}`,
  );
  $('predict').disabled = !state.raw;
}

async function load() {
  try {
    state.model?.dispose();
    state.model = await loadModel(STORE);
    say(`loaded the classifier from ${STORE}`);
    $('predict').disabled = !state.raw;
  } catch (e) {
    say(`no saved classifier yet (${e.message}); train one first`);
  }
}

async function predict() {
  const input = await modelInput(state.raw);
  const batch = tf.expandDims(input, 0);
  const probabilities = tf.tidy(() => tf.softmax(state.model.predict(batch)));
  const p = await probabilities.data();
  const k = p[1] > p[0] ? 1 : 0;
  const heat = await gradCam(state.model, input, { classIndex: k });
  const grey = tf.squeeze(input, [2]);
  const rgba = await overlayHeatmap(grey, heat, { alpha: 0.55 });
  const canvas = $('overlay');
  canvas.width = rgba.width;
  canvas.height = rgba.height;
  canvas.getContext('2d').putImageData(new ImageData(rgba.data, rgba.width, rgba.height), 0, 0);
  $('prediction').textContent =
    `${CLASSES[k]} (p = ${p[k].toFixed(3)}); Grad-CAM for ${CLASSES[k]}`;
  tf.dispose([input, grey, batch, probabilities, heat]);
  say(
    `predicted ${CLASSES[k]} on ${tf.getBackend()}; tensors in memory: ${tf.memory().numTensors}`,
  );
}

/**
 * Switches the backend. Tensors made on one backend are read back asynchronously (a GPU
 * backend cannot always give its data synchronously) and made again on the new one: the model's
 * weights and the open image.
 */
async function useBackend(name) {
  const weights = state.model
    ? await Promise.all(
        state.model.getWeights().map(async (w) => ({ shape: w.shape, data: await w.data() })),
      )
    : undefined;
  const raw = state.raw ? { shape: state.raw.shape, data: await state.raw.data() } : undefined;
  const ok = await tf.setBackend(name).catch(() => false);
  if (!ok) {
    say(`${name} is not available here; using ${tf.getBackend()}`);
  } else if (name === 'cpu' || name === 'wasm') {
    registerTrainingKernels(); // the library's convolution kernels for cpu and wasm training
  }
  if (weights) {
    const again = weights.map((w) => tf.tensor(w.data, w.shape));
    state.model.setWeights(again);
    tf.dispose(again);
  }
  if (raw) {
    state.raw.dispose();
    state.raw = tf.tensor(raw.data, raw.shape);
  }
  $('backend').value = tf.getBackend();
  $('active').textContent = tf.getBackend();
}

function guard(task) {
  return () =>
    task().catch((e) => {
      say(`error: ${e.message}`);
      console.error(e);
    });
}

$('backend').addEventListener(
  'change',
  guard(() => useBackend($('backend').value)),
);
$('window').addEventListener(
  'change',
  guard(async () => state.raw && show(state.raw)),
);
$('file').addEventListener(
  'change',
  guard(async () => {
    const file = $('file').files[0];
    if (file) await open(new Uint8Array(await file.arrayBuffer()), file.name);
  }),
);
const drop = $('drop');
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const file = e.dataTransfer.files[0];
  if (file) guard(async () => open(new Uint8Array(await file.arrayBuffer()), file.name))();
});
$('example-ct').addEventListener(
  'click',
  guard(async () => open(await fetchBytes('./dicom/CT_small.dcm'), 'CT_small.dcm')),
);
$('example-mr').addEventListener(
  'click',
  guard(async () => open(await fetchBytes('./dicom/MR_small.dcm'), 'MR_small.dcm')),
);
$('train').addEventListener('click', guard(train));
$('load').addEventListener('click', guard(load));
$('predict').addEventListener('click', guard(predict));

// the first backend that starts, in the order of the menu (a URL's ?backend= picks one)
const wanted = new URLSearchParams(location.search).get('backend');
for (const name of wanted ? [wanted] : ['webgpu', 'webgl', 'wasm', 'cpu']) {
  if (await tf.setBackend(name).catch(() => false)) break;
}
await useBackend(tf.getBackend());
window.medkitApp = { state, open, train, load, predict, useBackend };
say('ready');
