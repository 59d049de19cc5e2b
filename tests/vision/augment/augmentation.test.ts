/**
 * createAugmentation: seeded (same seed, same output), exact where the transform is exact
 * (flips, quarter turns, 90° rotations, identities), image and mask moved together (labels stay
 * labels), intensity transforms by their formulas, 2D and 3D batches, the trainer's hook, no
 * leaks, clear errors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerTrainingKernels } from '../../../src/backend/index.js';
import { MedkitError, Random } from '../../../src/core/index.js';
import { createAugmentation, createSimpleCnn, trainClassifier } from '../../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../../helpers/backends.js';
import { expectClose } from '../../helpers/close.js';
import { patchImages } from '../../helpers/images.js';

beforeAll(() => {
  registerTrainingKernels();
});

const batch = () => tf.tidy(() => tf.reshape(tf.range(0, 2 * 5 * 5, 1, 'float32'), [2, 5, 5, 1]));
const arr = async (t: tf.Tensor) => {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
};

describeBackends('createAugmentation', () => {
  it('is seeded: the same seed repeats, another differs; no leak', async () => {
    const x = batch();
    const make = (seed: number) =>
      createAugmentation(
        [
          { kind: 'rotate', degrees: [-30, 30] },
          { kind: 'gaussianNoise', std: 0.1 },
        ],
        { seed },
      );
    await expectNoLeak(async () => {
      const a = await arr(make(1)(x));
      const b = await arr(make(1)(x));
      const c = await arr(make(2)(x));
      expect(b).toEqual(a);
      expect(c).not.toEqual(a);
    });
    x.dispose();
  });

  it('flips and quarter turns are exact', async () => {
    const x = batch();
    const flipped = createAugmentation([{ kind: 'flip', axes: [1] }])(x);
    expect(await arr(flipped)).toEqual(await arr(tf.reverse(x, 2)));
    const upDown = createAugmentation([{ kind: 'flip', axes: [0] }])(x);
    expect(await arr(upDown)).toEqual(await arr(tf.reverse(x, 1)));
    const turned = createAugmentation([{ kind: 'rotate', degrees: [90, 90] }])(x);
    const v = await arr(turned);
    // a quarter turn keeps the multiset of values and moves the corners
    expect([...v].sort((p, q) => p - q)).toEqual(Array.from(await x.data()).sort((p, q) => p - q));
    expect(v.slice(0, 25)).not.toEqual(Array.from(await x.data()).slice(0, 25));
    const same = createAugmentation([
      { kind: 'zoom', range: [1, 1] },
      { kind: 'rotate', degrees: [0, 0] },
    ])(x);
    expectClose(await arr(same), Array.from(await x.data()), { atol: 1e-5 });
    x.dispose();
  });

  it('moves a mask with the image: labels stay labels', async () => {
    const random = new Random(5);
    const x = tf.tidy(() =>
      tf.cast(tf.greater(tf.randomUniform([3, 8, 8, 1], 0, 1, 'float32', 3), 0.6), 'float32'),
    );
    // quarter turns and flips move voxels exactly: the image lands where the mask does
    const exact = createAugmentation([
      { kind: 'rotate90' },
      { kind: 'flip', axes: [0, 1], probability: 0.5 },
    ]);
    const { image, mask } = exact.withMask(x, x, { random });
    expectClose(await arr(image), await arr(mask), { atol: 1e-6 });
    // a sub-voxel translation interpolates the image, while the mask keeps its labels
    const shifted = createAugmentation([{ kind: 'translate', fraction: 0.2 }]).withMask(x, x, {
      random,
    });
    const [iv, mv] = [await arr(shifted.image), await arr(shifted.mask)];
    expect(mv.every((v) => v === 0 || v === 1)).toBe(true);
    expect(iv.every((v) => v >= -1e-6 && v <= 1 + 1e-6)).toBe(true);
    expect(mv.some((v) => v === 1)).toBe(true);
    x.dispose();
  });

  it('intensity transforms follow their formulas', async () => {
    const x = tf.tidy(() => tf.add(tf.randomUniform([1, 6, 6, 1], 0, 1, 'float32', 1), 0.5));
    const xv = Array.from(await x.data());
    const mean = xv.reduce((a, b) => a + b, 0) / xv.length;
    const bright = await arr(createAugmentation([{ kind: 'brightness', range: [0.25, 0.25] }])(x));
    expectClose(
      bright,
      xv.map((v) => v + 0.25),
      { atol: 1e-6 },
    );
    const contrast = await arr(createAugmentation([{ kind: 'contrast', range: [2, 2] }])(x));
    expectClose(
      contrast,
      xv.map((v) => (v - mean) * 2 + mean),
      { atol: 1e-5 },
    );
    const gamma = await arr(createAugmentation([{ kind: 'gamma', range: [2, 2] }])(x));
    const [lo, hi] = [Math.min(...xv), Math.max(...xv)];
    expectClose(
      gamma,
      xv.map((v) => ((v - lo) / (hi - lo)) ** 2 * (hi - lo) + lo),
      { atol: 1e-5 },
    );
    const noisy = await arr(
      createAugmentation([{ kind: 'gaussianNoise', std: 0.5 }], { seed: 4 })(x),
    );
    const diff = noisy.map((v, i) => v - xv[i]!);
    const sd = Math.sqrt(diff.reduce((a, d) => a + d * d, 0) / diff.length);
    expect(sd).toBeGreaterThan(0.3);
    expect(sd).toBeLessThan(0.7);
    x.dispose();
  });

  it('3D batches: rotations in the rows–columns plane, crops and affines keep the shape', async () => {
    const v = tf.randomUniform([2, 4, 6, 6, 1], 0, 1, 'float32', 2);
    const augment = createAugmentation([
      { kind: 'affine', degrees: [-10, 10], scale: [0.9, 1.1], shear: 0.1, translate: 0.1 },
      { kind: 'randomCrop', fraction: [0.7, 0.9] },
    ]);
    const out = augment(v);
    expect(out.shape).toEqual([2, 4, 6, 6, 1]);
    expect((await arr(out)).every(Number.isFinite)).toBe(true);
    const e = createAugmentation([{ kind: 'elastic', magnitude: 1.5 }], { seed: 3 })(
      tf.zeros([1, 8, 8, 1]),
    );
    expect(e.shape).toEqual([1, 8, 8, 1]);
    e.dispose();
    v.dispose();
  });
});

describe('createAugmentation in training and on bad input', () => {
  it('plugs into trainClassifier as its augment hook, reproducibly', async () => {
    await tf.setBackend('cpu');
    const { x, y } = patchImages(16);
    const augment = createAugmentation([
      { kind: 'flip', axes: [0], probability: 0.5 },
      { kind: 'brightness', range: [-0.05, 0.05] },
    ]);
    const run = async () => {
      const model = createSimpleCnn({
        inputShape: [8, 8, 1],
        numClasses: 2,
        filters: [2, 4],
        denseUnits: 4,
        seed: 1,
      });
      const r = await trainClassifier(
        model,
        { x, y },
        { epochs: 2, batchSize: 8, seed: 3, augment },
      );
      model.dispose();
      return r.history.loss;
    };
    expect(await run()).toEqual(await run());
    tf.dispose([x, y]);
  });

  it.each([
    [
      'an unknown transform',
      () => createAugmentation([{ kind: 'blur' } as never]),
      /`transforms\[0\]\.kind` must be one of 'flip'.*Received: "blur"/,
    ],
    [
      'a misspelt option',
      () => createAugmentation([{ kind: 'flip', axis: [0] } as never]),
      /unknown option `axis`/,
    ],
    [
      'flip axes that are not indices',
      () => createAugmentation([{ kind: 'flip', axes: [-1] }]),
      /`axes` must be an array of spatial axis indices/,
    ],
    [
      'an elastic grid of one point',
      () => createAugmentation([{ kind: 'elastic', magnitude: 2, gridSize: 1 }]),
      /`gridSize` must be an integer in \[2, ∞\)/,
    ],
    [
      'an affine scale of 0',
      () => createAugmentation([{ kind: 'affine', scale: [0, 1] }]),
      /`scale` must be \[low, high\]/,
    ],
    [
      'a missing noise level',
      () => createAugmentation([{ kind: 'gaussianNoise' } as never]),
      /`std` is required/,
    ],
    [
      'a seed that is not an integer',
      () => createAugmentation([], { seed: 1.5 }),
      /`seed` must be a seed/,
    ],
    [
      'a probability above 1',
      () => createAugmentation([{ kind: 'flip', probability: 2 }]),
      /probability/,
    ],
    [
      'a zoom range reversed',
      () => createAugmentation([{ kind: 'zoom', range: [1.2, 0.8] }]),
      /transforms\[0\] \(zoom\): `range` must be \[low, high\] with low ≤ high, low > 0\. Received: \[1\.2, 0\.8\]/,
    ],
    [
      'a crop fraction of 0',
      () => createAugmentation([{ kind: 'randomCrop', fraction: [0, 0.5] }]),
      /randomCrop/,
    ],
    ['a 2-D tensor', () => createAugmentation([])(tf.zeros([4, 4])), /batch/],
  ])('%s', (_what, call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });
});
