/**
 * A matrix product whose A rows are read in segments (`segmentGemm`), in WebAssembly SIMD:
 * convolutions at stride 1 (forward, and so the input gradient) and their filter gradient
 * without an im2row panel.
 *
 * @module
 */
import {
  addTo,
  counted,
  END,
  funcBody,
  get,
  I32,
  I32_ADD,
  I32_AND,
  I32_GE_S,
  I32_LOAD,
  I32_LT_S,
  I32_MUL,
  IF,
  i32,
  set,
  sum,
  V128,
  whileLoop,
  ZERO_F32X4,
} from './simd/assembler.js';
import {
  blockTerms,
  cRowOf,
  type GemmBlock,
  startBlock,
  storeBlock,
  twoBlockTerms,
} from './simd/gemm-block.js';

/** The byte offsets of the parameter block's fields (i32 each). @internal */
export const SEGMENT_GEMM_PARAMS = {
  a: 0,
  rowBase: 4,
  segmentOffsets: 8,
  segments: 12,
  segmentLength: 16,
  b: 20,
  c: 24,
  N: 28,
  ld: 32,
  first: 36,
} as const;
/** The parameter block's size in bytes. @internal */
export const SEGMENT_GEMM_PARAM_BYTES = 40;

/**
 * segmentGemm: C[i][j] (+)= Σ_s Σ_{k < L} A(i, s, k) · B[s·L + k][j] for the rows i of
 * [rowFrom, rowTo) (a multiple of `height` of them) and the first N columns (N % 8 = 0), where
 * A(i, s, k) is the float at a + rowBase[i] + segmentOffsets[s] + 4k: every row of A is read as
 * `segments` runs of L contiguous floats, each run at a row offset (from the table rowBase) plus a
 * segment offset (from the table segmentOffsets), both in bytes. B's and C's rows are `ld` bytes
 * long; `first` starts the sums from zero, else from C (a later chunk of segments). Blocks of
 * `height` rows × 8 columns in 2·height v128 accumulators, k in order (a multiply, then an add,
 * per term; or one `f32x4.relaxed_madd` where `relaxed`), as the gemm.
 *
 * For a convolution, a row is an output position, a segment a filter tap, and A the input with
 * its padding written out: the run of a tap is the position's input channels. For its filter
 * gradient, a row is a tap and an input channel, a segment an output row of one image, and A the
 * input, transposed to [channels, batch, rows, columns] with its padding: the run of a tap's
 * output row is contiguous there. Either way no panel is written.
 *
 * Params 0 the parameter block (its fields at {@link SEGMENT_GEMM_PARAMS}), 1 rowFrom, 2 rowTo,
 * 3 unused.
 */
export function segmentGemmBody(relaxed = false, height = 4): number[] {
  const [params, rowFrom, rowTo] = [0, 1, 2];
  // i32 locals from 4: the block's fields, then the loop's own
  const [a, rowBase, segOff, nSeg, segLen, b, c, cols, ld, first] = [
    4, 5, 6, 7, 8, 9, 10, 11, 12, 13,
  ];
  const [i, j, s, k, pb, pb2, pbSeg, ld2, segB, kEven, pc] = [
    14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
  ];
  const rowPtr = (r: number) => 25 + r;
  const base = (r: number) => 25 + height + r;
  const v = 25 + 2 * height; // the first v128 local
  const acc = (r: number, h: number) => v + 2 * r + h;
  const [b0, b1, av, zero] = [
    v + 2 * height,
    v + 2 * height + 1,
    v + 2 * height + 2,
    v + 2 * height + 3,
  ];
  const rows = [...Array(height).keys()];
  const field = (offset: number, local: number) => [
    ...get(params),
    I32_LOAD,
    2,
    offset,
    ...set(local),
  ];
  const P = SEGMENT_GEMM_PARAMS;
  const g: GemmBlock = { height, relaxed, rowPtr, acc, b0, b1, av, zero };
  // two terms a round (k, then k + 1), then the last one when L is odd
  const twoTerms = twoBlockTerms(g, pb, pb2, ld2);
  const segment = [
    // the row pointers: each row's base plus the segment's offset
    ...get(segOff),
    ...get(s),
    ...i32(4),
    I32_MUL,
    I32_ADD,
    I32_LOAD,
    2,
    0,
    ...set(pc),
    ...rows.flatMap((r) => [...sum(base(r), pc), ...set(rowPtr(r))]),
    ...get(pbSeg),
    ...set(pb),
    ...sum(pbSeg, ld),
    ...set(pb2),
    ...counted(k, get(kEven), 2, twoTerms),
    ...get(kEven),
    ...get(segLen),
    I32_LT_S,
    IF,
    0x40,
    ...blockTerms(g, pb, 0),
    END,
    ...addTo(pbSeg, get(segB)),
  ];
  // C's row r of this block (into pc)
  const cRow = cRowOf(c, i, ld, j, pc);
  const block = [
    ...startBlock(g, get(first), cRow, pc),
    ...sum(b, j),
    ...set(pbSeg),
    ...counted(s, get(nSeg), 1, segment),
    ...storeBlock(g, cRow, pc),
  ];
  const rowBlock = [
    ...rows.flatMap((r) => [
      ...get(a),
      ...get(rowBase),
      ...get(i),
      ...i32(r),
      I32_ADD,
      ...i32(4),
      I32_MUL,
      I32_ADD,
      I32_LOAD,
      2,
      0,
      I32_ADD,
      ...set(base(r)),
    ]),
    ...counted(j, get(cols), 32, block),
    ...addTo(i, i32(height)),
  ];
  const body = [
    ...field(P.a, a),
    ...field(P.rowBase, rowBase),
    ...field(P.segmentOffsets, segOff),
    ...field(P.segments, nSeg),
    ...field(P.segmentLength, segLen),
    ...field(P.b, b),
    ...field(P.c, c),
    ...field(P.N, cols),
    ...field(P.ld, ld),
    ...field(P.first, first),
    ...get(cols),
    ...i32(4),
    I32_MUL,
    ...set(cols),
    ...sum(ld, ld),
    ...set(ld2),
    ...get(segLen),
    ...get(ld),
    I32_MUL,
    ...set(segB),
    ...get(segLen),
    ...i32(-2),
    I32_AND,
    ...set(kEven),
    ...ZERO_F32X4,
    ...set(zero),
    ...get(rowFrom),
    ...set(i),
    ...whileLoop([...get(i), ...get(rowTo), I32_GE_S], rowBlock),
  ];
  return funcBody(
    [
      [21 + 2 * height, I32],
      [2 * height + 4, V128],
    ],
    body,
  );
}
