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
  I32_ADD,
  I32_GE_S,
  I32_GT_S,
  i32,
  load128,
  multiplyAdd,
  set,
  simd,
  store128,
  strided,
  sum,
  uleb,
  V128,
  whileLoop,
} from './simd/assembler.js';

/**
 * dotRows (`axpy` false): acc[c] += Σ_k a[k·aStride + c] · b[k·bStride + c]; axpyRows (`axpy`):
 * b[k·bStride + c] += a[k·aStride + c] · acc[c]. Params 0 a, 1 aStride, 2 b, 3 bStride, 4 acc,
 * 5 count, 6 C·4; locals 7 k, 8 c.
 */
export function rowsBody(mode: 'dot' | 'axpy'): number[] {
  const [a, as, b, bs, acc, count, cb] = [0, 1, 2, 3, 4, 5, 6];
  const [k, c] = [7, 8];
  const target = mode === 'dot' ? sum(acc, c) : sum(b, c);
  const factor = [...(mode === 'axpy' ? sum(acc, c) : sum(b, c)), ...load128];
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
  const row = [...counted(c, get(cb), 16, channel), ...addTo(a, get(as)), ...addTo(b, get(bs))];
  return funcBody([[2, I32]], counted(k, get(count), 1, row));
}

/**
 * scaledRows: b[c] += Σ_k vector[k] · a[k·aStride + c] over `count` rows, each row's product
 * added in turn (b's one row for all of them). Four rows at a time (b loaded and stored once for
 * four rows), then the last rows one by one; the additions run in the same order either way, so
 * the result is bit for bit one row at a time. `fused`: each row's term added by
 * `f32x4.relaxed_madd` (relaxed SIMD), fused where the hardware fuses. Params 0 a, 1 aStride, 2 b,
 * 3 (unused), 4 vector, 5 count, 6 C·4; locals 7 k, 8 c, 9–11 rows 1–3's pointers; v128 12–15 the
 * rows' factors (vector[k] in every lane), 16 the running sum.
 */
export function scaledRowsBody(fused: boolean): number[] {
  const [a, as, b, vector, count, cb] = [0, 1, 2, 4, 5, 6];
  const [k, c] = [7, 8];
  /** Row q's pointer: a, then the locals 9–11. */
  const rowPointer = (q: number) => (q === 0 ? a : 8 + q);
  const factor = (q: number) => 12 + q;
  const splat = (q: number) => [
    ...get(vector),
    F32_LOAD,
    2,
    ...uleb(4 * q),
    ...simd(F32X4_SPLAT),
    ...set(factor(q)),
  ];
  const running = 16;
  /** The running sum + row q's values times its factor. */
  const term = (q: number) =>
    multiplyAdd(running, [...sum(rowPointer(q), c), ...load128, ...get(factor(q))], fused);
  const rowsOf = (n: number) => {
    const rows = Array.from({ length: n }, (_, q) => q);
    return [
      ...strided(a, as, rows.slice(1).map(rowPointer)),
      ...rows.flatMap(splat),
      ...counted(c, get(cb), 16, [
        ...sum(b, c),
        ...load128,
        ...set(running),
        ...rows.flatMap(term),
        ...sum(b, c),
        ...get(running),
        ...store128,
      ]),
      ...strided(rowPointer(n - 1), as, [a]),
      ...addTo(vector, i32(4 * n)),
      ...addTo(k, i32(n)),
    ];
  };
  return funcBody(
    [
      [5, I32],
      [5, V128],
    ],
    [
      ...i32(0),
      ...set(k),
      ...whileLoop([...get(k), ...i32(4), I32_ADD, ...get(count), I32_GT_S], rowsOf(4)),
      ...whileLoop([...get(k), ...get(count), I32_GE_S], rowsOf(1)),
    ],
  );
}
