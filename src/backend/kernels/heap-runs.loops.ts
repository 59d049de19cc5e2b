/**
 * Copying and adding runs of floats on a heap (`copyRuns`, `addRuns`): the im2row panels of the convolution gradients and the depth folding of the 3D ones, in WebAssembly SIMD.
 *
 * @module
 */
import {
  addTo,
  bytesOf,
  counted,
  F32_ADD,
  F32_LOAD,
  F32_STORE,
  F32X4_ADD,
  funcBody,
  get,
  I32,
  I32_ADD,
  I32_GE_S,
  I32_GT_S,
  I32_LOAD,
  I32_STORE,
  i32,
  load128,
  memarg,
  set,
  simd,
  store128,
  sum,
  whileLoop,
} from './simd/assembler.js';

/** copyRuns (or addRuns, `add`). Params 0–5; locals 6 k, 7 i (byte in run), 8 bytes. */
export function runsBody(add: boolean): number[] {
  const [src, ss, dst, ds, count, length] = [0, 1, 2, 3, 4, 5];
  const [k, i, bytes] = [6, 7, 8];
  const vector = [
    ...sum(dst, i),
    ...(add ? [...sum(dst, i), ...load128] : []),
    ...sum(src, i),
    ...load128,
    ...(add ? simd(F32X4_ADD) : []),
    ...store128,
    ...addTo(i, i32(16)),
  ];
  const scalar = [
    ...sum(dst, i),
    ...(add ? [...sum(dst, i), F32_LOAD, ...memarg(2)] : []),
    ...sum(src, i),
    ...(add ? [F32_LOAD, ...memarg(2), F32_ADD, F32_STORE] : [I32_LOAD, ...memarg(2), I32_STORE]),
    ...memarg(2),
    ...addTo(i, i32(4)),
  ];
  const run = [
    ...i32(0),
    ...set(i),
    ...whileLoop([...get(i), ...i32(16), I32_ADD, ...get(bytes), I32_GT_S], vector),
    ...whileLoop([...get(i), ...get(bytes), I32_GE_S], scalar),
    ...addTo(src, get(ss)),
    ...addTo(dst, get(ds)),
  ];
  const body = [...bytesOf(length, bytes), ...counted(k, get(count), 1, run)];
  return funcBody([[3, I32]], body);
}
