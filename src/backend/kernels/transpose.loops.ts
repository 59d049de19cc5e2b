/**
 * Matrix transposes in 4 × 4 tiles (`transpose4`), in WebAssembly SIMD.
 *
 * @module
 */
import {
  counted,
  funcBody,
  get,
  I8X16_SHUFFLE,
  I32,
  I32_ADD,
  I32_MUL,
  i32,
  load128,
  set,
  simd,
  store128,
  V128,
} from './simd/assembler.js';

/**
 * transpose4: the transpose of the top-left R × C block (both multiples of 4) of a row-major
 * matrix with `srcRow` bytes a row, into `dst` with `dstRow` bytes a row, in 4 × 4 tiles (four
 * loads, eight shuffles, four stores). Params 0 src, 1 dst, 2 R, 3 C, 4 srcRow, 5 dstRow; locals
 * 6 i, 7 j, 8 from, 9 to; v128 10–13 the tile's rows, 14–17 the interleaved pairs.
 */
export function transposeBody(): number[] {
  const [src, dst, R, C, srcRow, dstRow, i, j, from, to] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const lanes = (pick: number[]) => pick.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);
  const shuffle = (a: number, b: number, pick: number[]) => [
    ...get(a),
    ...get(b),
    ...simd(I8X16_SHUFFLE),
    ...lanes(pick),
  ];
  const rowAt = (q: number) => [
    ...get(from),
    ...(q === 0 ? [] : [...get(srcRow), ...i32(q), I32_MUL, I32_ADD]),
    ...load128,
    ...set(10 + q),
  ];
  const storeAt = (q: number, value: number[]) => [
    ...get(to),
    ...(q === 0 ? [] : [...get(dstRow), ...i32(q), I32_MUL, I32_ADD]),
    ...value,
    ...store128,
  ];
  // base + row·rowBytes + 4·column
  const address = (base: number, row: number, rowBytes: number, column: number) => [
    ...get(base),
    ...get(row),
    ...get(rowBytes),
    I32_MUL,
    I32_ADD,
    ...get(column),
    ...i32(4),
    I32_MUL,
    I32_ADD,
  ];
  const tile = [
    ...address(src, i, srcRow, j),
    ...set(from),
    ...address(dst, j, dstRow, i),
    ...set(to),
    ...rowAt(0),
    ...rowAt(1),
    ...rowAt(2),
    ...rowAt(3),
    // (r0[0], r1[0], r0[1], r1[1]), (r0[2], r1[2], r0[3], r1[3]) and the same of r2, r3
    ...shuffle(10, 11, [0, 4, 1, 5]),
    ...set(14),
    ...shuffle(10, 11, [2, 6, 3, 7]),
    ...set(15),
    ...shuffle(12, 13, [0, 4, 1, 5]),
    ...set(16),
    ...shuffle(12, 13, [2, 6, 3, 7]),
    ...set(17),
    // column q of the tile: (r0[q], r1[q], r2[q], r3[q])
    ...storeAt(0, shuffle(14, 16, [0, 1, 4, 5])),
    ...storeAt(1, shuffle(14, 16, [2, 3, 6, 7])),
    ...storeAt(2, shuffle(15, 17, [0, 1, 4, 5])),
    ...storeAt(3, shuffle(15, 17, [2, 3, 6, 7])),
  ];
  return funcBody(
    [
      [4, I32],
      [8, V128],
    ],
    counted(i, get(R), 4, counted(j, get(C), 4, tile)),
  );
}
