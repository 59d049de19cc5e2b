/**
 * The register block of the library's matrix-product loops (`gemm`, `segmentGemm`): `height`
 * rows × 8 columns of C in 2·height v128 accumulators, each term one splat of A's float for a
 * row against B's two vectors, k in order. The loops differ in how they move their row pointers;
 * the block's instructions are written once here.
 *
 * @module
 */
import {
  addTo,
  ELSE,
  END,
  get,
  I32_ADD,
  I32_MUL,
  IF,
  i32,
  load128,
  load128At,
  multiplyAdd,
  set,
  simd,
  store128,
  store128At,
  uleb,
  V128_LOAD32_SPLAT,
} from './assembler.js';

/** The locals of a block. @internal */
export interface GemmBlock {
  /** Rows in the block. */
  height: number;
  /** Each term one `f32x4.relaxed_madd` (else a multiply and an add). */
  relaxed: boolean;
  /** Row r's pointer into A (an i32 local). */
  rowPtr(r: number): number;
  /** Row r's accumulator of columns 0–3 (h 0) or 4–7 (h 1) (a v128 local). */
  acc(r: number, h: number): number;
  /** B's two vectors, A's splat value, and a v128 of zeros. */
  b0: number;
  b1: number;
  av: number;
  zero: number;
}

/**
 * C's row r of the block into the local `into`: c + (i + r)·ld + j (the locals c, i, ld, j: C's
 * pointer, the block's first row, C's row bytes, the block's column bytes). @internal
 */
export const cRowOf =
  (c: number, i: number, ld: number, j: number, into: number) =>
  (r: number): number[] => [
    ...get(c),
    ...get(i),
    ...i32(r),
    I32_ADD,
    ...get(ld),
    I32_MUL,
    I32_ADD,
    ...get(j),
    I32_ADD,
    ...set(into),
  ];

/** The block's rows 0…height − 1. */
const rowsOf = (g: GemmBlock) => [...Array(g.height).keys()];

/**
 * One term for every entry of the block: B's 8 floats at the pointer in the local `from`, A's
 * float at each row pointer plus `offset` bytes, plus `rowStep`·r bytes for row r (a transposed
 * A, whose rows' floats lie side by side). @internal
 */
export function blockTerms(g: GemmBlock, from: number, offset: number, rowStep = 0): number[] {
  const mulAdd = (r: number, h: number, bv: number) =>
    multiplyAdd(g.acc(r, h), [...get(g.av), ...get(bv)], g.relaxed);
  return [
    ...get(from),
    ...load128,
    ...set(g.b0),
    ...get(from),
    ...load128At(16),
    ...set(g.b1),
    ...rowsOf(g).flatMap((r) => [
      ...get(g.rowPtr(r)),
      ...simd(V128_LOAD32_SPLAT),
      2,
      ...uleb(offset + rowStep * r),
      ...set(g.av),
      ...mulAdd(r, 0, g.b0),
      ...mulAdd(r, 1, g.b1),
    ]),
  ];
}

/**
 * Two terms (k, then k + 1: the same order of sums) with B's rows at the locals `pb` and `pb2`,
 * then every pointer moved on: A's by 8 bytes, B's by the local `ld2` (two rows). @internal
 */
export function twoBlockTerms(g: GemmBlock, pb: number, pb2: number, ld2: number): number[] {
  return [
    ...blockTerms(g, pb, 0),
    ...blockTerms(g, pb2, 4),
    ...rowsOf(g).flatMap((r) => addTo(g.rowPtr(r), i32(8))),
    ...addTo(pb, get(ld2)),
    ...addTo(pb2, get(ld2)),
  ];
}

/**
 * The accumulators zeroed where `fromZero` pushes a non-zero i32, else loaded from C's rows
 * (`cRow(r)` leaves row r's address in the local `pc`). @internal
 */
export function startBlock(
  g: GemmBlock,
  fromZero: number[],
  cRow: (r: number) => number[],
  pc: number,
): number[] {
  return [
    ...fromZero,
    IF,
    0x40,
    ...rowsOf(g).flatMap((r) => [
      ...get(g.zero),
      ...set(g.acc(r, 0)),
      ...get(g.zero),
      ...set(g.acc(r, 1)),
    ]),
    ELSE,
    ...rowsOf(g).flatMap((r) => [
      ...cRow(r),
      ...get(pc),
      ...load128,
      ...set(g.acc(r, 0)),
      ...get(pc),
      ...load128At(16),
      ...set(g.acc(r, 1)),
    ]),
    END,
  ];
}

/** The accumulators stored to C's rows (`cRow(r)` as in {@link startBlock}). @internal */
export function storeBlock(g: GemmBlock, cRow: (r: number) => number[], pc: number): number[] {
  return rowsOf(g).flatMap((r) => [
    ...cRow(r),
    ...get(pc),
    ...get(g.acc(r, 0)),
    ...store128,
    ...get(pc),
    ...get(g.acc(r, 1)),
    ...store128At(16),
  ]);
}
