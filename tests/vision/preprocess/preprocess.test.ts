/**
 * Intensity and spatial preprocessing: the DICOM VOI window formula and presets, range and
 * percentile scaling, z-scores (all, non-zero, masked), resampling (sizes, constants and ramps
 * preserved, nearest keeps labels, 2D and 3D), pad/crop placement; no leaks; bad input.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MedkitError } from '../../../src/core/index.js';
import {
  CT_WINDOWS,
  centerCrop,
  cropForeground,
  normalizeIntensity,
  resampleToSpacing,
  resizeWithPadOrCrop,
  scaleIntensityPercentiles,
  scaleIntensityRange,
  windowIntensity,
} from '../../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../../helpers/backends.js';
import { expectClose } from '../../helpers/close.js';

const values = async (t: tf.Tensor) => {
  const v = Array.from(await t.data());
  t.dispose();
  return v;
};

describeBackends('preprocessing', () => {
  it('windowIntensity: DICOM linear VOI function, mapped to [0, 1]', async () => {
    const hu = tf.tensor1d([-1000, -600.5, -600, 149, 150, 2000]);
    // lung: c −600, w 1500 → 0 at ≤ c − ½ − (w − 1)/2, 1 above c − ½ + (w − 1)/2
    const y = await values(windowIntensity(hu, 'lung'));
    const f = (x: number) => Math.min(1, Math.max(0, (x - (-600 - 0.5)) / 1499 + 0.5));
    expectClose(y, [-1000, -600.5, -600, 149, 150, 2000].map(f), { rtol: 1e-6, atol: 1e-6 });
    const brain = await values(
      windowIntensity(tf.tensor1d([0, 40, 80]), { center: 40, width: 80 }),
    );
    expectClose(brain, [0, 0.5 + 0.5 / 79, 1], { atol: 1e-6 });
    expect(Object.keys(CT_WINDOWS)).toEqual([
      'lung',
      'mediastinum',
      'abdomen',
      'liver',
      'bone',
      'brain',
      'stroke',
    ]);
    hu.dispose();
  });

  it('scaleIntensityRange and scaleIntensityPercentiles', async () => {
    const x = tf.tensor1d([-1000, 0, 1000, 3000]);
    expectClose(await values(scaleIntensityRange(x, { aMin: -1000, aMax: 1000 })), [0, 0.5, 1, 1]);
    expectClose(
      await values(
        scaleIntensityRange(x, { aMin: -1000, aMax: 1000, bMin: -1, bMax: 1, clip: false }),
      ),
      [-1, 0, 1, 3],
    );
    const ramp = tf.range(0, 101, 1, 'float32');
    const p = await values(
      await scaleIntensityPercentiles(ramp, { lower: 10, upper: 90, clip: true }),
    );
    expect(p[10]).toBeCloseTo(0, 6);
    expect(p[50]).toBeCloseTo(0.5, 6);
    expect(p[95]).toBe(1);
    // options are checked like every other: a misspelling, a percentile out of range, lower ≥ upper
    await expect(scaleIntensityPercentiles(ramp, { lowr: 5 } as never)).rejects.toThrow(
      MedkitError,
    );
    await expect(scaleIntensityPercentiles(ramp, { upper: 150 })).rejects.toThrow(/upper/);
    await expect(scaleIntensityPercentiles(ramp, { lower: 60, upper: 40 })).rejects.toThrow(
      /lower < upper/,
    );
    await expect(scaleIntensityPercentiles(ramp, { clip: 'yes' as never })).rejects.toThrow(/clip/);
    tf.dispose([x, ramp]);
  });

  it('normalizeIntensity: all voxels, non-zero ones, or a mask', async () => {
    const x = tf.tensor1d([0, 0, 2, 4, 6]);
    const all = await values(normalizeIntensity(x));
    const mean = 12 / 5;
    const sd = Math.sqrt([0, 0, 2, 4, 6].reduce((a, v) => a + (v - mean) ** 2, 0) / 5);
    expectClose(
      all,
      [0, 0, 2, 4, 6].map((v) => (v - mean) / sd),
      { rtol: 1e-5, atol: 1e-6 },
    );
    const nz = await values(normalizeIntensity(x, { nonzero: true }));
    const sdNz = Math.sqrt(8 / 3);
    expectClose(nz, [0, 0, -2 / sdNz, 0, 2 / sdNz], { rtol: 1e-5, atol: 1e-6 });
    const mask = tf.tensor1d([1, 1, 1, 0, 0]);
    const masked = await values(normalizeIntensity(x, { mask }));
    expect(masked.slice(3)).toEqual([4, 6]); // outside the mask: unchanged
    tf.dispose([x, mask]);
  });

  it('resampleToSpacing: sizes, constants, ramps; nearest keeps labels; 3D', async () => {
    const img = tf.fill([4, 6], 7);
    const up = resampleToSpacing(img, { spacing: [2, 1], targetSpacing: [1, 0.5] });
    expect(up.shape).toEqual([8, 12]);
    expect(new Set(await values(up))).toEqual(new Set([7]));
    const labels = tf.tensor2d([
      [0, 0, 3, 3],
      [0, 0, 3, 3],
    ]);
    const nearest = resampleToSpacing(labels, {
      spacing: [1, 1],
      targetSpacing: [0.5, 0.5],
      mode: 'nearest',
    });
    expect(new Set(await values(nearest))).toEqual(new Set([0, 3]));
    const vol = tf.tidy(() => tf.mul(tf.reshape(tf.range(0, 4), [4, 1, 1]), tf.ones([4, 3, 3])));
    const iso = resampleToSpacing(vol, { spacing: [2, 1, 1], targetSpacing: [1, 1, 1] });
    expect(iso.shape).toEqual([8, 3, 3]);
    const depth = (await values(iso)).filter((_, i) => i % 9 === 0);
    // half-pixel linear interpolation of 0,1,2,3 at twice the resolution
    expectClose(depth, [0, 0.25, 0.75, 1.25, 1.75, 2.25, 2.75, 3], { atol: 1e-5 });
    tf.dispose([img, labels, vol]);
  });

  it('resizeWithPadOrCrop and centerCrop place the image in the middle; no leak', async () => {
    const x = tf.tensor2d([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    await expectNoLeak(async () => {
      expect(await values(resizeWithPadOrCrop(x, [4, 1]))).toEqual([0, 2, 5, 0]);
      expect(await values(centerCrop(x, [1, 1]))).toEqual([2]);
      expect(await values(resizeWithPadOrCrop(x, [2, 5], { value: -1 }))).toEqual([
        -1, 1, 2, 3, -1, -1, 4, 5, 6, -1,
      ]);
    });
    x.dispose();
  });
});

describeBackends('cropForeground', () => {
  it('crops to the bounding box of the foreground, with a margin, inside the image', async () => {
    const x = tf.tidy(() =>
      tf.pad(tf.ones([2, 3]), [
        [2, 1],
        [1, 4],
      ]),
    );
    const { image, start, end } = await cropForeground(x);
    expect([start, end]).toEqual([
      [2, 1],
      [4, 4],
    ]);
    expect(image.shape).toEqual([2, 3]);
    image.dispose();
    const wide = await cropForeground(x, { margin: 3 });
    expect([wide.start, wide.end]).toEqual([
      [0, 0],
      [5, 7],
    ]);
    wide.image.dispose();
    const none = await cropForeground(tf.zeros([3, 3]));
    expect(none.image.shape).toEqual([3, 3]);
    none.image.dispose();
    x.dispose();
  });
});

describe('preprocessing refuses bad input', () => {
  it.each([
    [
      'an unknown window',
      () => windowIntensity(tf.zeros([2]), 'kidney' as never),
      /lung, mediastinum/,
    ],
    [
      'a window narrower than 1',
      () => windowIntensity(tf.zeros([2]), { center: 0, width: 0.5 }),
      /width ≥ 1/,
    ],
    ['aMin = aMax', () => scaleIntensityRange(tf.zeros([2]), { aMin: 1, aMax: 1 }), /differ/],
    [
      'a mask of another shape',
      () => normalizeIntensity(tf.zeros([2]), { mask: tf.zeros([3]) }),
      /mask/,
    ],
    [
      'a 1-D image to resample',
      () => resampleToSpacing(tf.zeros([4]), { spacing: [1], targetSpacing: [1] }),
      /\[h, w\]/,
    ],
    [
      'spacings of the wrong length',
      () => resampleToSpacing(tf.zeros([4, 4]), { spacing: [1], targetSpacing: [1, 1] }),
      /2 positive numbers/,
    ],
    [
      'a target shape of the wrong rank',
      () => resizeWithPadOrCrop(tf.zeros([4, 4]), [2]),
      /2 positive integers/,
    ],
  ])('%s', (_what, call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });
});
