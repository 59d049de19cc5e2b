/**
 * Occlusion sensitivity (Zeiler & Fergus 2014): cover part of the image with a patch and see
 * how much the predicted probability of the class drops. Model-agnostic (no gradients), so it
 * also checks what Grad-CAM shows. 2D and 3D.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../../core/errors.js';
import { resolveOptions } from '../../core/validate.js';
import { checkExplainInput, classesToExplain } from './explain-inputs.js';

/** Options of {@link occlusionSensitivity}. */
export interface OcclusionOptions {
  /** The class to explain. Defaults to each image's top predicted class. */
  classIndex?: number;
  /** The side of the square (cubic) patch, in pixels. Defaults to 1/8 of the smallest side (≥ 1). */
  patchSize?: number;
  /** The step between patch positions. Defaults to `patchSize` / 2 (≥ 1). */
  stride?: number;
  /** The value the patch is filled with. Defaults to the image's mean. */
  fillValue?: number;
  /** Occluded copies evaluated per model call. Defaults to 64. */
  batchSize?: number;
  /** Whether the model outputs probabilities already (else a softmax is applied). Defaults to `false`. */
  probabilities?: boolean;
}

/** Patch origins along one axis: 0, stride, …, and a last one flush with the end. */
function origins(size: number, patch: number, stride: number): number[] {
  const out: number[] = [];
  for (let s = 0; s + patch < size; s += stride) out.push(s);
  out.push(Math.max(0, size - patch));
  return [...new Set(out)];
}

/**
 * Occlusion sensitivity maps: at each pixel, the mean drop of the class probability over the
 * patch positions that cover it, rectified and scaled to [0, 1].
 *
 * @param model - a tfjs-layers classifier (logits, or probabilities with `probabilities: true`).
 * @param image - one image `[h, w, c]` or volume `[d, h, w, c]` (the model's input shape), or a
 *   batch of one.
 * @param options - see {@link OcclusionOptions}.
 * @returns a float32 tensor `[h, w]` (or `[d, h, w]`) in [0, 1]; the caller disposes it.
 * @throws {@link ArgumentError} for a patch larger than the image, a class index out of range,
 *   NaN pixels; {@link ShapeError} for an image that does not fit the model.
 *
 * @example
 * ```ts
 * const map = await occlusionSensitivity(model, image, { patchSize: 4 });
 * ```
 */
export async function occlusionSensitivity(
  model: tfl.LayersModel,
  image: tf.Tensor,
  options?: OcclusionOptions,
): Promise<tf.Tensor> {
  const fn = 'occlusionSensitivity';
  const o = resolveOptions(fn, options, {
    classIndex: { constraint: { kind: 'number', integer: true, min: 0 } },
    patchSize: { constraint: { kind: 'number', integer: true, min: 1 } },
    stride: { constraint: { kind: 'number', integer: true, min: 1 } },
    fillValue: { constraint: { kind: 'number' } },
    batchSize: { constraint: { kind: 'number', integer: true, min: 1 }, default: 64 },
    probabilities: { constraint: { kind: 'boolean' }, default: false },
  });
  const input = await checkExplainInput(fn, model, image);
  try {
    if (input.batch.shape[0]! > 1) {
      throw new ArgumentError(
        `${fn}: explains one image at a time; pass \`image\` without a batch axis.`,
      );
    }
    const spatial = input.spatial;
    const patch = o.patchSize ?? Math.max(1, Math.floor(Math.min(...spatial) / 8));
    if (patch > Math.min(...spatial)) {
      throw new ArgumentError(
        `${fn}: \`patchSize\` ${describeValue(patch)} is larger than the image (${spatial.join('×')}).`,
      );
    }
    const stride = o.stride ?? Math.max(1, Math.floor(patch / 2));
    const [cls] = await classesToExplain(fn, model, input.batch, input.numClasses, o.classIndex);
    const fill = o.fillValue ?? (await meanOf(input.batch));
    const prob = (x: tf.Tensor) =>
      tf.tidy(() => {
        const out = model.predict(x) as tf.Tensor;
        const p = o.probabilities ? out : tf.softmax(out);
        return tf.squeeze(tf.slice(p, [0, cls!], [-1, 1]), [1]);
      });
    const baseT = prob(input.batch);
    const base = (await baseT.data())[0]!;
    baseT.dispose();
    // every patch position, as [start per spatial axis]
    const axes = spatial.map((size) => origins(size, patch, stride));
    let positions: number[][] = [[]];
    for (const list of axes) positions = positions.flatMap((p) => list.map((s) => [...p, s]));
    const pixels = spatial.reduce((a, b) => a * b, 1);
    const sum = new Float64Array(pixels);
    const count = new Float64Array(pixels);
    const channels = input.batch.shape[input.batch.rank - 1]!;
    const imageData = await input.batch.data();
    const batchSize = o.batchSize;
    for (let start = 0; start < positions.length; start += batchSize) {
      const chunk = positions.slice(start, start + batchSize);
      const copies = new Float32Array(chunk.length * pixels * channels);
      chunk.forEach((pos, j) => {
        copies.set(imageData, j * pixels * channels);
        forEachCovered(spatial, pos, patch, (p) => {
          for (let c = 0; c < channels; c++) copies[(j * pixels + p) * channels + c] = fill;
        });
      });
      const batch = tf.tensor(copies, [chunk.length, ...input.batch.shape.slice(1)]);
      const probsT = prob(batch);
      const probs = await probsT.data();
      tf.dispose([batch, probsT]);
      chunk.forEach((pos, j) => {
        const drop = base - probs[j]!;
        forEachCovered(spatial, pos, patch, (p) => {
          sum[p]! += drop;
          count[p]! += 1;
        });
      });
    }
    let max = 0;
    const map = new Float32Array(pixels);
    for (let p = 0; p < pixels; p++) {
      map[p] = count[p]! > 0 ? Math.max(0, sum[p]! / count[p]!) : 0;
      if (map[p]! > max) max = map[p]!;
    }
    if (max > 0) for (let p = 0; p < pixels; p++) map[p]! /= max;
    return tf.tensor(map, spatial);
  } finally {
    input.batch.dispose();
  }
}

async function meanOf(x: tf.Tensor): Promise<number> {
  const m = tf.mean(x);
  const [v] = await m.data();
  m.dispose();
  return v!;
}

/** Calls `visit` with the flat index of every pixel the patch at `origin` covers. */
function forEachCovered(
  spatial: number[],
  origin: number[],
  patch: number,
  visit: (p: number) => void,
): void {
  const walk = (axis: number, offset: number) => {
    if (axis === spatial.length) {
      visit(offset);
      return;
    }
    const end = Math.min(spatial[axis]!, origin[axis]! + patch);
    for (let i = origin[axis]!; i < end; i++) walk(axis + 1, offset * spatial[axis]! + i);
  };
  walk(0, 0);
}
