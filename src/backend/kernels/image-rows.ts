/**
 * Copying a batch of images' rows between two layouts on the wasm backend's heap (`copyRuns`, one
 * call per image): an input into a buffer with its padding around it, an output off a larger grid.
 *
 * @module
 */
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
