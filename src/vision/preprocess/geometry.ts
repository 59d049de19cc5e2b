/**
 * Spatial preprocessing of images `[h, w]`/`[h, w, c]` and volumes `[d, h, w]`/`[d, h, w, c]`:
 * resampling to a target voxel spacing (bilinear in 2D, trilinear in 3D, nearest for masks),
 * centre cropping, and padding or cropping to a fixed shape (MONAI's ResizeWithPadOrCrop).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, ShapeError } from '../../core/errors.js';
import { formatShape, isTensor } from '../../core/tensors.js';
import { resolveOptions } from '../../core/validate.js';

/** The spatial rank of an image: its rank minus a trailing channel axis when `channels`. */
function spatialRank(image: tf.Tensor, channels: boolean, fn: string): 2 | 3 {
  if (!isTensor(image) || image.isDisposed)
    throw new ArgumentError(
      `${fn}: \`image\` must be a tensor. Received: ${describeValue(image)}.`,
    );
  const r = image.rank - (channels ? 1 : 0);
  if (r !== 2 && r !== 3) {
    throw new ShapeError(
      `${fn}: \`image\` must be [h, w] or [d, h, w] (with a trailing channel axis when \`channels\`). Received: shape ${formatShape(image.shape)}.`,
    );
  }
  return r;
}

/** Resizes the spatial axes to `size` (half-pixel centres), bilinear or nearest; 3D separably. */
function resizeSpatial(x: tf.Tensor, size: number[], nearest: boolean): tf.Tensor {
  return tf.tidy(() => {
    const resize = (t: tf.Tensor4D, hw: [number, number]) =>
      nearest
        ? tf.image.resizeNearestNeighbor(t, hw, false, true)
        : tf.image.resizeBilinear(t, hw, false, true);
    const c = x.shape[x.rank - 1]!;
    if (size.length === 2) {
      return tf.squeeze(resize(tf.expandDims(x, 0) as tf.Tensor4D, size as [number, number]), [0]);
    }
    const d = x.shape[0]!;
    const [D, H, W] = size as [number, number, number];
    // in-plane first: [d, h, w, c] → [d, H, W, c]
    const planes = resize(x as tf.Tensor4D, [H, W]);
    // then along depth: view [d, H·W, c] as images of height d, width H·W
    const depth = resize(tf.reshape(planes, [1, d, H * W, c]) as tf.Tensor4D, [D, H * W]);
    return tf.reshape(depth, [D, H, W, c]);
  });
}

/** Options of {@link resampleToSpacing}. */
export interface ResampleOptions {
  /** The image's voxel spacing along each spatial axis (e.g. `readNifti`'s `spacing`, or DICOM PixelSpacing). */
  spacing: readonly number[];
  /** The spacing wanted. */
  targetSpacing: readonly number[];
  /** `'linear'` (bilinear/trilinear) for images, `'nearest'` for label masks. Defaults to `'linear'`. */
  mode?: 'linear' | 'nearest';
  /** Whether the last axis holds channels. Defaults to `false`. */
  channels?: boolean;
}

/**
 * Resamples to a target voxel spacing: each spatial size becomes round(size·spacing/target),
 * interpolated with half-pixel centres (bilinear in 2D, trilinear as separable bilinear passes in
 * 3D; nearest for masks so labels stay labels).
 *
 * @returns a new float32 tensor.
 * @throws {@link ShapeError} for a rank other than 2 or 3 spatial axes; {@link ArgumentError} for
 *   spacings that are not positive or do not match the spatial rank.
 *
 * @example
 * ```ts
 * const iso = resampleToSpacing(volume, { spacing: [0.7, 0.7, 2.5], targetSpacing: [1, 1, 1] });
 * ```
 */
export function resampleToSpacing(image: tf.Tensor, options: ResampleOptions): tf.Tensor {
  const fn = 'resampleToSpacing';
  if (options === undefined) {
    throw new ArgumentError(
      `${fn}: \`options\` with \`spacing\` and \`targetSpacing\` is required.`,
    );
  }
  const o = resolveOptions(fn, options, {
    spacing: { constraint: { kind: 'any' } },
    targetSpacing: { constraint: { kind: 'any' } },
    mode: { constraint: { kind: 'string', oneOf: ['linear', 'nearest'] }, default: 'linear' },
    channels: { constraint: { kind: 'boolean' }, default: false },
  });
  const { channels, spacing, targetSpacing } = o;
  const r = spatialRank(image, channels, fn);
  const ok = (s: unknown) =>
    Array.isArray(s) && s.length === r && s.every((v) => Number.isFinite(v) && v > 0);
  if (!ok(spacing) || !ok(targetSpacing)) {
    throw new ArgumentError(
      `${fn}: \`spacing\` and \`targetSpacing\` must be ${r} positive numbers. Received: ${describeValue(spacing)}, ${describeValue(targetSpacing)}.`,
    );
  }
  const size = image.shape
    .slice(0, r)
    .map((n, i) => Math.max(1, Math.round((n * spacing[i]!) / targetSpacing[i]!)));
  return tf.tidy(() => {
    const x = tf.cast(channels ? image : tf.expandDims(image, -1), 'float32');
    const out = resizeSpatial(x, size, o.mode === 'nearest');
    return channels ? out : tf.squeeze(out, [-1]);
  });
}

/** The specs of {@link PadOrCropOptions}. */
const PAD_OR_CROP_SPECS = {
  value: { constraint: { kind: 'number' }, default: 0 },
  channels: { constraint: { kind: 'boolean' }, default: false },
} as const;

/** Options of {@link resizeWithPadOrCrop} and {@link centerCrop}. */
export interface PadOrCropOptions {
  /** The padding value. Defaults to 0. */
  value?: number;
  /** Whether the last axis holds channels. Defaults to `false`. */
  channels?: boolean;
}

/**
 * Pads (with `value`, evenly on both sides, the extra voxel after) or crops (centred) each
 * spatial axis to `shape` (MONAI's ResizeWithPadOrCrop).
 *
 * @param image - `[h, w]`, `[d, h, w]`, with a channel axis when `channels`.
 * @param shape - the spatial shape wanted.
 * @param options - `value` (padding, default 0), `channels` (default false).
 * @returns a new tensor.
 * @throws {@link ShapeError} when `shape` does not match the spatial rank.
 *
 * @example
 * ```ts
 * resizeWithPadOrCrop(slice, [256, 256]);
 * ```
 */
export function resizeWithPadOrCrop(
  image: tf.Tensor,
  shape: readonly number[],
  options?: PadOrCropOptions,
): tf.Tensor {
  const fn = 'resizeWithPadOrCrop';
  const { channels, value } = resolveOptions(fn, options, PAD_OR_CROP_SPECS);
  const r = spatialRank(image, channels, fn);
  if (
    !Array.isArray(shape) ||
    shape.length !== r ||
    !shape.every((v) => Number.isInteger(v) && v >= 1)
  ) {
    throw new ShapeError(
      `${fn}: \`shape\` must be ${r} positive integers. Received: ${describeValue(shape)}.`,
    );
  }
  return tf.tidy(() => {
    let x = image;
    const padding: [number, number][] = image.shape.map(() => [0, 0]);
    const begin = image.shape.map(() => 0);
    const size = image.shape.map((n) => n);
    shape.forEach((target, i) => {
      const n = image.shape[i]!;
      if (target > n) {
        const extra = target - n;
        padding[i] = [Math.floor(extra / 2), extra - Math.floor(extra / 2)];
      } else if (target < n) {
        begin[i] = Math.floor((n - target) / 2);
        size[i] = target;
      }
    });
    x = tf.slice(x, begin, size);
    return tf.pad(x, padding, value);
  });
}

/**
 * Crops the centre `shape` of each spatial axis (an axis shorter than its target is kept whole).
 *
 * @throws {@link ShapeError} when `shape` does not match the spatial rank.
 */
export function centerCrop(
  image: tf.Tensor,
  shape: readonly number[],
  options?: PadOrCropOptions,
): tf.Tensor {
  const fn = 'centerCrop';
  const { channels } = resolveOptions(fn, options, PAD_OR_CROP_SPECS);
  const r = spatialRank(image, channels, fn);
  if (!Array.isArray(shape) || shape.length !== r)
    throw new ShapeError(
      `${fn}: \`shape\` must have ${r} sizes. Received: ${describeValue(shape)}.`,
    );
  const target = image.shape.map((n, i) => (i < r ? Math.min(n, shape[i]!) : n));
  return resizeWithPadOrCrop(image, target.slice(0, r), options);
}

/** Options of {@link cropForeground}. */
export interface ForegroundOptions {
  /** Voxels above this are foreground. Defaults to 0. */
  threshold?: number;
  /** Voxels added around the box on each side. Defaults to 0. */
  margin?: number;
  /** Whether the last axis holds channels. Defaults to `false`. */
  channels?: boolean;
}

/** What {@link cropForeground} returns. */
export interface ForegroundCrop {
  /** The cropped image (a new tensor). */
  image: tf.Tensor;
  /** The box's first index per spatial axis (inclusive). */
  start: number[];
  /** The box's end per spatial axis (exclusive). */
  end: number[];
}

/**
 * Crops to the bounding box of the foreground (voxels above `threshold`, in any channel), grown
 * by `margin` voxels on each side and kept inside the image (MONAI's CropForeground). An image
 * without foreground is returned whole.
 *
 * @param image - `[h, w]` or `[d, h, w]` (with a channel axis when `channels`).
 * @param options - `threshold` (default 0), `margin` (default 0), `channels` (default false).
 * @returns a promise of the crop and its box (the box is read from the device).
 * @throws {@link ShapeError} for a rank other than 2 or 3 spatial axes.
 *
 * @example
 * ```ts
 * const { image: brain, start, end } = await cropForeground(mri, { threshold: 10, margin: 2 });
 * ```
 */
export async function cropForeground(
  image: tf.Tensor,
  options?: ForegroundOptions,
): Promise<ForegroundCrop> {
  const fn = 'cropForeground';
  const { channels, margin, threshold } = resolveOptions(fn, options, {
    threshold: { constraint: { kind: 'number' }, default: 0 },
    margin: { constraint: { kind: 'number', integer: true, min: 0 }, default: 0 },
    channels: { constraint: { kind: 'boolean' }, default: false },
  });
  const r = spatialRank(image, channels, fn);
  const profiles = tf.tidy(() => {
    let fg = tf.greater(image, threshold);
    if (channels) fg = tf.any(fg, -1);
    return Array.from({ length: r }, (_, a) =>
      tf.any(
        fg,
        Array.from({ length: r }, (_, b) => b).filter((b) => b !== a),
      ),
    );
  });
  const hits = await Promise.all(profiles.map((p) => p.data()));
  tf.dispose(profiles);
  const start: number[] = [];
  const end: number[] = [];
  hits.forEach((h) => {
    let first = h.findIndex((v) => v !== 0);
    let last = h.length - 1 - [...h].reverse().findIndex((v) => v !== 0);
    if (first < 0) {
      first = 0;
      last = h.length - 1;
    }
    start.push(Math.max(0, first - margin));
    end.push(Math.min(h.length, last + 1 + margin));
  });
  const begin = [...start, ...(channels ? [0] : [])];
  const size = [...start.map((s, a) => end[a]! - s), ...(channels ? [-1] : [])];
  return { image: tf.slice(image, begin, size), start, end };
}
