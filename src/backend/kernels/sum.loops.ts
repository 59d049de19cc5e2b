/**
 * Column sums in double precision (`addRows`): `Sum` over leading axes, in WebAssembly SIMD.
 *
 * @module
 */
import {
  addTo,
  counted,
  F64X2_ADD,
  F64X2_PROMOTE_LOW_F32X4,
  funcBody,
  get,
  I8X16_SHUFFLE,
  I32,
  I32_ADD,
  I32_MUL,
  i32,
  load128,
  load128At,
  set,
  simd,
  store128At,
  sum,
  V128,
} from './simd/assembler.js';

/** addRows. Params 0 x, 1 acc, 2 rows, 3 rowBytes; locals 4 r, 5 c, 6 a; v128 7 v. */
export function addRowsBody(): number[] {
  const [x, acc, rows, rowBytes] = [0, 1, 2, 3];
  const [r, c, a, v] = [4, 5, 6, 7];
  // the high two lanes moved low, for the second promotion
  const high = [...simd(I8X16_SHUFFLE), 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  const addHalf = (offset: number, half: number[]) => [
    ...get(a),
    ...get(a),
    ...load128At(offset),
    ...get(v),
    ...half,
    ...simd(F64X2_PROMOTE_LOW_F32X4),
    ...simd(F64X2_ADD),
    ...store128At(offset),
  ];
  const column = [
    ...sum(x, c),
    ...load128,
    ...set(v),
    ...get(acc),
    ...get(c),
    ...i32(2),
    I32_MUL,
    I32_ADD,
    ...set(a),
    ...addHalf(0, []),
    ...addHalf(16, [...get(v), ...high]),
  ];
  const row = [...counted(c, get(rowBytes), 16, column), ...addTo(x, get(rowBytes))];
  return funcBody(
    [
      [3, I32],
      [1, V128],
    ],
    counted(r, get(rows), 1, row),
  );
}
