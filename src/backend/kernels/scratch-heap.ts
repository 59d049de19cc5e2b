/**
 * A private WebAssembly heap for the cpu backend's kernels: the cpu backend keeps tensors in
 * JavaScript typed arrays, so its heavy kernels (convolutions and their gradients) copy their
 * operands into this heap, run the library's WebAssembly SIMD loops there ({@link simdForMemory})
 * and copy the result out. The copies are a few per cent of the work they enable (a 3×3
 * convolution reads each input value nine times).
 *
 * One heap per process, grown on demand and never shrunk, at most {@link MAX_SCRATCH_BYTES}:
 * kernels that need more (or run where WebAssembly SIMD is missing or the heap cannot grow) keep
 * their JavaScript loops.
 *
 * @module
 */
import { type SimdLoops, simdForMemory } from './simd/modules.js';

/** The most the heap grows to (bytes). */
export const MAX_SCRATCH_BYTES = 256 * 1024 * 1024;

/** The heap: its SIMD loops and a float32 view of all of it (float index = byte offset / 4). */
export interface ScratchHeap {
  /** The SIMD loops bound to the heap; pointers are byte offsets. */
  loops: SimdLoops;
  /** The whole heap as floats. */
  f32: Float32Array;
}

let memory: WebAssembly.Memory | null | undefined;
let enabled = true;

/**
 * The scratch heap with room for `floats` floats, or undefined where it cannot be had (no
 * WebAssembly SIMD, more than {@link MAX_SCRATCH_BYTES}, growth refused, or turned off).
 *
 * @internal
 */
export function scratchHeap(floats: number): ScratchHeap | undefined {
  if (!enabled || floats * 4 > MAX_SCRATCH_BYTES) return undefined;
  if (memory === undefined) {
    try {
      memory = new WebAssembly.Memory({ initial: 1 });
      if (!simdForMemory(memory)) memory = null;
    } catch {
      memory = null;
    }
  }
  if (memory === null) return undefined;
  const missing = floats * 4 - memory.buffer.byteLength;
  if (missing > 0) {
    try {
      memory.grow(Math.ceil(missing / 65536));
    } catch {
      return undefined;
    }
  }
  return { loops: simdForMemory(memory)!, f32: new Float32Array(memory.buffer) };
}

/**
 * Turns the scratch heap off (the kernels then use their JavaScript loops) or on again; returns
 * the previous setting. For tests of the JavaScript paths.
 *
 * @internal
 */
export function setScratchHeapEnabled(on: boolean): boolean {
  const was = enabled;
  enabled = on;
  return was;
}

/**
 * Float offsets for consecutive regions of the given sizes, each starting on a 16-byte boundary,
 * and the total floats they take.
 *
 * @internal
 */
export function layout(sizes: number[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let next = 0;
  for (const size of sizes) {
    offsets.push(next);
    next += Math.ceil(size / 4) * 4;
  }
  return { offsets, total: next };
}

/** n rounded up to a multiple of k (the gemm's blocks of 4 rows and 8 columns). @internal */
export const roundUp = (n: number, k: number): number => Math.ceil(n / k) * k;

/** Zeroes `n` floats at `at`. @internal */
export function zeroFloats(f32: Float32Array, at: number, n: number): void {
  if (n < 16) for (let i = 0; i < n; i++) f32[at + i] = 0;
  else f32.fill(0, at, at + n);
}

/**
 * Copies `rows` rows of `cols` floats (row-major from the start of `src`) into the heap at `dst`,
 * rows `stride` floats apart, each row's padding zeroed, and the rows up to `rowsPad` too.
 * @internal
 */
export function placeRows(
  f32: Float32Array,
  src: Float32Array,
  rows: number,
  cols: number,
  dst: number,
  stride: number,
  rowsPad = rows,
): void {
  if (stride === cols) f32.set(src.subarray(0, rows * cols), dst);
  else
    for (let r = 0; r < rows; r++) {
      f32.set(src.subarray(r * cols, (r + 1) * cols), dst + r * stride);
      zeroFloats(f32, dst + r * stride + cols, stride - cols);
    }
  zeroFloats(f32, dst + rows * stride, (rowsPad - rows) * stride);
}

/** Copies `rows` rows of `cols` floats, `stride` apart in the heap at `src`, into `out` at `at`. @internal */
export function takeRows(
  f32: Float32Array,
  src: number,
  stride: number,
  out: Float32Array,
  at: number,
  rows: number,
  cols: number,
): void {
  if (stride === cols) out.set(f32.subarray(src, src + rows * cols), at);
  else
    for (let r = 0; r < rows; r++)
      out.set(f32.subarray(src + r * stride, src + r * stride + cols), at + r * cols);
}
