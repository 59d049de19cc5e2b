/**
 * Copying a batch of images' rows between two layouts on the wasm backend's heap (`copyRuns`, one
 * call per image): an input into a buffer with its padding around it, an output off a larger grid.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { SimdLoops } from './simd/modules.js';

/** Where a batch of images lies: its first float's address, and bytes per image and per row. */
export interface ImageLayout {
  at: number;
  imageBytes: number;
  rowBytes: number;
}

/**
 * Copies `rows` rows of `rowFloats` floats of each of `images` images from `src` to `dst`.
 * @internal
 */
export function copyImageRows(
  loops: SimdLoops,
  images: number,
  rows: number,
  rowFloats: number,
  src: ImageLayout,
  dst: ImageLayout,
): void {
  for (let b = 0; b < images; b++)
    loops.copyRuns(
      src.at + b * src.imageBytes,
      src.rowBytes,
      dst.at + b * dst.imageBytes,
      dst.rowBytes,
      rows,
      rowFloats,
    );
}

/** A batch of images with padding: the sizes of the images inside and of the padded ones. */
export interface PaddedImages {
  images: number;
  height: number;
  width: number;
  channels: number;
  /** The padded height and width (≥ top + height, left + width). */
  paddedHeight: number;
  paddedWidth: number;
  top: number;
  left: number;
}

/** A convolution's input padded to `paddedHeight` × `paddedWidth`, its padding before it kept. */
export function paddedInput(
  info: tf.backend_util.Conv2DInfo,
  paddedHeight: number,
  paddedWidth: number,
): PaddedImages {
  return {
    images: info.batchSize,
    height: info.inHeight,
    width: info.inWidth,
    channels: info.inChannels,
    paddedHeight,
    paddedWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/**
 * Writes the images at the address `x` ([images, height, width, channels], float32) into the
 * padded buffer at the address `at` in `memory`, with zeros around them: the images' rows by
 * `copyRuns`, the zeros only where no row lands (the rows above and below, and the runs between
 * one row's right edge and the next row's left one), so the buffer is written once. @internal
 */
export function padImages(
  loops: SimdLoops,
  memory: WebAssembly.Memory,
  x: number,
  at: number,
  p: PaddedImages,
): void {
  const { images, height: H, width: W, channels: C } = p;
  const [Hp, Wp] = [p.paddedHeight, p.paddedWidth];
  const row = Wp * C;
  copyImageRows(
    loops,
    images,
    H,
    W * C,
    { at: x, imageBytes: 4 * H * W * C, rowBytes: 4 * W * C },
    { at: at + 4 * (p.top * Wp + p.left) * C, imageBytes: 4 * Hp * row, rowBytes: 4 * row },
  );
  const v = new Float32Array(memory.buffer, at, images * Hp * row);
  for (let b = 0; b < images; b++) {
    const base = b * Hp * row;
    // from the image's start to its first row's left edge, then from each row's right edge to
    // the next one's left edge (the last: to the image's end)
    let from = base;
    for (let r = 0; r <= H; r++) {
      const to = r < H ? base + (p.top + r) * row + p.left * C : base + Hp * row;
      v.fill(0, from, to);
      from = base + (p.top + r) * row + (p.left + W) * C;
    }
  }
}
