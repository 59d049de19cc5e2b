/**
 * One Adam step per variable (`adamUpdate`, for `fusedAdam`), in WebAssembly SIMD.
 *
 * @module
 */
import {
  addTo,
  bytesOf,
  F32,
  F32_ADD,
  F32_CONST,
  F32_DIV,
  F32_LOAD,
  F32_MUL,
  F32_SQRT,
  F32_STORE,
  F32_SUB,
  F32X4_ADD,
  F32X4_DIV,
  F32X4_MUL,
  F32X4_SPLAT,
  F32X4_SQRT,
  funcBody,
  get,
  I32,
  I32_ADD,
  I32_GE_S,
  I32_GT_S,
  i32,
  load128,
  memarg,
  set,
  simd,
  store128,
  sum,
  TEE,
  V128,
  whileLoop,
} from './kernels/simd/assembler.js';

/**
 * adamUpdate. Params 0 value, 1 gradient, 2 m, 3 v, 4–6 outputs, 7 n, 8–9 β accumulators (i32),
 * 10 β1, 11 1 − β1, 12 β2, 13 1 − β2, 14 ε, 15 −lr (f32); locals 16 i, 17 bytes; f32 18 1 − β1ᵗ,
 * 19 1 − β2ᵗ, 20–22 g, m', v'; v128 23–30 the eight scalars splatted, 31–33 g, m', v'.
 */
export function adamBody(): number[] {
  const [value, grad, m, v, outValue, outM, outV, n, acc1, acc2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i, bytes, inv1, inv2] = [16, 17, 18, 19];
  const scalars = [10, 11, 12, 13, 14, 15, inv1, inv2]; // β1, 1−β1, β2, 1−β2, ε, −lr, 1−β1ᵗ, 1−β2ᵗ
  const element = (vector: boolean) => {
    const k = (j: number) => get(vector ? 23 + j : scalars[j]!);
    const [g, nm, nv] = vector ? [31, 32, 33] : [20, 21, 22];
    const load = vector ? load128 : [F32_LOAD, ...memarg(2)];
    const store = vector ? store128 : [F32_STORE, ...memarg(2)];
    const [mul, add, div, sqrt] = vector
      ? [simd(F32X4_MUL), simd(F32X4_ADD), simd(F32X4_DIV), simd(F32X4_SQRT)]
      : [[F32_MUL], [F32_ADD], [F32_DIV], [F32_SQRT]];
    return [
      ...sum(grad, i),
      ...load,
      ...set(g),
      // m' = m·β1 + g·(1 − β1)
      ...sum(outM, i),
      ...sum(m, i),
      ...load,
      ...k(0),
      ...mul,
      ...get(g),
      ...k(1),
      ...mul,
      ...add,
      TEE,
      nm,
      ...store,
      // v' = v·β2 + g²·(1 − β2)
      ...sum(outV, i),
      ...sum(v, i),
      ...load,
      ...k(2),
      ...mul,
      ...get(g),
      ...get(g),
      ...mul,
      ...k(3),
      ...mul,
      ...add,
      TEE,
      nv,
      ...store,
      // value' = (m'/(1 − β1ᵗ)) / (√(v'/(1 − β2ᵗ)) + ε) · (−lr) + value
      ...sum(outValue, i),
      ...get(nm),
      ...k(6),
      ...div,
      ...get(nv),
      ...k(7),
      ...div,
      ...sqrt,
      ...k(4),
      ...add,
      ...div,
      ...k(5),
      ...mul,
      ...sum(value, i),
      ...load,
      ...add,
      ...store,
      ...addTo(i, i32(vector ? 16 : 4)),
    ];
  };
  const oneMinus = (acc: number, local: number) => [
    F32_CONST,
    0x00,
    0x00,
    0x80,
    0x3f, // 1.0f
    ...get(acc),
    F32_LOAD,
    ...memarg(2),
    F32_SUB,
    ...set(local),
  ];
  const body = [
    ...oneMinus(acc1, inv1),
    ...oneMinus(acc2, inv2),
    ...scalars.flatMap((local, j) => [...get(local), ...simd(F32X4_SPLAT), ...set(23 + j)]),
    ...bytesOf(n, bytes),
    ...i32(0),
    ...set(i),
    ...whileLoop([...get(i), ...i32(16), I32_ADD, ...get(bytes), I32_GT_S], element(true)),
    ...whileLoop([...get(i), ...get(bytes), I32_GE_S], element(false)),
  ];
  return funcBody(
    [
      [2, I32],
      [5, F32],
      [11, V128],
    ],
    body,
  );
}
