/**
 * Explanations are tested for meaning, not only shape: on a task where the class is decided by
 * a bright patch at a known place, the peak of each heatmap falls on the patch (2D and 3D).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../src/backend/index.js';
import { MedkitError } from '../../src/core/index.js';
import {
  createResNet,
  createSimpleCnn,
  gradCam,
  occlusionSensitivity,
  overlayHeatmap,
  saliencyMap,
  trainClassifier,
} from '../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

/** Runs `fn` and checks it leaves exactly one new tensor: the map it returns. */
async function onlyResult(fn: () => Promise<tf.Tensor>): Promise<tf.Tensor> {
  const before = tf.memory().numTensors;
  const out = await fn();
  expect(tf.memory().numTensors).toBe(before + 1);
  return out;
}

import { patchImages, patchRegion } from '../helpers/images.js';

const SIZE = 16;

beforeAll(() => {
  registerTrainingKernels();
});

/** The flat index of the largest value, as coordinates. */
async function peak(map: tf.Tensor): Promise<number[]> {
  const values = await map.data();
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  const coords: number[] = [];
  for (let axis = map.rank - 1; axis >= 0; axis--) {
    coords.unshift(best % map.shape[axis]!);
    best = Math.floor(best / map.shape[axis]!);
  }
  return coords;
}

/**
 * Within the patch, allowing `margin` pixels around it (2 = one cell of the half-resolution
 * feature maps the heatmaps are upsampled from).
 */
function onPatch(coords: number[], margin: number): boolean {
  const PATCH = patchRegion(SIZE);
  const [r, c] = coords.slice(-2) as [number, number];
  const within = (v: number, [a, b]: readonly [number, number]) =>
    v >= a - margin && v < b + margin;
  const sliceOk = coords.length === 3 ? within(coords[0]!, PATCH.slices) : true;
  return sliceOk && within(r, PATCH.rows) && within(c, PATCH.cols);
}

async function trained(build: () => tfl.LayersModel, volume = false): Promise<tfl.LayersModel> {
  const { x, y } = patchImages(64, SIZE, 11, volume);
  const model = build();
  await trainClassifier(model, { x, y }, { epochs: 8, batchSize: 16, learningRate: 0.01, seed: 1 });
  tf.dispose([x, y]);
  return model;
}

describeBackends('explanations find the patch', () => {
  let model: tfl.LayersModel;
  let image: tf.Tensor;

  beforeAll(async () => {
    model = await trained(() =>
      createSimpleCnn({
        inputShape: [SIZE, SIZE, 1],
        numClasses: 2,
        filters: [8, 16],
        denseUnits: 16,
        seed: 2,
      }),
    );
    const { x, y } = patchImages(2, SIZE, 99);
    image = tf.tidy(() => tf.squeeze(tf.slice(x, [1, 0, 0, 0], [1, -1, -1, -1]), [0])); // class 1
    tf.dispose([x, y]);
    return () => {
      image.dispose();
      model.dispose();
    };
  });

  it('gradCam: [h, w] in [0, 1], peak on the patch, no leak', async () => {
    const map = await onlyResult(() => gradCam(model, image, { classIndex: 1 }));
    expect(map.shape).toEqual([SIZE, SIZE]);
    const v = await map.data();
    expect(Math.max(...v)).toBeCloseTo(1, 5);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(onPatch(await peak(map), 2)).toBe(true);
    map.dispose();
  });

  it('gradCam on a named layer and on a batch; default class = top class', async () => {
    const single = tf.expandDims(image, 0);
    const one = await gradCam(model, single);
    expect(one.shape).toEqual([SIZE, SIZE]); // a batch of one gives one map, as for one image
    tf.dispose([single, one]);
    const batch = tf.stack([image, image]);
    const maps = await gradCam(model, batch, { layerName: 'simple_cnn_conv1' });
    expect(maps.shape).toEqual([2, SIZE, SIZE]);
    const first = tf.tidy(() => tf.squeeze(tf.slice(maps, [0, 0, 0], [1, -1, -1]), [0]));
    expect(onPatch(await peak(first), 2)).toBe(true);
    tf.dispose([batch, maps, first]);
  });

  it('occlusionSensitivity: peak on the patch, no leak', async () => {
    const before = tf.memory().numTensors;
    const map = await occlusionSensitivity(model, image, {
      patchSize: 2,
      stride: 1,
      classIndex: 1,
    });
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(map.shape).toEqual([SIZE, SIZE]);
    expect(onPatch(await peak(map), 1)).toBe(true);
    map.dispose();
  });

  it('saliencyMap and SmoothGrad: peak on the patch, seeded', async () => {
    const before = tf.memory().numTensors;
    const plain = await saliencyMap(model, image, { classIndex: 1 });
    const smooth = await saliencyMap(model, image, { classIndex: 1, samples: 8, seed: 3 });
    const again = await saliencyMap(model, image, { classIndex: 1, samples: 8, seed: 3 });
    expect(tf.memory().numTensors).toBe(before + 3);
    expect(onPatch(await peak(plain), 2)).toBe(true);
    expect(onPatch(await peak(smooth), 2)).toBe(true);
    expect(Array.from(await again.data())).toEqual(Array.from(await smooth.data()));
    tf.dispose([plain, smooth, again]);
  });

  it('overlayHeatmap: RGBA pixels, hot where the heat is', async () => {
    const map = await gradCam(model, image, { classIndex: 1 });
    const { data, width, height } = await expectNoLeak(() =>
      overlayHeatmap(image, map, { alpha: 1 }),
    );
    expect([width, height, data.length]).toEqual([SIZE, SIZE, SIZE * SIZE * 4]);
    const [r, c] = (await peak(map)) as [number, number];
    const p = (r * SIZE + c) * 4;
    expect(data[p]).toBeGreaterThan(data[p + 2]!); // red over blue at the peak (jet)
    expect(data[p + 3]).toBe(255);
    map.dispose();
  });
});

describe('Grad-CAM in 3D and through residual connections', () => {
  it('a 3D CNN: Grad-CAM, occlusion and saliency maps [d, h, w] peak on the patch', {
    timeout: 120_000,
  }, async () => {
    await tf.setBackend('wasm');
    const model = await trained(
      () =>
        createSimpleCnn({
          inputShape: [SIZE, SIZE, SIZE, 1],
          numClasses: 2,
          filters: [4, 8],
          denseUnits: 8,
          seed: 2,
        }),
      true,
    );
    const { x, y } = patchImages(2, SIZE, 98, true);
    const volume = tf.tidy(() =>
      tf.squeeze(tf.slice(x, [1, 0, 0, 0, 0], [1, -1, -1, -1, -1]), [0]),
    );
    const map = await onlyResult(() => gradCam(model, volume, { classIndex: 1 }));
    expect(map.shape).toEqual([SIZE, SIZE, SIZE]);
    expect(onPatch(await peak(map), 2)).toBe(true);
    // occlusion and saliency work on volumes too
    const occluded = await onlyResult(() =>
      occlusionSensitivity(model, volume, { patchSize: 4, stride: 2, classIndex: 1 }),
    );
    expect(occluded.shape).toEqual([SIZE, SIZE, SIZE]);
    expect(onPatch(await peak(occluded), 2)).toBe(true);
    const salient = await onlyResult(() => saliencyMap(model, volume, { classIndex: 1 }));
    expect(salient.shape).toEqual([SIZE, SIZE, SIZE]);
    expect(onPatch(await peak(salient), 2)).toBe(true);
    tf.dispose([occluded, salient]);
    tf.dispose([x, y, volume, map]);
    model.dispose();
  });

  it('a ResNet (functional graph with shortcuts): runs, [0, 1], no leak', async () => {
    await tf.setBackend('cpu');
    const model = createResNet({
      inputShape: [8, 8, 1],
      numClasses: 2,
      stages: [1, 1],
      baseFilters: 4,
    });
    const image = tf.randomUniform([8, 8, 1], 0, 1, 'float32', 5);
    const map = await onlyResult(() =>
      gradCam(model, image, { layerName: 'resnet_stage2_block1_conv1' }),
    );
    const v = await map.data();
    expect(map.shape).toEqual([8, 8]);
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThanOrEqual(1);
    tf.dispose([image, map]);
    model.dispose();
  });
});

describe('explanations refuse bad input', () => {
  it.each([
    [
      'an unknown layer',
      (m: tfl.LayersModel, x: tf.Tensor) => gradCam(m, x, { layerName: 'nope' }),
      /no layer named "nope"/,
    ],
    [
      'a layer without feature maps',
      (m: tfl.LayersModel, x: tf.Tensor) => gradCam(m, x, { layerName: 'simple_cnn_dense' }),
      /feature maps/,
    ],
    [
      'a class out of range',
      (m: tfl.LayersModel, x: tf.Tensor) => gradCam(m, x, { classIndex: 5 }),
      /classIndex/,
    ],
    [
      'a wrong image shape',
      (m: tfl.LayersModel) => gradCam(m, tf.zeros([8, 8, 3])),
      /does not fit/,
    ],
    ['NaN pixels', (m: tfl.LayersModel) => saliencyMap(m, tf.fill([8, 8, 1], Number.NaN)), /NaN/],
    [
      'a batch for occlusion',
      (m: tfl.LayersModel, x: tf.Tensor) => occlusionSensitivity(m, tf.stack([x, x])),
      /one image/,
    ],
    [
      'a patch larger than the image',
      (m: tfl.LayersModel, x: tf.Tensor) => occlusionSensitivity(m, x, { patchSize: 9 }),
      /larger than the image/,
    ],
    [
      'an overlay of the wrong size',
      (_m: tfl.LayersModel, x: tf.Tensor) => overlayHeatmap(x, tf.zeros([4, 4])),
      /\[8, 8\]/,
    ],
    [
      'not a model',
      (_m: tfl.LayersModel, x: tf.Tensor) => gradCam({} as never, x),
      /tfjs-layers model/,
    ],
  ])('%s', async (_what, call, message) => {
    await tf.setBackend('cpu');
    const m = createSimpleCnn({
      inputShape: [8, 8, 1],
      numClasses: 2,
      filters: [2, 2],
      denseUnits: 4,
    });
    const x = tf.zeros([8, 8, 1]);
    await expect(call(m, x)).rejects.toThrow(MedkitError);
    await expect(call(m, x)).rejects.toThrow(message);
    x.dispose();
    m.dispose();
  });
});

describe('explanations whose gradients overflow', () => {
  it('are a BackendError, never a map of NaN', async () => {
    // cpu: its kernels keep the NaN of ∞ − ∞ (the check itself is the same on every backend)
    await tf.setBackend('cpu');
    const m = createSimpleCnn({
      inputShape: [8, 8, 1],
      numClasses: 2,
      filters: [2],
      denseUnits: 0,
      seed: 1,
    });
    // logits weights near float32's limit: the class score and its gradient overflow
    const logits = m.getLayer('simple_cnn_logits');
    logits.setWeights(logits.getWeights().map((w) => tf.fill(w.shape, 3e38)));
    const x = tf.fill([8, 8, 1], 1);
    await expectNoLeak(async () => {
      for (const explain of [gradCam, saliencyMap]) {
        await expect(explain(m, x, { classIndex: 1 })).rejects.toThrow(
          /the map came out non-finite .* the model's gradients overflowed/,
        );
      }
    });
    x.dispose();
    m.dispose();
  });
});
