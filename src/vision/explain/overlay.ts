/**
 * Showing a heatmap over its image: the image in grey (min–max scaled), the heatmap through a
 * colour map, blended as RGBA pixels ready for a canvas (`new ImageData(data, width, height)`)
 * or a PNG encoder.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, ShapeError } from '../../core/errors.js';
import { formatShape, isTensor } from '../../core/tensors.js';
import { resolveOptions } from '../../core/validate.js';

/** Options of {@link overlayHeatmap}. */
export interface OverlayOptions {
  /** The heatmap's opacity at its strongest, in [0, 1]. Defaults to 0.5. */
  alpha?: number;
  /** `'jet'` (blue → red) or `'hot'` (black → red → yellow → white). Defaults to `'jet'`. */
  colormap?: 'jet' | 'hot';
  /** Heat below this value is not drawn (the image shows through). Defaults to 0. */
  threshold?: number;
}

/** RGBA pixels, row-major, 4 bytes a pixel (the layout of the browser's `ImageData`). */
export interface RgbaImage {
  /** The pixels. */
  data: Uint8ClampedArray;
  /** Pixels per row. */
  width: number;
  /** Rows. */
  height: number;
}

function colour(map: 'jet' | 'hot', v: number): [number, number, number] {
  const clamp = (x: number) => Math.min(1, Math.max(0, x));
  if (map === 'hot') return [clamp(3 * v), clamp(3 * v - 1), clamp(3 * v - 2)];
  return [
    clamp(1.5 - Math.abs(4 * v - 3)),
    clamp(1.5 - Math.abs(4 * v - 2)),
    clamp(1.5 - Math.abs(4 * v - 1)),
  ];
}

/**
 * Blends a heatmap over an image: out = (1 − a·h)·grey + a·h·colour(h) per pixel, with h the
 * heat in [0, 1] (values outside are clipped) and a = `alpha`; opaque.
 *
 * @param image - `[h, w]`, `[h, w, 1]` or `[h, w, 3]` (any value range; scaled min–max).
 * @param heatmap - `[h, w]` heat in [0, 1] (as {@link gradCam} returns).
 * @param options - see {@link OverlayOptions}.
 * @returns the RGBA pixels.
 * @throws {@link ShapeError} when the sizes differ; {@link ArgumentError} for non-tensors.
 *
 * @example
 * ```ts
 * const { data, width, height } = await overlayHeatmap(image, await gradCam(model, image));
 * ctx.putImageData(new ImageData(data, width, height), 0, 0);
 * ```
 */
export async function overlayHeatmap(
  image: tf.Tensor,
  heatmap: tf.Tensor,
  options?: OverlayOptions,
): Promise<RgbaImage> {
  const fn = 'overlayHeatmap';
  const o = resolveOptions(fn, options, {
    alpha: { constraint: { kind: 'number', min: 0, max: 1 }, default: 0.5 },
    colormap: { constraint: { kind: 'string', oneOf: ['jet', 'hot'] }, default: 'jet' },
    threshold: { constraint: { kind: 'number', min: 0, max: 1 }, default: 0 },
  });
  if (!isTensor(image) || !isTensor(heatmap)) {
    throw new ArgumentError(`${fn}: \`image\` and \`heatmap\` must be tensors.`);
  }
  const channels = image.rank === 2 ? 1 : image.shape[2]!;
  if (image.rank < 2 || image.rank > 3 || (channels !== 1 && channels !== 3)) {
    throw new ShapeError(
      `${fn}: \`image\` must be [h, w], [h, w, 1] or [h, w, 3]. Received: shape ${formatShape(image.shape)}.`,
    );
  }
  const [height, width] = image.shape as [number, number];
  if (heatmap.rank !== 2 || heatmap.shape[0] !== height || heatmap.shape[1] !== width) {
    throw new ShapeError(
      `${fn}: \`heatmap\` must be [${height}, ${width}] (the image's size). Received: shape ${formatShape(heatmap.shape)}.`,
    );
  }
  const [pixels, heat] = await Promise.all([image.data(), heatmap.data()]);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const v of pixels) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const span = hi > lo ? hi - lo : 1;
  const data = new Uint8ClampedArray(width * height * 4);
  const alpha = o.alpha;
  for (let p = 0; p < width * height; p++) {
    const h = Math.min(1, Math.max(0, heat[p]!));
    const a = h >= o.threshold ? alpha * h : 0;
    const [r, g, b] = colour(o.colormap, h);
    const rgb = [r, g, b];
    for (let c = 0; c < 3; c++) {
      const grey = (pixels[p * channels + (channels === 3 ? c : 0)]! - lo) / span;
      data[p * 4 + c] = Math.round(255 * ((1 - a) * grey + a * rgb[c]!));
    }
    data[p * 4 + 3] = 255;
  }
  return { data, width, height };
}
