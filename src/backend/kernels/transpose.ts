/**
 * `Transpose` of the last two axes (a batch of matrices) on the wasm backend by SIMD 4 × 4 tiles:
 * the backend's own kernel moves one element at a time (2–9 ns an element here), and a dense
 * layer's gradients transpose an operand for every product. On the cpu backend (float32) by 32 ×
 * 32 tiles in JavaScript: its own kernel computes each element's index from scratch (a fifth of
 * a private seed-CNN step under DP-SGD). Other permutations and dtypes go to the backend's own
 * kernel.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend } from '../kernel-calls.js';
import type { WasmBackendLike } from './js-access.js';
import { accessFor, heapOffset } from './js-access.js';
import { simdFor } from './simd/modules.js';

/** Builds the kernel function for `backendName`. @internal */
export function transposeLastTwo(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { perm } = attrs as unknown as { perm: number[] };
    const rank = x.shape.length;
    const swapsLastTwo =
      rank >= 2 &&
      perm.length === rank &&
      perm.every((p, i) => (i < rank - 2 ? p === i : p === (i === rank - 2 ? rank - 1 : rank - 2)));
    if (backendName === 'cpu' && swapsLastTwo && x.dtype === 'float32') return tiles(backend, x);
    const loops =
      swapsLastTwo && (x.dtype === 'float32' || x.dtype === 'int32') ? simdFor(backend) : undefined;
    if (!loops)
      return callKernel(
        'Transpose',
        backendName,
        backend as KernelBackend,
        inputs as never,
        {
          perm,
        } as never,
      );
    const b = backend as unknown as WasmBackendLike;
    const [R, C] = x.shape.slice(-2) as [number, number];
    const batch = x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
    const out = b.makeOutput([...x.shape.slice(0, -2), C, R], x.dtype); // views after this
    const xv = b.typedArrayFromHeap(x);
    const ov = b.typedArrayFromHeap(out);
    const [px, po] = [heapOffset(backend, x), heapOffset(backend, out)];
    const R4 = R - (R % 4);
    const C4 = C - (C % 4);
    for (let m = 0; m < batch; m++) {
      const at = m * R * C;
      if (R4 > 0 && C4 > 0) loops.transpose4(px + 4 * at, po + 4 * at, R4, C4, 4 * C, 4 * R);
      // the edges: rows R4… (every column) and columns C4… (the other rows)
      for (let i = 0; i < R; i++)
        for (let j = i < R4 ? C4 : 0; j < C; j++) ov[at + j * R + i] = xv[at + i * C + j]!;
    }
    return out;
  };
}

/** The cpu backend's transpose of the last two axes, in 32 × 32 tiles (each read and written once). */
function tiles(backend: unknown, x: tf.TensorInfo): tf.TensorInfo {
  const [R, C] = x.shape.slice(-2) as [number, number];
  const batch = x.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const {
    out,
    outValues: o,
    values,
  } = accessFor('cpu', backend).output([...x.shape.slice(0, -2), C, R], [x], false);
  const v = values[0]!;
  const T = 32;
  for (let m = 0; m < batch; m++) {
    const at = m * R * C;
    for (let i0 = 0; i0 < R; i0 += T)
      for (let j0 = 0; j0 < C; j0 += T) {
        const [i1, j1] = [Math.min(R, i0 + T), Math.min(C, j0 + T)];
        for (let i = i0; i < i1; i++)
          for (let j = j0; j < j1; j++) o[at + j * R + i] = v[at + i * C + j]!;
      }
  }
  return out;
}
