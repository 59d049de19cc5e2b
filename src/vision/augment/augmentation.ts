/**
 * A composable, seeded augmentation pipeline for image batches `[n, h, w, c]` and volume batches
 * `[n, d, h, w, c]` on any backend: flips, rotations by multiples of 90°, rotation in a range,
 * zoom, translation, full affine, elastic deformation (2D), random crop (zoomed back to the input
 * size), Gaussian noise, gamma, contrast and brightness, each with a probability. The same random
 * draw moves an image and its mask (nearest interpolation for the mask). A pipeline is a function
 * that plugs into `trainClassifier`'s `augment` hook.
 *
 * Geometric transforms map each output voxel to a source position (the inverse of the transform,
 * about the image centre) and interpolate there (bilinear/trilinear with zero padding outside;
 * nearest for masks), with gathers that every backend runs.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, ShapeError } from '../../core/errors.js';
import { Random, type Seed } from '../../core/random.js';
import { formatShape, isTensor } from '../../core/tensors.js';
import { argName, type OptionSpec, resolveOptions } from '../../core/validate.js';

/** What every transform has: the chance it applies to a sample. */
export interface TransformBase {
  /** The probability that the transform applies to a sample, in [0, 1]. Defaults to 1. */
  probability?: number;
}

/** Mirror along spatial axes (each with the probability, independently). */
export interface FlipTransform extends TransformBase {
  /** The kind. */
  kind: 'flip';
  /** Spatial axis indices (0 = first spatial axis). Defaults to the last (left–right). */
  axes?: readonly number[];
}

/** A rotation by k·90°, k uniform in {0, 1, 2, 3}, in the rows–columns plane. */
export interface Rotate90Transform extends TransformBase {
  /** The kind. */
  kind: 'rotate90';
}

/** A rotation by an angle uniform in `degrees`, in the rows–columns plane. */
export interface RotateTransform extends TransformBase {
  /** The kind. */
  kind: 'rotate';
  /** [low, high] in degrees. */
  degrees: readonly [number, number];
}

/** A zoom by one factor uniform in `range` (> 1 enlarges). */
export interface ZoomTransform extends TransformBase {
  /** The kind. */
  kind: 'zoom';
  /** [low, high], both > 0. */
  range: readonly [number, number];
}

/** A shift uniform in ±`fraction` of each side. */
export interface TranslateTransform extends TransformBase {
  /** The kind. */
  kind: 'translate';
  /** In [0, 1). */
  fraction: number;
}

/** Rotation, scale, shear and translation together. */
export interface AffineTransform extends TransformBase {
  /** The kind. */
  kind: 'affine';
  /** Rotation range in degrees. Defaults to none. */
  degrees?: readonly [number, number];
  /** Scale range. Defaults to none. */
  scale?: readonly [number, number];
  /** Shear uniform in ±shear. Defaults to none. */
  shear?: number;
  /** Translation uniform in ±translate of each side. Defaults to none. */
  translate?: number;
}

/** A smooth random displacement (2D): up to `magnitude` voxels on a `gridSize`² grid. */
export interface ElasticTransform extends TransformBase {
  /** The kind. */
  kind: 'elastic';
  /** The largest displacement, in voxels. */
  magnitude: number;
  /** Control points per side. Defaults to 4. */
  gridSize?: number;
}

/** A random window of `fraction` of each side, zoomed back to the input size. */
export interface RandomCropTransform extends TransformBase {
  /** The kind. */
  kind: 'randomCrop';
  /** [low, high] within (0, 1]. */
  fraction: readonly [number, number];
}

/** Additive N(0, std²) noise per voxel. */
export interface GaussianNoiseTransform extends TransformBase {
  /** The kind. */
  kind: 'gaussianNoise';
  /** The standard deviation (≥ 0). */
  std: number;
}

/** ((x − min)/(max − min))^γ·(max − min) + min per sample, γ uniform in `range`. */
export interface GammaTransform extends TransformBase {
  /** The kind. */
  kind: 'gamma';
  /** [low, high], both > 0. */
  range: readonly [number, number];
}

/** Scaling about the sample's mean by a factor uniform in `range`. */
export interface ContrastTransform extends TransformBase {
  /** The kind. */
  kind: 'contrast';
  /** [low, high], both ≥ 0. */
  range: readonly [number, number];
}

/** Adding a value uniform in `range`. */
export interface BrightnessTransform extends TransformBase {
  /** The kind. */
  kind: 'brightness';
  /** [low, high]. */
  range: readonly [number, number];
}

/** One transform of a pipeline. */
export type AugmentTransform =
  | FlipTransform
  | Rotate90Transform
  | RotateTransform
  | ZoomTransform
  | TranslateTransform
  | AffineTransform
  | ElasticTransform
  | RandomCropTransform
  | GaussianNoiseTransform
  | GammaTransform
  | ContrastTransform
  | BrightnessTransform;

/** An image batch and its mask, moved together. */
export interface AugmentedPair {
  /** The augmented images (float32). */
  image: tf.Tensor;
  /** The mask, moved with nearest interpolation. */
  mask: tf.Tensor;
}

/** What an {@link Augmentation} is told besides the batch. */
export interface AugmentCall {
  /** A generator for this call (trainClassifier passes a seeded one per step). Defaults to the pipeline's own. */
  random?: Random;
}

/**
 * A pipeline: `(batch, context?) => augmented batch` (the trainClassifier hook signature), plus
 * `withMask` to move an image batch and its label mask with the same draws.
 */
export interface Augmentation {
  /** Augments a batch; returns a new tensor of the same shape. */
  (batch: tf.Tensor, context?: AugmentCall): tf.Tensor;
  /** Augments a batch and its mask with the same draws (nearest interpolation for the mask). */
  withMask(batch: tf.Tensor, mask: tf.Tensor, context?: AugmentCall): AugmentedPair;
}

/** The per-sample geometric draw: a matrix A (output → source, about the centre) and a shift. */
interface Geometry {
  /** Row-major r×r matrix in voxel units. */
  matrix: number[];
  /** Shift in voxels. */
  shift: number[];
  /** Elastic displacement grid (2D): [gy, gx] × 2, in voxels, or undefined. */
  elastic?: { grid: number; dy: Float32Array; dx: Float32Array };
}

const identity = (r: number): number[] =>
  Array.from({ length: r * r }, (_, i) => (i % (r + 1) === 0 ? 1 : 0));

function multiply(a: number[], b: number[], r: number): number[] {
  const out = new Array<number>(r * r).fill(0);
  for (let i = 0; i < r; i++)
    for (let j = 0; j < r; j++)
      for (let k = 0; k < r; k++) out[i * r + j]! += a[i * r + k]! * b[k * r + j]!;
  return out;
}

/** A rotation by θ in the plane of the last two spatial axes (rows, columns). */
function rotation(theta: number, r: number): number[] {
  const m = identity(r);
  const [a, b] = [r - 2, r - 1];
  // exact zeros and ones at multiples of 90°, so quarter turns move voxels without interpolating
  const snap = (v: number) =>
    Math.abs(v) < 1e-12 ? 0 : Math.abs(Math.abs(v) - 1) < 1e-12 ? Math.sign(v) : v;
  const [cos, sin] = [snap(Math.cos(theta)), snap(Math.sin(theta))];
  m[a * r + a] = cos;
  m[a * r + b] = -sin;
  m[b * r + a] = sin;
  m[b * r + b] = cos;
  return m;
}

/** A transform with its defaults filled in. */
type ResolvedTransform =
  | (Exclude<AugmentTransform, ElasticTransform> & { probability: number })
  | (ElasticTransform & { probability: number; gridSize: number });

const FN = 'createAugmentation';
const PROBABILITY = {
  constraint: { kind: 'number', min: 0, max: 1 },
  default: 1,
} as const;
const ANY = { constraint: { kind: 'any' } } as const;

/** Each kind's options (besides `kind` and `probability`). */
const KIND_SPECS: Record<AugmentTransform['kind'], Record<string, OptionSpec>> = {
  flip: { axes: ANY },
  rotate90: {},
  rotate: { degrees: ANY },
  zoom: { range: ANY },
  translate: { fraction: { constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true } } },
  affine: {
    degrees: ANY,
    scale: ANY,
    shear: { constraint: { kind: 'number', min: 0 } },
    translate: { constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true } },
  },
  elastic: {
    magnitude: { constraint: { kind: 'number', min: 0 } },
    gridSize: { constraint: { kind: 'number', integer: true, min: 2 }, default: 4 },
  },
  randomCrop: { fraction: ANY },
  gaussianNoise: { std: { constraint: { kind: 'number', min: 0 } } },
  gamma: { range: ANY },
  contrast: { range: ANY },
  brightness: { range: ANY },
};

/** Checks a `[low, high]` option: two finite numbers, low ≤ high, within the bounds given. */
function checkPair(
  name: string,
  value: unknown,
  bounds: { above?: number; atLeast?: number; atMost?: number } = {},
): void {
  const ok =
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v)) &&
    value[0] <= value[1] &&
    (bounds.above === undefined || value[0] > bounds.above) &&
    (bounds.atLeast === undefined || value[0] >= bounds.atLeast) &&
    (bounds.atMost === undefined || value[1] <= bounds.atMost);
  if (!ok) {
    const limits = [
      bounds.above !== undefined ? `low > ${bounds.above}` : '',
      bounds.atLeast !== undefined ? `low ≥ ${bounds.atLeast}` : '',
      bounds.atMost !== undefined ? `high ≤ ${bounds.atMost}` : '',
    ].filter(Boolean);
    throw new ArgumentError(
      `${name} must be [low, high] with low ≤ high${limits.map((l) => `, ${l}`).join('')}. Received: ${describeValue(value)}.`,
    );
  }
}

/** Checks every transform against its kind's options and fills in the defaults. */
function resolveTransforms(transforms: readonly AugmentTransform[]): ResolvedTransform[] {
  if (!Array.isArray(transforms)) {
    throw new ArgumentError(
      `${FN}: \`transforms\` must be an array of transforms. Received: ${describeValue(transforms)}.`,
    );
  }
  return transforms.map((t, i) => {
    const kind = (t as { kind?: unknown } | null)?.kind;
    if (typeof kind !== 'string' || !(kind in KIND_SPECS)) {
      throw new ArgumentError(
        `${FN}: \`transforms[${i}].kind\` must be one of ${Object.keys(KIND_SPECS)
          .map((k) => `'${k}'`)
          .join(', ')}. Received: ${describeValue(kind)}.`,
      );
    }
    const where = `${FN}: transforms[${i}] (${kind})`;
    const r = resolveOptions<Record<string, unknown>>(where, t as Record<string, unknown>, {
      kind: ANY,
      probability: PROBABILITY,
      ...KIND_SPECS[kind as AugmentTransform['kind']],
    }) as unknown as ResolvedTransform;
    const name = (option: string) => argName(where, option);
    const required = (option: string) => {
      if ((r as unknown as Record<string, unknown>)[option] === undefined)
        throw new ArgumentError(`${name(option)} is required.`);
    };
    switch (r.kind) {
      case 'flip':
        if (
          r.axes !== undefined &&
          !(Array.isArray(r.axes) && r.axes.every((a) => Number.isInteger(a) && a >= 0))
        ) {
          throw new ArgumentError(
            `${name('axes')} must be an array of spatial axis indices (integers ≥ 0). Received: ${describeValue(r.axes)}.`,
          );
        }
        break;
      case 'rotate':
        checkPair(name('degrees'), r.degrees);
        break;
      case 'zoom':
        checkPair(name('range'), r.range, { above: 0 });
        break;
      case 'translate':
        required('fraction');
        break;
      case 'affine':
        if (r.degrees !== undefined) checkPair(name('degrees'), r.degrees);
        if (r.scale !== undefined) checkPair(name('scale'), r.scale, { above: 0 });
        break;
      case 'elastic':
        required('magnitude');
        break;
      case 'randomCrop':
        checkPair(name('fraction'), r.fraction, { above: 0, atMost: 1 });
        break;
      case 'gaussianNoise':
        required('std');
        break;
      case 'gamma':
        checkPair(name('range'), r.range, { above: 0 });
        break;
      case 'contrast':
        checkPair(name('range'), r.range, { atLeast: 0 });
        break;
      case 'brightness':
        checkPair(name('range'), r.range);
        break;
    }
    return r;
  });
}

/**
 * Resamples each sample of `x` ([n, …spatial, c]) at source positions given by its geometry:
 * bilinear/trilinear (or nearest), zero outside.
 */
function resample(x: tf.Tensor, geometries: Geometry[], nearest: boolean): tf.Tensor {
  return tf.tidy(() => {
    const n = x.shape[0]!;
    const spatial = x.shape.slice(1, -1);
    const c = x.shape[x.shape.length - 1]!;
    const r = spatial.length;
    const voxels = spatial.reduce((a, b) => a * b, 1);
    // source coordinates of every output voxel of every sample, on the host
    const coords = Array.from({ length: r }, () => new Float32Array(n * voxels));
    const centre = spatial.map((s) => (s - 1) / 2);
    const pos = new Array<number>(r);
    for (let b = 0; b < n; b++) {
      const g = geometries[b]!;
      for (let v = 0; v < voxels; v++) {
        let rest = v;
        for (let a = r - 1; a >= 0; a--) {
          pos[a] = (rest % spatial[a]!) - centre[a]!;
          rest = Math.floor(rest / spatial[a]!);
        }
        for (let a = 0; a < r; a++) {
          let s = g.shift[a]! + centre[a]!;
          for (let k = 0; k < r; k++) s += g.matrix[a * r + k]! * pos[k]!;
          coords[a]![b * voxels + v] = s;
        }
        if (g.elastic && r === 2) {
          // bilinear lookup of the coarse displacement grid at this voxel
          const G = g.elastic.grid;
          const gy = ((pos[0]! + centre[0]!) / Math.max(1, spatial[0]! - 1)) * (G - 1);
          const gx = ((pos[1]! + centre[1]!) / Math.max(1, spatial[1]! - 1)) * (G - 1);
          const y0 = Math.min(G - 2, Math.floor(gy));
          const x0 = Math.min(G - 2, Math.floor(gx));
          const ty = gy - y0;
          const tx = gx - x0;
          const at = (arr: Float32Array, yy: number, xx: number) => arr[yy * G + xx]!;
          const lerp = (arr: Float32Array) =>
            (1 - ty) * ((1 - tx) * at(arr, y0, x0) + tx * at(arr, y0, x0 + 1)) +
            ty * ((1 - tx) * at(arr, y0 + 1, x0) + tx * at(arr, y0 + 1, x0 + 1));
          coords[0]![b * voxels + v]! += lerp(g.elastic.dy);
          coords[1]![b * voxels + v]! += lerp(g.elastic.dx);
        }
      }
    }
    const flat = tf.concat([tf.reshape(x, [n * voxels, c]), tf.zeros([1, c], x.dtype)], 0); // last row: zero padding
    const outside = n * voxels;
    const strides = spatial.map((_, a) => spatial.slice(a + 1).reduce((p, q) => p * q, 1));
    const corners = nearest ? 1 : 2 ** r;
    const index = Array.from({ length: corners }, () => new Int32Array(n * voxels));
    const weight = Array.from({ length: corners }, () => new Float32Array(n * voxels));
    for (let i = 0; i < n * voxels; i++) {
      const b = Math.floor(i / voxels);
      for (let k = 0; k < corners; k++) {
        let offset = b * voxels;
        let w = 1;
        let inside = true;
        for (let a = 0; a < r; a++) {
          const s = coords[a]![i]!;
          let p: number;
          if (nearest) {
            p = Math.round(s);
          } else {
            const f = Math.floor(s);
            const upper = (k >> a) & 1;
            p = f + upper;
            w *= upper ? s - f : 1 - (s - f);
          }
          if (p < 0 || p >= spatial[a]!) inside = false;
          offset += p * strides[a]!;
        }
        index[k]![i] = inside ? offset : outside;
        weight[k]![i] = inside ? w : 0;
      }
    }
    let out: tf.Tensor = tf.zeros([n * voxels, c]);
    for (let k = 0; k < corners; k++) {
      const gathered = tf.gather(flat, tf.tensor1d(index[k]!, 'int32'));
      out = tf.add(out, tf.mul(gathered, tf.tensor2d(weight[k]!, [n * voxels, 1])));
    }
    return tf.cast(tf.reshape(out, x.shape), x.dtype);
  });
}

/**
 * Builds a seeded augmentation pipeline. Each call draws, per sample and per transform, whether
 * the transform applies (its `probability`) and its parameters, from the call's `random` (the
 * trainer's per-step generator) or from the pipeline's own generator seeded with `seed`.
 * Geometric transforms are composed into one resampling per sample.
 *
 * - `flip`: mirror along each of `axes` (spatial axis indices; defaults to the last, left–right)
 *   with the probability, independently.
 * - `rotate90`: k·90° in the rows–columns plane, k uniform in {0, 1, 2, 3}.
 * - `rotate`: θ uniform in `degrees` (rows–columns plane).
 * - `zoom`: one factor uniform in `range` (> 1 enlarges).
 * - `translate`: a shift uniform in ±`fraction` of each side.
 * - `affine`: rotation, scale, shear (±`shear`) and translation together.
 * - `elastic` (2D): a random displacement of up to `magnitude` voxels on a `gridSize`² grid
 *   (default 4), interpolated smoothly.
 * - `randomCrop`: a random window of `fraction` of each side, zoomed back to the input size.
 * - `gaussianNoise`: add N(0, std²) per voxel. `brightness`: add a value uniform in `range`.
 *   `contrast`: scale about the sample's mean by a factor in `range`. `gamma`: ((x − min)/(max −
 *   min))^γ·(max − min) + min with γ in `range`.
 *
 * @param transforms - the transforms, applied in order (intensity ones after the geometry).
 * @param options - `seed`: the pipeline's own generator (default 0).
 * @returns an {@link Augmentation}.
 * @throws {@link ArgumentError} for an unknown transform or bad parameters.
 *
 * @example
 * ```ts
 * const augment = createAugmentation([
 *   { kind: 'flip', probability: 0.5 },
 *   { kind: 'rotate', degrees: [-15, 15], probability: 0.5 },
 *   { kind: 'gaussianNoise', std: 0.02 },
 * ], { seed: 1 });
 * await trainClassifier(model, data, { augment, seed: 1 });
 * ```
 */
export function createAugmentation(
  transforms: readonly AugmentTransform[],
  options?: { seed?: Seed },
): Augmentation {
  const resolved = resolveTransforms(transforms);
  const { seed } = resolveOptions(FN, options, {
    seed: { constraint: { kind: 'seed' }, default: 0 },
  });
  const own = new Random(seed);

  const draw = (
    x: tf.Tensor,
    random: Random,
  ): {
    geometries: Geometry[];
    flips: boolean[][];
    intensity: ((t: tf.Tensor, b: number) => tf.Tensor)[][];
  } => {
    const n = x.shape[0]!;
    const spatial = x.shape.slice(1, -1);
    const r = spatial.length;
    const geometries: Geometry[] = [];
    const flips: boolean[][] = [];
    const intensity: ((t: tf.Tensor, b: number) => tf.Tensor)[][] = [];
    for (let b = 0; b < n; b++) {
      let matrix = identity(r);
      let shift = new Array<number>(r).fill(0);
      let elastic: Geometry['elastic'];
      const flip = new Array<boolean>(r).fill(false);
      const ops: ((t: tf.Tensor, b: number) => tf.Tensor)[] = [];
      for (const t of resolved) {
        const applies = random.nextFloat() < t.probability;
        switch (t.kind) {
          case 'flip': {
            for (const axis of t.axes ?? [r - 1]) {
              if (!Number.isInteger(axis) || axis < 0 || axis >= r) {
                throw new ArgumentError(
                  `createAugmentation: flip axis ${axis} is not a spatial axis of a ${r}-D sample.`,
                );
              }
              // each axis flips on its own draw, with the transform's probability
              if (random.nextFloat() < t.probability) flip[axis] = !flip[axis];
            }
            break;
          }
          case 'rotate90': {
            const k = random.int(4);
            if (applies) matrix = multiply(matrix, rotation((k * Math.PI) / 2, r), r);
            break;
          }
          case 'rotate': {
            const deg = random.uniform(t.degrees[0], t.degrees[1]);
            if (applies) matrix = multiply(matrix, rotation((deg * Math.PI) / 180, r), r);
            break;
          }
          case 'zoom': {
            const z = random.uniform(t.range[0], t.range[1]);
            if (applies) matrix = matrix.map((v) => v / z);
            break;
          }
          case 'translate': {
            const d = spatial.map((s) => random.uniform(-t.fraction, t.fraction) * s);
            if (applies) shift = shift.map((v, a) => v - d[a]!);
            break;
          }
          case 'affine': {
            const deg = t.degrees ? random.uniform(t.degrees[0], t.degrees[1]) : 0;
            const sc = t.scale ? random.uniform(t.scale[0], t.scale[1]) : 1;
            const sh = t.shear ? random.uniform(-t.shear, t.shear) : 0;
            const tr = spatial.map((s) =>
              t.translate ? random.uniform(-t.translate, t.translate) * s : 0,
            );
            if (applies) {
              const shear = identity(r);
              shear[(r - 2) * r + (r - 1)] = sh;
              matrix = multiply(
                multiply(matrix, rotation((deg * Math.PI) / 180, r), r),
                shear,
                r,
              ).map((v) => v / sc);
              shift = shift.map((v, a) => v - tr[a]!);
            }
            break;
          }
          case 'elastic': {
            const G = t.gridSize;
            const dy = Float32Array.from({ length: G * G }, () =>
              random.uniform(-t.magnitude, t.magnitude),
            );
            const dx = Float32Array.from({ length: G * G }, () =>
              random.uniform(-t.magnitude, t.magnitude),
            );
            if (applies && r === 2) elastic = { grid: G, dy, dx };
            break;
          }
          case 'randomCrop': {
            const f = random.uniform(t.fraction[0], t.fraction[1]);
            const offsets = spatial.map((s) => random.uniform(-(1 - f) / 2, (1 - f) / 2) * s);
            if (applies) {
              matrix = matrix.map((v) => v * f);
              shift = shift.map((v, a) => v + offsets[a]!);
            }
            break;
          }
          case 'gaussianNoise': {
            const seed = random.tfSeed();
            if (applies)
              ops.push((s) => tf.add(s, tf.randomNormal(s.shape, 0, t.std, 'float32', seed)));
            break;
          }
          case 'brightness': {
            const v = random.uniform(t.range[0], t.range[1]);
            if (applies) ops.push((s) => tf.add(s, v));
            break;
          }
          case 'contrast': {
            const f = random.uniform(t.range[0], t.range[1]);
            if (applies) ops.push((s) => tf.add(tf.mul(tf.sub(s, tf.mean(s)), f), tf.mean(s)));
            break;
          }
          case 'gamma': {
            const g = random.uniform(t.range[0], t.range[1]);
            if (applies) {
              ops.push((s) => {
                const lo = tf.min(s);
                const span = tf.maximum(tf.sub(tf.max(s), lo), 1e-12);
                return tf.add(tf.mul(tf.pow(tf.div(tf.sub(s, lo), span), g), span), lo);
              });
            }
            break;
          }
        }
      }
      geometries.push({ matrix, shift, ...(elastic ? { elastic } : {}) });
      flips.push(flip);
      intensity.push(ops);
    }
    return { geometries, flips, intensity };
  };

  const geometric = (x: tf.Tensor, d: ReturnType<typeof draw>, nearest: boolean): tf.Tensor => {
    // flips as a reflection of the source coordinates, folded into the matrices
    const r = x.rank - 2;
    const geometries = d.geometries.map((g, b) => {
      const flip = d.flips[b]!;
      if (!flip.some(Boolean)) return g;
      const reflect = identity(r).map((v, i) => (i % (r + 1) === 0 && flip[i / (r + 1)] ? -1 : v));
      return {
        ...g,
        matrix: multiply(reflect, g.matrix, r),
        shift: g.shift.map((v, a) => (flip[a] ? -v : v)),
      };
    });
    const trivial = geometries.every(
      (g) =>
        !g.elastic &&
        g.shift.every((v) => v === 0) &&
        g.matrix.every((v, i) => v === (i % (r + 1) === 0 ? 1 : 0)),
    );
    return trivial ? tf.clone(x) : resample(x, geometries, nearest);
  };

  const check = (x: unknown, what: string): tf.Tensor => {
    if (!isTensor(x) || (x.rank !== 4 && x.rank !== 5)) {
      throw new ShapeError(
        `augmentation: \`${what}\` must be a batch [n, h, w, c] or [n, d, h, w, c]. Received: ${isTensor(x) ? formatShape(x.shape) : describeValue(x)}.`,
      );
    }
    return x;
  };

  const run = (x: tf.Tensor, d: ReturnType<typeof draw>): tf.Tensor =>
    tf.tidy(() => {
      const moved = tf.cast(geometric(x, d, false), 'float32');
      if (d.intensity.every((ops) => ops.length === 0)) return moved;
      const samples = tf
        .unstack(moved, 0)
        .map((s, b) => d.intensity[b]!.reduce((acc, op) => op(acc, b), s));
      return tf.stack(samples, 0);
    });

  const augmentation = ((batch: tf.Tensor, context?: AugmentCall) => {
    const x = check(batch, 'batch');
    return run(x, draw(x, context?.random ?? own));
  }) as Augmentation;
  augmentation.withMask = (batch, mask, context) => {
    const x = check(batch, 'batch');
    const m = check(mask, 'mask');
    if (m.shape.slice(0, -1).join() !== x.shape.slice(0, -1).join()) {
      throw new ShapeError(
        `augmentation: \`mask\` ${formatShape(m.shape)} must match the batch ${formatShape(x.shape)} except in channels.`,
      );
    }
    const d = draw(x, context?.random ?? own);
    return { image: run(x, d), mask: tf.tidy(() => geometric(m, d, true)) };
  };
  return augmentation;
}
