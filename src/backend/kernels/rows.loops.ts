/**
 * Per-channel row loops (`dotRows`, `axpyRows`: the depthwise-convolution gradients; `scaledRows`: the last rows of a matrix product), in WebAssembly SIMD.
 *
 * @module
 */
import {
  addTo,
  counted,
  F32_LOAD,
  F32X4_ADD,
  F32X4_MUL,
  F32X4_SPLAT,
  funcBody,
  get,
  I32,
  i32,
  load128,
  memarg,
  set,
  simd,
  store128,
  sum,
  V128,
} from './simd/assembler.js';

/**
 * dotRows (`axpy` false): acc[c] += Σ_k a[k·aStride + c] · b[k·bStride + c]; axpyRows (`axpy`):
 * b[k·bStride + c] += a[k·aStride + c] · acc[c]. Params 0 a, 1 aStride, 2 b, 3 bStride, 4 acc,
 * 5 count, 6 C·4; locals 7 k, 8 c.
 */
export function rowsBody(mode: 'dot' | 'axpy' | 'scaled'): number[] {
  const [a, as, b, bs, acc, count, cb] = [0, 1, 2, 3, 4, 5, 6];
  const [k, c, scale] = [7, 8, 9];
  const target = mode === 'dot' ? sum(acc, c) : sum(b, c);
  const factor =
    mode === 'scaled' ? get(scale) : [...(mode === 'axpy' ? sum(acc, c) : sum(b, c)), ...load128];
  const channel = [
    ...target,
    ...target,
    ...load128,
    ...sum(a, c),
    ...load128,
    ...factor,
    ...simd(F32X4_MUL),
    ...simd(F32X4_ADD),
    ...store128,
  ];
  // scaled: this row's factor, vector[k] in every lane
  const splat =
    mode === 'scaled'
      ? [
          ...get(acc),
          F32_LOAD,
          ...memarg(2),
          ...simd(F32X4_SPLAT),
          ...set(scale),
          ...addTo(acc, i32(4)),
        ]
      : [];
  const row = [
    ...splat,
    ...counted(c, get(cb), 16, channel),
    ...addTo(a, get(as)),
    ...addTo(b, get(bs)),
  ];
  return funcBody(
    [
      [2, I32],
      [1, V128],
    ],
    counted(k, get(count), 1, row),
  );
}
