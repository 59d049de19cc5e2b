/**
 * Leaky ReLU and its gradient (`leakyRelu`, `leakyReluGrad`), in WebAssembly SIMD.
 *
 * @module
 */
import {
  counted,
  F32_CONST,
  F32X4_GT,
  F32X4_LT,
  F32X4_MUL,
  F32X4_NE,
  F32X4_SPLAT,
  funcBody,
  get,
  I32,
  load128,
  set,
  simd,
  store128,
  sum,
  TEE,
  V128,
  V128_BITSELECT,
  ZERO_F32X4,
} from './simd/assembler.js';

/**
 * leakyRelu (x → out) and leakyReluGrad (x, dy → dx) over `bytes` bytes (a multiple of 16), with
 * tfjs's rules: forward x < 0 ? α·x : x (the wasm and cpu kernels'), gradient x > 0 ? dy : α·dy
 * (tfjs-core's where(greater(x, 0), dy, α·dy)); NaN, ±0 and ±∞ as those give them. Params 0 x, 1 dy, 2 out, 3 bytes, 4 α (f32); locals 5 i, v128 6 α splatted, 7 value.
 */
export function leakyReluBody(gradient: boolean): number[] {
  const [x, dy, out, bytes, alpha, i, a, v] = [0, 1, 2, 3, 4, 5, 6, 7];
  // gradient: bitselect(dy, α·dy, x > 0); forward: bitselect(α·x, x, x < 0)
  const element = [
    ...sum(out, i),
    ...sum(gradient ? dy : x, i),
    ...load128,
    TEE,
    v,
    ...(gradient ? get(v) : []),
    ...get(a),
    ...simd(F32X4_MUL),
    ...(gradient ? [...sum(x, i), ...load128] : [...get(v), ...get(v)]),
    ...ZERO_F32X4,
    ...simd(gradient ? F32X4_GT : F32X4_LT),
    ...simd(V128_BITSELECT),
    ...store128,
  ];
  return funcBody(
    [
      [1, I32],
      [2, V128],
    ],
    [...get(alpha), ...simd(F32X4_SPLAT), ...set(a), ...counted(i, get(bytes), 16, element)],
  );
}

/**
 * The vector dy · s, s = 1 where x > 0, x itself (NaN) where x is NaN, else 0 (the products of
 * tfjs-core's dy · step(x)), left on the stack: `dy` and `x` push the two vectors, `one` holds
 * 1 in every lane, `v` is a scratch local for x. @internal
 */
export function reluGradProduct(dy: number[], x: number[], one: number, v: number): number[] {
  return [
    ...dy,
    // s = bitselect(x, bitselect(1, 0, x > 0), x ≠ x)
    ...x,
    TEE,
    v,
    ...get(one),
    ...ZERO_F32X4,
    ...get(v),
    ...ZERO_F32X4,
    ...simd(F32X4_GT),
    ...simd(V128_BITSELECT),
    ...get(v),
    ...get(v),
    ...simd(F32X4_NE),
    ...simd(V128_BITSELECT),
    ...simd(F32X4_MUL),
  ];
}

/** 1.0 in every lane, into local `one`. @internal */
export const ones = (one: number): number[] => [
  F32_CONST,
  0,
  0,
  0x80,
  0x3f,
  ...simd(F32X4_SPLAT),
  ...set(one),
];

/**
 * reluGrad (x, dy → dx) over `bytes` bytes (a multiple of 16): dx = dy · step(x) as
 * {@link reluGradProduct}. Params 0 x, 1 dy, 2 out, 3 bytes, 4 α (unused); locals 5 i, v128
 * 6 one, 7 x's value.
 */
export function reluGradBody(): number[] {
  const [x, dy, out, bytes, , i, one, v] = [0, 1, 2, 3, 4, 5, 6, 7];
  const element = [
    ...sum(out, i),
    ...reluGradProduct([...sum(dy, i), ...load128], [...sum(x, i), ...load128], one, v),
    ...store128,
  ];
  return funcBody(
    [
      [1, I32],
      [2, V128],
    ],
    [...ones(one), ...counted(i, get(bytes), 16, element)],
  );
}
