/**
 * Synthetic images whose class is decided by a bright patch at a known place, for training and
 * explanation tests: class 1 images carry the patch, class 0 images are noise only.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Random } from '../../src/core/index.js';

/** Where the patch sits in a `size`-pixel image: rows/columns (and slices) as [start, end). */
export function patchRegion(size: number): {
  rows: [number, number];
  cols: [number, number];
  slices: [number, number];
} {
  const e = size / 8;
  return { rows: [e, 3 * e], cols: [5 * e, 7 * e], slices: [2 * e, 4 * e] };
}

/**
 * `n` images of `size`×`size` (a multiple of 8) (or volumes of `size`³ when `volume`), one channel, noise in
 * [0, 0.3); class 1 (every other sample) adds 0.8 on the patch.
 */
export function patchImages(
  n: number,
  size = 8,
  seed = 1,
  volume = false,
): { x: tf.Tensor; y: tf.Tensor1D; labels: number[] } {
  const rng = new Random(seed);
  const PATCH = patchRegion(size);
  const per = volume ? size ** 3 : size ** 2;
  const data = new Float32Array(n * per);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    labels.push(label);
    for (let p = 0; p < per; p++) {
      const s = volume ? Math.floor(p / (size * size)) : 0;
      const r = Math.floor(p / size) % size;
      const c = p % size;
      const onPatch =
        r >= PATCH.rows[0] &&
        r < PATCH.rows[1] &&
        c >= PATCH.cols[0] &&
        c < PATCH.cols[1] &&
        (!volume || (s >= PATCH.slices[0] && s < PATCH.slices[1]));
      data[i * per + p] = 0.3 * rng.nextFloat() + (label === 1 && onPatch ? 0.8 : 0);
    }
  }
  const shape = volume ? [n, size, size, size, 1] : [n, size, size, 1];
  return { x: tf.tensor(data, shape), y: tf.tensor1d(labels, 'int32'), labels };
}
