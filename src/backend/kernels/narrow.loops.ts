/**
 * float64 values rounded to float32 in WebAssembly SIMD (`narrow`): four values a step, each
 * rounded to nearest as `Math.fround` rounds, and their finiteness checked in the same step; and
 * the finiteness check alone over float32 values (`finite32`).
 *
 * @module
 */
import {
  counted,
  F32X4_ADD,
  F32X4_DEMOTE_F64X2_ZERO,
  F32X4_MUL,
  funcBody,
  get,
  I8X16_SHUFFLE,
  I32,
  load128,
  load128At,
  set,
  simd,
  store128,
  sum,
  TEE,
  V128,
  ZERO_F32X4,
} from './simd/assembler.js';

/**
 * narrow: dst[i] = fround(src[i]) over `bytes` bytes of dst (a multiple of 16), and
 * flag[lane] += Σ dst[i]·0 over each lane's values (0 while every rounded value is finite, NaN
 * once one is not: ±∞, NaN, or a double beyond float32's range). Params 0 src (float64), 1 dst
 * (float32), 2 bytes, 3 flag (four floats); locals 4 i (dst's bytes), 5 src's byte offset
 * (2·i); v128 6 the flag's sums, 7 the four rounded values.
 */
export function narrowBody(): number[] {
  const [src, dst, bytes, flag, i, at] = [0, 1, 2, 3, 4, 5];
  const [check, values] = [6, 7];
  const demote = simd(F32X4_DEMOTE_F64X2_ZERO);
  // lanes 0–1 of the first demoted pair, then lanes 0–1 of the second
  const join = [...simd(I8X16_SHUFFLE), 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23];
  const step = [
    ...sum(i, i),
    ...set(at),
    ...sum(dst, i),
    ...sum(src, at),
    ...load128,
    ...demote,
    ...sum(src, at),
    ...load128At(16),
    ...demote,
    ...join,
    TEE,
    values,
    ...store128,
    ...get(check),
    ...get(values),
    ...ZERO_F32X4,
    ...simd(F32X4_MUL),
    ...simd(F32X4_ADD),
    ...set(check),
  ];
  return funcBody(
    [
      [2, I32],
      [2, V128],
    ],
    [
      ...get(flag),
      ...get(flag),
      ...load128,
      ...set(check),
      ...counted(i, get(bytes), 16, step),
      ...get(check),
      ...store128,
    ],
  );
}

/**
 * finite32: flag[lane] += Σ x[i]·0 over each lane's float32 values at `x` (0 while every value is
 * finite, NaN once one is not), over `bytes` bytes (a multiple of 32), in two chains of sums (the
 * second added into the first at the end). Params 0 x, 1 unused, 2 flag (four floats), 3 bytes,
 * 4 unused (f32); locals 5 i; v128 6–7 the two chains' sums.
 */
export function finite32Body(): number[] {
  const [x, , flag, bytes, , i, a, b] = [0, 1, 2, 3, 4, 5, 6, 7];
  const add = (acc: number, offset: number) => [
    ...get(acc),
    ...sum(x, i),
    ...load128At(offset),
    ...ZERO_F32X4,
    ...simd(F32X4_MUL),
    ...simd(F32X4_ADD),
    ...set(acc),
  ];
  return funcBody(
    [
      [1, I32],
      [2, V128],
    ],
    [
      ...get(flag),
      ...load128,
      ...set(a),
      ...ZERO_F32X4,
      ...set(b),
      ...counted(i, get(bytes), 32, [...add(a, 0), ...add(b, 16)]),
      ...get(flag),
      ...get(a),
      ...get(b),
      ...simd(F32X4_ADD),
      ...store128,
    ],
  );
}
