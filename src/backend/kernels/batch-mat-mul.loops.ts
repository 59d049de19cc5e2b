/**
 * Matrix products without packing (`gemm`) and matrix-vector products (`rowDots`), in WebAssembly SIMD.
 *
 * @module
 */
import {
  addTo,
  bytesOf,
  counted,
  F32_ADD,
  F32_STORE,
  F32X4_ADD,
  F32X4_EXTRACT_LANE,
  funcBody,
  get,
  I32,
  I32_ADD,
  I32_AND,
  I32_DIV_U,
  I32_EQZ,
  I32_GE_S,
  I32_GT_S,
  I32_LT_S,
  I32_MUL,
  I32_SUB,
  i32,
  load128,
  load128At,
  memarg,
  multiplyAdd,
  SELECT,
  set,
  simd,
  strided,
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

/**
 * gemm: C[M×N] = A[M×K] · B[K×N] over the first M rows and N columns (M % height = 0, N % 8 = 0)
 * of row-major matrices whose B and C rows are `ld` bytes long: blocks of `height` rows (4; 6 for
 * the relaxed gemm's tall blocks) × 8 columns in 2·height v128 accumulators, k in order (one
 * multiply, then one add, per term: equal to XNNPACK's sums in the shapes measured). No packing
 * of B, which XNNPACK redoes for every new B. The locals below are height 4's (the v128 and the
 * later i32 ones move up with more rows). Params 0 a, 1 b, 2 c, 3 M, 4 K, 5 N, 6 ld; locals 7 i,
 * 8 j (bytes), 9 k, 10 pa (row 0's pointer into A), 11 pb, 12 A's row bytes, 13 N·4; v128 14–21
 * accumulators, 22–23 B's two vectors, 24 A's value (one load-and-splat), 25 zero; i32 26–28
 * rows 1–3's pointers into A, 29 B's next row, 30 the chunk's length rounded down to even,
 * 31 2·ld, 32 the chunk's first k, 33 its length, 34 the chunk size. Two terms a loop round (k and k + 1 in order, A's second column at a constant
 * offset): fewer pointer updates and branches per multiply-add. K in chunks whose rows of B fit
 * 512 KB (a core's cache): the blocks of a chunk re-read those rows from the cache, not memory;
 * each chunk after the first starts from C's partial sums, so every sum runs k in order, the same
 * float32 operations as in one chunk.
 *
 * With `relaxed`, each term is one `f32x4.relaxed_madd` (relaxed SIMD): fused into one rounding
 * where the hardware has fused multiply-add, so its sums may differ from the plain loop's by the
 * rounding of the products, at most 2K·2⁻²⁴·Σ|aₖbₖ| for K terms.
 */
export function gemmBody(relaxed = false, height = 4): number[] {
  const [a, b, c, M, K, N, ld] = [0, 1, 2, 3, 4, 5, 6];
  const [i, j, k, pa, pb, rowA, cols] = [7, 8, 9, 10, 11, 12, 13];
  const acc = (r: number, h: number) => 14 + 2 * r + h;
  const [b0, b1, av, zero] = [14 + 2 * height, 15 + 2 * height, 16 + 2 * height, 17 + 2 * height];
  const rows = [...Array(height).keys()];
  // the rows' pointers into A (row 0's is pa); after them, B's row k + 1, K rounded down to even,
  // 2·ld, and the chunk's first k, length and size
  const rowPtr = (r: number) => (r === 0 ? pa : zero + r);
  const next = zero + height;
  const [pb2, kEven, ld2, kc0, kn, kc] = [next, next + 1, next + 2, next + 3, next + 4, next + 5];
  const g: GemmBlock = { height, relaxed, rowPtr, acc, b0, b1, av, zero };
  // two terms a round (k, then k + 1: the same order of sums), then the last one when K is odd
  const twoTerms = twoBlockTerms(g, pb, pb2, ld2);
  const lastTerm = [...blockTerms(g, pb, 0), ...addTo(k, i32(1))];
  // C's row r of this block (a temporary in pa)
  const cRow = cRowOf(c, i, ld, j, pa);
  const block = [
    // the accumulators: zero in the first chunk of K, C's partial sums after it
    ...startBlock(g, [...get(kc0), I32_EQZ], cRow, pa),
    ...get(a),
    ...get(i),
    ...get(rowA),
    I32_MUL,
    I32_ADD,
    ...get(kc0),
    ...i32(4),
    I32_MUL,
    I32_ADD,
    ...set(pa),
    ...rows
      .slice(1)
      .flatMap((r) => [...get(pa), ...get(rowA), ...i32(r), I32_MUL, I32_ADD, ...set(rowPtr(r))]),
    ...get(b),
    ...get(kc0),
    ...get(ld),
    I32_MUL,
    I32_ADD,
    ...get(j),
    I32_ADD,
    ...set(pb),
    ...sum(pb, ld),
    ...set(pb2),
    ...counted(k, get(kEven), 2, twoTerms),
    ...whileLoop([...get(k), ...get(kn), I32_GE_S], lastTerm),
    ...storeBlock(g, cRow, pa),
  ];
  const body = [
    ...get(ld),
    ...get(ld),
    I32_ADD,
    ...set(ld2),
    ...bytesOf(K, rowA),
    ...bytesOf(N, cols),
    // chunks of K whose rows of B (kc·ld bytes) stay within 512 KB, at least 64, even
    ...i32(1 << 19),
    ...get(ld),
    I32_DIV_U,
    ...set(kc),
    ...get(kc),
    ...i32(64),
    ...get(kc),
    ...i32(64),
    I32_GT_S,
    SELECT,
    ...i32(-2),
    I32_AND,
    ...set(kc),
    ...i32(0),
    ...set(kc0),
    ...whileLoop(
      [...get(kc0), ...get(K), I32_GE_S],
      [
        // kn = min(kc, K − kc0), and kn rounded down to even
        ...get(kc),
        ...get(K),
        ...get(kc0),
        I32_SUB,
        ...get(kc),
        ...get(K),
        ...get(kc0),
        I32_SUB,
        I32_LT_S,
        SELECT,
        ...set(kn),
        ...get(kn),
        ...get(kn),
        ...i32(1),
        I32_AND,
        I32_SUB,
        ...set(kEven),
        ...counted(i, get(M), height, counted(j, get(cols), 32, block)),
        ...addTo(kc0, get(kc)),
      ],
    ),
  ];
  return funcBody(
    [
      [7, I32],
      [2 * height + 4, V128],
      [height + 5, I32],
    ],
    body,
  );
}
/**
 * rowDots: out[r] = Σ_k A[r][k]·b[k] over the first `kBytes` bytes of each of `rows` rows (a
 * multiple of 32: two four-lane sums, added lane by lane at the end). Four rows at a time (each
 * load of b serves four rows: eight independent sums), then the last rows one by one; each row's
 * sums run in the same order either way, so its result does not depend on its group. `fused`:
 * each term added by `f32x4.relaxed_madd` (relaxed SIMD), fused where the hardware fuses. Params
 * 0 a, 1 b, 2 out, 3 rows, 4 kBytes, 5 rowBytes; locals 6 r, 7 c, 8–10 rows 1–3's pointers; v128
 * 11–18 the sums (two a row), 19–20 b's two vectors.
 */
export function rowDotsBody(fused: boolean): number[] {
  const [a, b, out, rows, kBytes, rowBytes, r, c] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [b0, b1] = [19, 20];
  /** Row q's pointer: a, then the locals 8–10. */
  const rowPointer = (q: number) => (q === 0 ? a : 7 + q);
  /** acc ← acc + A[row q][c + offset …]·(b's vector): the sums' order of a single row. */
  const accumulate = (acc: number, q: number, offset: number, bv: number[]) =>
    multiplyAdd(acc, [...sum(rowPointer(q), c), ...load128At(offset), ...bv], fused);
  const lane = (acc: number, i: number) => [...get(acc), ...simd(F32X4_EXTRACT_LANE), i];
  /** out[r + q] ← (lane 0 + lane 1) + (lane 2 + lane 3) of the row's two sums added. */
  const store = (q: number, acc: number) => [
    ...get(acc),
    ...get(acc + 1),
    ...simd(F32X4_ADD),
    ...set(acc),
    ...get(out),
    ...get(r),
    ...i32(q),
    I32_ADD,
    ...i32(4),
    I32_MUL,
    I32_ADD,
    ...lane(acc, 0),
    ...lane(acc, 1),
    F32_ADD,
    ...lane(acc, 2),
    ...lane(acc, 3),
    F32_ADD,
    F32_ADD,
    F32_STORE,
    ...memarg(2),
  ];
  const zero = (acc: number) => [...ZERO_F32X4, ...set(acc)];
  const ROWS = [0, 1, 2, 3];
  const four = [
    ...strided(a, rowBytes, ROWS.slice(1).map(rowPointer)),
    ...ROWS.flatMap((q) => [...zero(11 + 2 * q), ...zero(12 + 2 * q)]),
    ...counted(c, get(kBytes), 32, [
      ...sum(b, c),
      ...load128,
      ...set(b0),
      ...sum(b, c),
      ...load128At(16),
      ...set(b1),
      ...ROWS.flatMap((q) => [
        ...accumulate(11 + 2 * q, q, 0, get(b0)),
        ...accumulate(12 + 2 * q, q, 16, get(b1)),
      ]),
    ]),
    ...ROWS.flatMap((q) => store(q, 11 + 2 * q)),
    ...strided(rowPointer(3), rowBytes, [a]),
    ...addTo(r, i32(4)),
  ];
  const one = [
    ...zero(11),
    ...zero(12),
    ...counted(c, get(kBytes), 32, [
      ...accumulate(11, 0, 0, [...sum(b, c), ...load128]),
      ...accumulate(12, 0, 16, [...sum(b, c), ...load128At(16)]),
    ]),
    ...store(0, 11),
    ...addTo(a, get(rowBytes)),
    ...addTo(r, i32(1)),
  ];
  return funcBody(
    [
      [5, I32],
      [10, V128],
    ],
    [
      ...i32(0),
      ...set(r),
      ...whileLoop([...get(r), ...i32(4), I32_ADD, ...get(rows), I32_GT_S], four),
      ...whileLoop([...get(r), ...get(rows), I32_GE_S], one),
    ],
  );
}
