/**
 * Elementwise loops in WebAssembly SIMD: the four arithmetic operations over rows of float32
 * values with a second operand of the same rows or one row for all (`addRows4`, `subRows4`,
 * `mulRows4`, `divRows4`), and ReLU (`relu`). Each lane's result is the float32 operation's
 * correctly rounded result, as the stock kernels and the JavaScript loops give it.
 *
 * @module
 */
import {
  addTo,
  counted,
  F32X4_ADD,
  F32X4_DIV,
  F32X4_MUL,
  F32X4_SUB,
  funcBody,
  get,
  I32,
  I32X4_MAX_S,
  load128,
  simd,
  store128,
  sum,
  ZERO_F32X4,
} from './simd/assembler.js';

/** The operations of the binary loops, by kernel name. */
export const BINARY_OPS = {
  Add: F32X4_ADD,
  Sub: F32X4_SUB,
  Multiply: F32X4_MUL,
  RealDiv: F32X4_DIV,
} as const;

/**
 * out = x op y over `rows` rows of `widthBytes` bytes (a multiple of 16), x's and out's rows one
 * after another, y's `yRowBytes` apart (0: one row for all, a vector along the last axis). Params
 * 0 x, 1 y, 2 out, 3 rows, 4 widthBytes, 5 yRowBytes; locals 6 r, 7 c.
 */
export function binaryRowsBody(op: number): number[] {
  const [x, y, out, rows, width, yRow, r, c] = [0, 1, 2, 3, 4, 5, 6, 7];
  const element = [
    ...sum(out, c),
    ...sum(x, c),
    ...load128,
    ...sum(y, c),
    ...load128,
    ...simd(op),
    ...store128,
  ];
  const row = [
    ...counted(c, get(width), 16, element),
    ...addTo(x, get(width)),
    ...addTo(out, get(width)),
    ...addTo(y, get(yRow)),
  ];
  return funcBody([[2, I32]], counted(r, get(rows), 1, row));
}

/**
 * relu (x → out) over `bytes` bytes (a multiple of 16): the larger of x's bits and 0 as signed
 * integers, so a value whose sign bit is clear stays (a NaN of that sign included) and any other
 * becomes +0, the stock kernel's rule. Params 0 x, 1 dy (unused), 2 out, 3 bytes, 4 α (unused);
 * local 5 i.
 */
export function reluBody(): number[] {
  const [x, , out, bytes, , i] = [0, 1, 2, 3, 4, 5];
  const element = [
    ...sum(out, i),
    ...sum(x, i),
    ...load128,
    ...ZERO_F32X4,
    ...simd(I32X4_MAX_S),
    ...store128,
  ];
  return funcBody([[1, I32]], counted(i, get(bytes), 16, element));
}
