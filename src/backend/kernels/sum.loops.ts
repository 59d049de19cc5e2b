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
  I32_GE_S,
  I32_GT_S,
  I32_MUL,
  i32,
  load128At,
  set,
  simd,
  store128At,
  sum,
  V128,
  whileLoop,
} from './simd/assembler.js';

/**
 * addRows: adds the rows of a [rows × rowBytes/4] float32 matrix into float64 accumulators, one
 * per column, over the columns whose bytes lie in [from, to) (multiples of 16). The accumulators
 * of 16 columns at a time (8 f64x2) stay in registers over all the rows (the rows in order, so
 * every column's sum is the same whatever the columns' grouping), then those of 4 at a time.
 * Params 0 x, 1 acc (8-byte aligned, the column at byte b of a row has its sum at acc + 2b), 2
 * rows, 3 rowBytes, 4 from, 5 to; locals 6 r, 7 c (bytes), 8 the row pointer; v128 9–16 the
 * sums, 17 a vector of x.
 */
export function addRowsBody(): number[] {
  const [x, acc, rows, rowBytes, from, to] = [0, 1, 2, 3, 4, 5];
  const [r, c, p] = [6, 7, 8];
  const total = (k: number) => 9 + k;
  const v = 17;
  // the high two lanes moved low, for the second promotion
  const high = [...simd(I8X16_SHUFFLE), 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7];
  const accAt = [...get(acc), ...get(c), ...i32(2), I32_MUL, I32_ADD];
  /** `groups` vectors of 4 columns from c: their sums over every row. */
  const block = (groups: number) => {
    const k = [...Array(2 * groups).keys()];
    return [
      ...k.flatMap((q) => [...accAt, ...load128At(16 * q), ...set(total(q))]),
      ...sum(x, c),
      ...set(p),
      ...counted(r, get(rows), 1, [
        ...[...Array(groups).keys()].flatMap((g) => [
          ...get(p),
          ...load128At(16 * g),
          ...set(v),
          ...[0, 1].flatMap((h) => [
            ...get(total(2 * g + h)),
            ...get(v),
            ...(h ? [...get(v), ...high] : []),
            ...simd(F64X2_PROMOTE_LOW_F32X4),
            ...simd(F64X2_ADD),
            ...set(total(2 * g + h)),
          ]),
        ]),
        ...addTo(p, get(rowBytes)),
      ]),
      ...k.flatMap((q) => [...accAt, ...get(total(q)), ...store128At(16 * q)]),
    ];
  };
  // blocks of 64 bytes while they fit, then of 16
  const body = [
    ...get(from),
    ...set(c),
    ...whileLoop(
      [...get(c), ...i32(64), I32_ADD, ...get(to), I32_GT_S],
      [...block(4), ...addTo(c, i32(64))],
    ),
    ...whileLoop([...get(c), ...get(to), I32_GE_S], [...block(1), ...addTo(c, i32(16))]),
  ];
  return funcBody(
    [
      [3, I32],
      [9, V128],
    ],
    body,
  );
}
