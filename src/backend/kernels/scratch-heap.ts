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
import { type SimdLoops, simdForMemory } from './simd.js';

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
