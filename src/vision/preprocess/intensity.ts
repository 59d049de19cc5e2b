/**
 * Intensity preprocessing for CT, MRI and X-ray: CT windowing by centre and width (DICOM's
 * linear VOI function, PS3.3 C.11.2.1.2.1) with the named presets radiologists use, linear
 * scaling of an intensity range with clipping, percentile scaling, and z-score normalisation
 * (optionally over a mask or the non-zero voxels, as MONAI's NormalizeIntensity).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, ShapeError } from '../../core/errors.js';
import { formatShape, isTensor } from '../../core/tensors.js';
import { resolveOptions } from '../../core/validate.js';

/** A display window: its centre and width, in the image's units (HU for CT). */
export interface CtWindow {
  /** The window centre (level). */
  center: number;
  /** The window width (≥ 1). */
  width: number;
}

/** The names of the CT window presets. */
export type CtWindowName =
  | 'lung'
  | 'mediastinum'
  | 'abdomen'
  | 'liver'
  | 'bone'
  | 'brain'
  | 'stroke';

/**
 * Named CT windows (centre, width in HU), as commonly used (Radiopaedia, "Windowing (CT)"):
 * lung −600/1500, mediastinum 50/350, abdomen 40/400, liver 60/160, bone 400/1800, brain 40/80,
 * stroke 40/40.
 */
export const CT_WINDOWS: Readonly<Record<CtWindowName, CtWindow>> = {
  lung: { center: -600, width: 1500 },
  mediastinum: { center: 50, width: 350 },
  abdomen: { center: 40, width: 400 },
  liver: { center: 60, width: 160 },
  bone: { center: 400, width: 1800 },
  brain: { center: 40, width: 80 },
  stroke: { center: 40, width: 40 },
};

/** A window: its centre and width (in the image's units, e.g. HU), or a preset name. */
export type WindowSpec = CtWindow | CtWindowName;

function checkImage(image: unknown, fn: string): tf.Tensor {
  if (!isTensor(image) || image.isDisposed)
    throw new ArgumentError(
      `${fn}: \`image\` must be a tensor. Received: ${describeValue(image)}.`,
    );
  if (image.size === 0) throw new ShapeError(`${fn}: \`image\` must not be empty.`);
  return image;
}

/**
 * Applies a display window: DICOM's linear VOI LUT mapped to [0, 1],
 * y = clip(((x − (c − ½)) / (w − 1) + ½), 0, 1), so values below c − w/2 are 0 and above
 * c + w/2 are 1.
 *
 * @param image - intensities (e.g. HU from `readDicom`).
 * @param window - `{ center, width }` (width ≥ 1) or a {@link CT_WINDOWS} name.
 * @returns a new float32 tensor in [0, 1].
 * @throws {@link ArgumentError} for an unknown preset or a width below 1.
 *
 * @example
 * ```ts
 * const lung = windowIntensity(ctSlice, 'lung');
 * const custom = windowIntensity(ctSlice, { center: 40, width: 400 });
 * ```
 */
export function windowIntensity(image: tf.Tensor, window: WindowSpec): tf.Tensor {
  const fn = 'windowIntensity';
  checkImage(image, fn);
  const w = typeof window === 'string' ? CT_WINDOWS[window] : window;
  if (
    !w ||
    typeof w.center !== 'number' ||
    typeof w.width !== 'number' ||
    !Number.isFinite(w.center) ||
    !(w.width >= 1)
  ) {
    throw new ArgumentError(
      `${fn}: \`window\` must be { center, width ≥ 1 } or one of ${Object.keys(CT_WINDOWS).join(', ')}. Received: ${describeValue(window)}.`,
    );
  }
  return tf.tidy(() => {
    const x = tf.cast(image, 'float32');
    const y =
      w.width === 1
        ? tf.cast(tf.greater(x, w.center - 0.5), 'float32')
        : tf.add(tf.div(tf.sub(x, w.center - 0.5), w.width - 1), 0.5);
    return tf.clipByValue(y, 0, 1);
  });
}

/** Options of {@link scaleIntensityRange}. */
export interface ScaleRangeOptions {
  /** The input value mapped to `bMin`. */
  aMin: number;
  /** The input value mapped to `bMax`. */
  aMax: number;
  /** Defaults to 0. */
  bMin?: number;
  /** Defaults to 1. */
  bMax?: number;
  /** Clip the output to [bMin, bMax]. Defaults to `true`. */
  clip?: boolean;
}

/**
 * Maps [aMin, aMax] linearly onto [bMin, bMax] (MONAI's ScaleIntensityRange):
 * y = (x − aMin)/(aMax − aMin)·(bMax − bMin) + bMin, clipped when asked.
 *
 * @throws {@link ArgumentError} when aMax equals aMin.
 *
 * @example
 * ```ts
 * scaleIntensityRange(ct, { aMin: -1000, aMax: 1000 }); // HU → [0, 1]
 * ```
 */
export function scaleIntensityRange(image: tf.Tensor, options: ScaleRangeOptions): tf.Tensor {
  const fn = 'scaleIntensityRange';
  checkImage(image, fn);
  const o = resolveOptions(fn, options, {
    aMin: { constraint: { kind: 'number' } },
    aMax: { constraint: { kind: 'number' } },
    bMin: { constraint: { kind: 'number' }, default: 0 },
    bMax: { constraint: { kind: 'number' }, default: 1 },
    clip: { constraint: { kind: 'boolean' }, default: true },
  });
  if (o.aMin === undefined || o.aMax === undefined || o.aMax === o.aMin) {
    throw new ArgumentError(
      `${fn}: \`aMin\` and \`aMax\` must be given and differ. Received: ${describeValue(o.aMin)}, ${describeValue(o.aMax)}.`,
    );
  }
  const bMin = o.bMin;
  const bMax = o.bMax;
  return tf.tidy(() => {
    const y = tf.add(
      tf.mul(tf.div(tf.sub(tf.cast(image, 'float32'), o.aMin), o.aMax - o.aMin), bMax - bMin),
      bMin,
    );
    return o.clip ? tf.clipByValue(y, Math.min(bMin, bMax), Math.max(bMin, bMax)) : y;
  });
}

/** numpy's linear percentile of sorted values. */
function percentile(sorted: Float32Array, q: number): number {
  const pos = (q / 100) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Options of {@link scaleIntensityPercentiles}. */
export interface PercentileScaleOptions {
  /** The lower percentile, mapped to `bMin`. Defaults to 1. */
  lower?: number;
  /** The upper percentile, mapped to `bMax`. Defaults to 99. */
  upper?: number;
  /** Defaults to 0. */
  bMin?: number;
  /** Defaults to 1. */
  bMax?: number;
  /** Clip the output to [bMin, bMax]. Defaults to `false`. */
  clip?: boolean;
}

/**
 * Scales the range between two percentiles of the image onto [bMin, bMax] (robust to outlier
 * voxels; MONAI's ScaleIntensityRangePercentiles). Percentiles are numpy's linear ones.
 *
 * @param image - intensities.
 * @param options - `lower` and `upper` percentiles (defaults 1 and 99), `bMin`, `bMax`, `clip`.
 * @returns a promise of the scaled float32 tensor (the percentiles are read from the device).
 * @throws {@link ArgumentError} for percentiles outside [0, 100] or lower ≥ upper.
 */
export async function scaleIntensityPercentiles(
  image: tf.Tensor,
  options: PercentileScaleOptions = {},
): Promise<tf.Tensor> {
  const fn = 'scaleIntensityPercentiles';
  checkImage(image, fn);
  const o = resolveOptions(fn, options, {
    lower: { constraint: { kind: 'number', min: 0, max: 100 }, default: 1 },
    upper: { constraint: { kind: 'number', min: 0, max: 100 }, default: 99 },
    bMin: { constraint: { kind: 'number' }, default: 0 },
    bMax: { constraint: { kind: 'number' }, default: 1 },
    clip: { constraint: { kind: 'boolean' }, default: false },
  });
  if (!(o.lower < o.upper)) {
    throw new ArgumentError(
      `${fn}: needs 0 ≤ lower < upper ≤ 100. Received: ${o.lower}, ${o.upper}.`,
    );
  }
  const values = Float32Array.from(await image.data()).sort();
  const aMin = percentile(values, o.lower);
  const aMax = percentile(values, o.upper);
  if (aMax === aMin) return tf.fill(image.shape, o.bMin);
  return scaleIntensityRange(image, { aMin, aMax, bMin: o.bMin, bMax: o.bMax, clip: o.clip });
}

/** Options of {@link normalizeIntensity}. */
export interface NormalizeOptions {
  /** Compute the mean and standard deviation over the non-zero voxels only (and leave zeros at 0). Defaults to `false`. */
  nonzero?: boolean;
  /** A mask of the image's shape: statistics over its non-zero voxels only, and only those are changed. */
  mask?: tf.Tensor;
}

/**
 * Z-score normalisation: (x − mean)/sd with the population standard deviation (sd 0 → 1),
 * over every voxel, the non-zero ones, or a mask's.
 *
 * @throws {@link ShapeError} for a mask of another shape. An empty selection leaves the image as it is.
 *
 * @example
 * ```ts
 * const z = normalizeIntensity(mri, { nonzero: true }); // brain voxels only, background stays 0
 * ```
 */
export function normalizeIntensity(image: tf.Tensor, options: NormalizeOptions = {}): tf.Tensor {
  const fn = 'normalizeIntensity';
  checkImage(image, fn);
  if (
    options.mask &&
    (!isTensor(options.mask) || options.mask.shape.join() !== image.shape.join())
  ) {
    throw new ShapeError(
      `${fn}: \`mask\` must have the image's shape ${formatShape(image.shape)}.`,
    );
  }
  return tf.tidy(() => {
    const x = tf.cast(image, 'float32');
    const select = options.mask
      ? tf.cast(tf.notEqual(options.mask, 0), 'float32')
      : options.nonzero
        ? tf.cast(tf.notEqual(x, 0), 'float32')
        : tf.onesLike(x);
    const count = tf.sum(select);
    const mean = tf.div(tf.sum(tf.mul(x, select)), tf.maximum(count, 1));
    const variance = tf.div(
      tf.sum(tf.mul(tf.square(tf.sub(x, mean)), select)),
      tf.maximum(count, 1),
    );
    const sd = tf.sqrt(variance);
    const safeSd = tf.where(tf.greater(sd, 0), sd, tf.onesLike(sd));
    const z = tf.div(tf.sub(x, mean), safeSd);
    return options.mask || options.nonzero
      ? tf.add(tf.mul(z, select), tf.mul(x, tf.sub(1, select)))
      : z;
  });
}
