/**
 * Winograd's minimal filtering F(2×2, 3×3) in WebAssembly SIMD: a 3×3 convolution at stride 1
 * computed tile by tile, each 2×2 block of outputs from the 4×4 block of input around it with 16
 * products per input channel and output channel instead of 36. For a block of tiles:
 *
 *   V_ξ = (Bᵀ d B)_ξ for each tile's 4×4 input d (`winogradInput`),
 *   M_ξ = V_ξ · U_ξ, 16 matrix products with U = G g Gᵀ, the transformed filter (`winogradFilter`),
 *   y = Aᵀ M A, each tile's 2×2 outputs (`winogradOutput`),
 *
 * with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1] and
 * Aᵀ = [1 1 1 0; 0 1 −1 −1] (Lavin and Gray, "Fast Algorithms for Convolutional Neural Networks",
 * 2016). The transforms run four channels a vector, along the channel axis that NHWC keeps
 * contiguous; `winograd` runs a range of tiles block by block, each block's V and M small enough
 * to stay in a core's cache between the three steps. The filter gradient runs the same tiles
 * backwards (`winogradGradient`): Ŷ = A dy Aᵀ for each tile's 2×2 output gradient
 * (`winogradDy`), the 16 sums M_ξ += V_ξᵀ · Ŷ_ξ (`gemmTN`), then dW = Gᵀ M G
 * (`winogradFilterGradient`).
 *
 * The transforms add and subtract (and halve), so the result differs from the direct sum by
 * rounding alone: within (K + 16)·2⁻²³ of the Σ|aᵢbᵢ| of the outputs whose errors a tile mixes
 * (tested entry by entry against a float64 reference). A NaN or ±∞ in a tile's input reaches all
 * of its outputs, and ∞ − ∞ makes NaN where the direct sum gives ±∞.
 *
 * @module
 */
import {
  addTo,
  bytesOf,
  counted,
  F32X4_ADD,
  F32X4_MUL,
  F32X4_NEG,
  F32X4_SUB,
  funcBody,
  get,
  I32,
  I32_ADD,
  I32_AND,
  I32_GE_S,
  I32_LOAD,
  I32_MUL,
  I32X4_MAX_S,
  i32,
  load128,
  SELECT,
  set,
  simd,
  splat32,
  store128,
  sum,
  TEE,
  V128,
  whileLoop,
} from './simd/assembler.js';
import { blockTerms, cRowOf, type GemmBlock, startBlock, storeBlock } from './simd/gemm-block.js';

const ADD = simd(F32X4_ADD);
const SUB = simd(F32X4_SUB);
/** The call instruction. */
const CALL = 0x10;
/** The local of {@link channelPairs} that holds ½ in every lane. */
const HALF_LOCAL = 9;
/** Multiplies the f32x4 on the stack by ½ (exact). */
const HALF = [...get(HALF_LOCAL), ...simd(F32X4_MUL)];
const FOUR = [0, 1, 2, 3];

/**
 * The locals of every tile transform. Params 0 a table of the tiles' addresses (i32 each: the
 * byte address of the tile's top-left input, output gradient or output), 1 count, 2 the channel
 * bytes (C·4, a multiple of 16), 3 the row bytes of what the table addresses, 4 the planes' base,
 * 5 the bytes from one ξ's plane to the next, 6 unused; locals 7 t, 8 c (bytes), 9 the tile's
 * address, 10 the plane pointer (base + t·C·4 + c, moved on a plane after each value), then the
 * transform's own from 11. A plane ξ holds the tiles' rows of C floats one after another.
 */
const L = { table: 0, count: 1, cb: 2, rowBytes: 3, base: 4, plane: 5, t: 7, c: 8, p: 9, q: 10 };

/** A tile transform: `prologue`, then for each tile and each 4 channels `channel` (see {@link L}). */
function tileTransform(
  i32Locals: number,
  v128Locals: number,
  prologue: number[],
  channel: number[],
): number[] {
  const tile = [
    ...get(L.table),
    ...get(L.t),
    ...i32(4),
    I32_MUL,
    I32_ADD,
    I32_LOAD,
    2,
    0,
    ...set(L.p),
    ...counted(L.c, get(L.cb), 16, [
      ...get(L.base),
      ...get(L.t),
      ...get(L.cb),
      I32_MUL,
      I32_ADD,
      ...get(L.c),
      I32_ADD,
      ...set(L.q),
      ...channel,
    ]),
  ];
  return funcBody(
    [
      [4 + i32Locals, I32],
      [v128Locals, V128],
    ],
    [...prologue, ...counted(L.t, get(L.count), 1, tile)],
  );
}

/** Stores the f32x4 `value` pushes at the plane pointer, then moves it a plane on. */
const storeNext = (value: number[]) => [
  ...get(L.q),
  ...value,
  ...store128,
  ...addTo(L.q, get(L.plane)),
];
/** The f32x4 at the tile's address + c (+ a row) (+ a channel step `column`: a local or none). */
const atTile = (row: boolean, column?: number) => [
  ...sum(L.p, L.c),
  ...(row ? [...get(L.rowBytes), I32_ADD] : []),
  ...(column === undefined ? [] : [...get(column), I32_ADD]),
];

/** Bᵀ's rows (and B's columns) as pairs: entry i is (a, b, op), row i = d[a] op d[b]. */
const INPUT_PAIRS: readonly (readonly [number, number, number[]])[] = [
  [0, 2, SUB],
  [1, 2, ADD],
  [2, 1, SUB],
  [1, 3, SUB],
];

/**
 * winogradInput: for `count` tiles, V[ξ][t][c] = (Bᵀ d B)[ξ] of the tile's 4×4 input d (its
 * padding written out), four channels at a time, ξ = 4i + j in order (see {@link L}).
 */
export function winogradInputBody(): number[] {
  // i32: 2·C·4 and 3·C·4, the four rows' pointers; v128: a row of Bᵀ d
  const [cb2, cb3] = [11, 12];
  const row = (r: number) => 13 + r;
  const e = (k: number) => 17 + k;
  const column = (k: number) => (k === 0 ? [] : [...get([0, L.cb, cb2, cb3][k]!), I32_ADD]);
  const at = (r: number, k: number) => [...get(row(r)), ...column(k), ...load128];
  const channel = [
    ...atTile(false),
    ...set(row(0)),
    ...[1, 2, 3].flatMap((r) => [...sum(row(r - 1), L.rowBytes), ...set(row(r))]),
    // each row i of Bᵀ d, then its four entries of (Bᵀ d) B
    ...INPUT_PAIRS.flatMap(([a, b, op]) => [
      ...FOUR.flatMap((k) => [...at(a, k), ...at(b, k), ...op, ...set(e(k))]),
      ...INPUT_PAIRS.flatMap(([x, y, op2]) => storeNext([...get(e(x)), ...get(e(y)), ...op2])),
    ]),
  ];
  const prologue = [...sum(L.cb, L.cb), ...set(cb2), ...sum(cb2, L.cb), ...set(cb3)];
  return tileTransform(6, 4, prologue, channel);
}

/** A's rows (Aᵀ's columns) applied to two values: a, a + b, a − b, −b. */
const byA = (i: number, a: number[], b: number[]) =>
  [a, [...a, ...b, ...ADD], [...a, ...b, ...SUB], [...b, ...simd(F32X4_NEG)]][i]!;

/**
 * winogradDy: for `count` tiles, Ŷ[ξ][t][c] = (A y Aᵀ)[ξ] of the tile's 2×2 output gradient y
 * (A = [1 0; 1 1; 1 −1; 0 −1]): the filter gradient's transform of dy (see {@link L}).
 */
export function winogradDyBody(): number[] {
  // v128: y's four values, a row of A y
  const y = (r: number, k: number) => 11 + 2 * r + k;
  const [u0, u1] = [15, 16];
  const channel = [
    ...[0, 1].flatMap((r) =>
      [0, 1].flatMap((k) => [
        ...atTile(r === 1, k ? L.cb : undefined),
        ...load128,
        ...set(y(r, k)),
      ]),
    ),
    ...FOUR.flatMap((i) => [
      ...byA(i, get(y(0, 0)), get(y(1, 0))),
      ...set(u0),
      ...byA(i, get(y(0, 1)), get(y(1, 1))),
      ...set(u1),
      ...FOUR.flatMap((j) => storeNext(byA(j, get(u0), get(u1)))),
    ]),
  ];
  return tileTransform(0, 6, [], channel);
}

/**
 * winogradOutput: for `count` tiles, the 2×2 outputs y = Aᵀ M A from M[ξ][t][c] (the planes),
 * four channels at a time, to the tile's output (see {@link L}; param 6 the epilogue: a bias's
 * address (C floats) or 0, plus 1 for ReLU after it). The bias is added to M's entry (1, 1),
 * which Aᵀ · A carries into all four outputs with coefficient 1; ReLU keeps a value whose sign bit
 * is clear and makes any other +0 (the rule of the library's `Relu`).
 */
export function winogradOutputBody(): number[] {
  const epilogue = 6;
  const [bias, relu] = [11, 12];
  // v128: Aᵀ M's two rows, four columns each, the value read, the bias's four channels, zeros
  const s0 = (k: number) => 13 + k;
  const s1 = (k: number) => 17 + k;
  const [value, bv, zero] = [21, 22, 23];
  const next = (k: number) => [
    ...get(L.q),
    ...load128,
    ...set(value),
    ...addTo(L.q, get(L.plane)),
    // the bias on M's entry (1, 1), where there is one
    ...(k === 1
      ? [...get(value), ...get(bv), ...ADD, ...get(value), ...get(bias), SELECT, ...set(value)]
      : []),
  ];
  const add = (s: number, op: number[]) => [...get(s), ...get(value), ...op, ...set(s)];
  const store = (at: number[], y: number[]) => [
    ...at,
    ...y,
    TEE,
    value,
    ...get(zero),
    ...simd(I32X4_MAX_S),
    ...get(value),
    ...get(relu),
    SELECT,
    ...store128,
  ];
  const channel = [
    ...atTile(false),
    ...sum(bias, L.c),
    ...load128,
    ...set(bv),
    // row 0 of M: s0 = m0; row 1: s0 += m1, s1 = m1; row 2: s0 += m2, s1 −= m2; row 3: s1 −= m3
    ...FOUR.flatMap((k) => [...next(-1), ...get(value), ...set(s0(k))]),
    ...FOUR.flatMap((k) => [...next(k), ...add(s0(k), ADD), ...get(value), ...set(s1(k))]),
    ...FOUR.flatMap((k) => [...next(-1), ...add(s0(k), ADD), ...add(s1(k), SUB)]),
    ...FOUR.flatMap((k) => [...next(-1), ...add(s1(k), SUB)]),
    // each row's two outputs: s[0] + s[1] + s[2] and s[1] − s[2] − s[3]
    ...[s0, s1].flatMap((s, i) => [
      ...store(atTile(i === 1), [...get(s(0)), ...get(s(1)), ...ADD, ...get(s(2)), ...ADD]),
      ...store(atTile(i === 1, L.cb), [...get(s(1)), ...get(s(2)), ...SUB, ...get(s(3)), ...SUB]),
    ]),
  ];
  const prologue = [
    ...get(epilogue),
    ...i32(1),
    I32_AND,
    ...set(relu),
    ...get(epilogue),
    ...i32(-2),
    I32_AND,
    ...set(bias),
  ];
  return tileTransform(2, 11, prologue, channel);
}

/**
 * Every pair of input and output channels of a filter or its gradient, four pairs a vector:
 * params 0 the source planes, 1 the destination planes, 2 a plane's bytes (in·out·4, a multiple
 * of 16), 3–6 unused. The `planes` source planes are read into locals first; `body(from, into)`
 * reads plane k by `from(k)` and stores the destination's planes in order by `into(value)`, using
 * `v128Locals` more locals of its own from 10 + planes. Locals 7 i, 8 the pointer, v128 9 ½
 * ({@link HALF}), then the planes.
 */
function channelPairs(
  planes: number,
  v128Locals: number,
  body: (from: (k: number) => number[], into: (value: number[]) => number[]) => number[],
): number[] {
  const [src, dst, plane, i, q] = [0, 1, 2, 7, 8];
  const into = (value: number[]) => [...get(q), ...value, ...store128, ...addTo(q, get(plane))];
  const read = [...Array(planes).keys()].flatMap((k) => [
    ...get(q),
    ...load128,
    ...set(10 + k),
    ...addTo(q, get(plane)),
  ]);
  return funcBody(
    [
      [2, I32],
      [1 + planes + v128Locals, V128],
    ],
    [
      ...splat32(0x3f000000),
      ...set(HALF_LOCAL),
      ...counted(i, get(plane), 16, [
        ...sum(src, i),
        ...set(q),
        ...read,
        ...sum(dst, i),
        ...set(q),
        ...body((k) => get(10 + k), into),
      ]),
    ],
  );
}

/**
 * winogradFilter: U[ξ] = (G g Gᵀ)[ξ] from a 3×3 filter as tfjs lays it out ([3, 3, in, out]) into
 * 16 planes of [in × out] (see {@link channelPairs}).
 */
export function winogradFilterBody(): number[] {
  const h = (r: number, k: number) => 19 + 3 * r + k; // v128: G g, 4 × 3
  // G's row r applied to three values: the first, (x0 ± x1 + x2)·½, or the last
  const byG = (r: number, x: (a: number) => number[]) =>
    r === 0
      ? x(0)
      : r === 3
        ? x(2)
        : [...x(0), ...x(1), ...(r === 1 ? ADD : SUB), ...x(2), ...ADD, ...HALF];
  return channelPairs(9, 12, (from, into) => [
    ...FOUR.flatMap((r) =>
      [0, 1, 2].flatMap((k) => [...byG(r, (a) => from(3 * a + k)), ...set(h(r, k))]),
    ),
    ...FOUR.flatMap((r) => FOUR.flatMap((k) => into(byG(k, (a) => get(h(r, a)))))),
  ]);
}

/**
 * winogradFilterGradient: dW = Gᵀ M G, the 3×3 filter gradient ([3, 3, in, out]) from its 16
 * transformed sums (planes of [in × out]; see {@link channelPairs}).
 */
export function winogradFilterGradientBody(): number[] {
  const h = (a: number, k: number) => 26 + 4 * a + k; // v128: Gᵀ M, 3 × 4
  // Gᵀ's row a applied to four values: x0 + (x1 + x2)·½, (x1 − x2)·½, (x1 + x2)·½ + x3
  const byGt = (a: number, x: (k: number) => number[]) =>
    a === 0
      ? [...x(0), ...x(1), ...x(2), ...ADD, ...HALF, ...ADD]
      : a === 1
        ? [...x(1), ...x(2), ...SUB, ...HALF]
        : [...x(1), ...x(2), ...ADD, ...HALF, ...x(3), ...ADD];
  const taps = [0, 1, 2];
  return channelPairs(16, 12, (from, into) => [
    ...taps.flatMap((a) =>
      FOUR.flatMap((k) => [...byGt(a, (r) => from(4 * r + k)), ...set(h(a, k))]),
    ),
    ...taps.flatMap((a) => taps.flatMap((k) => into(byGt(k, (r) => get(h(a, r)))))),
  ]);
}

/**
 * gemmTN: C[i][j] += Σ_k A[k][i] · B[k][j] over C's first M rows and N columns (M % 4 = 0,
 * N % 8 = 0), A [K × M] contiguous (A transposed: its columns are C's rows), B's and C's rows `ld`
 * bytes long: blocks of 4 rows × 8 columns started from C, k in order, one multiply-add per term
 * (fused where `relaxed`). Params 0 a, 1 b, 2 c, 3 M, 4 K, 5 N, 6 ld.
 */
export function gemmTNBody(relaxed: boolean): number[] {
  const [a, b, c, M, K, N, ld] = [0, 1, 2, 3, 4, 5, 6];
  const [i, j, k, pa, pb, pc, rowA, cols] = [7, 8, 9, 10, 11, 12, 13, 14];
  const acc = (r: number, h: number) => 15 + 2 * r + h;
  const [b0, b1, av, zero] = [23, 24, 25, 26];
  const g: GemmBlock = { height: 4, relaxed, rowPtr: () => pa, acc, b0, b1, av, zero };
  const cRow = cRowOf(c, i, ld, j, pc);
  const term = [...blockTerms(g, pb, 0, 4), ...addTo(pa, get(rowA)), ...addTo(pb, get(ld))];
  const block = [
    ...startBlock(g, i32(0), cRow, pc),
    ...get(a),
    ...get(i),
    ...i32(4),
    I32_MUL,
    I32_ADD,
    ...set(pa),
    ...sum(b, j),
    ...set(pb),
    ...counted(k, get(K), 1, term),
    ...storeBlock(g, cRow, pc),
  ];
  return funcBody(
    [
      [8, I32],
      [12, V128],
    ],
    [
      ...bytesOf(M, rowA),
      ...bytesOf(N, cols),
      ...counted(i, get(M), 4, counted(j, get(cols), 32, block)),
    ],
  );
}

/** The byte offsets of the drivers' parameter block's fields (i32 each). @internal */
export const WINOGRAD_PARAMS = {
  /** The table of the tiles' input addresses, then (at `count`·4 bytes on) their output ones. */
  tiles: 0,
  /** The number of tiles (the input table's length). */
  count: 4,
  inChannels: 8,
  inRowBytes: 12,
  /** The output's channels and row bytes (the filter gradient's: dy's). */
  outChannels: 16,
  outRowBytes: 20,
  /** The transformed filter, 16 planes of [in × out] (the convolution's). */
  u: 24,
  /** The tiles a block (a multiple of the gemm's height). */
  block: 28,
  /** The convolution's epilogue: a bias's address or 0, plus 1 for ReLU (`winogradOutput`). */
  epilogue: 32,
} as const;
/** The parameter block's size in bytes. @internal */
export const WINOGRAD_PARAM_BYTES = 36;
/**
 * Bytes between the end of one plane ξ of V (and of M or Ŷ) and the start of the next: planes a
 * multiple of 4 KB apart make the 16 stores of a channel's transform alias one another's
 * addresses to the processor's store buffer (4K aliasing), which took the input transform of 64
 * channels from 0.7 to 3.5 ms (measured, Node 24). @internal
 */
export const WINOGRAD_PLANE_PAD = 64;

/**
 * The drivers, over the tiles [from, to) (whole blocks) block by block with the module's
 * functions (their indices): `winograd` (the convolution: V from the input's tiles by `input`, the
 * 16 products M_ξ = V_ξ · U_ξ by `gemm`, the outputs from M by `second`) where `gradient` is
 * false, else `winogradGradient` (the filter gradient's 16 transformed sums: V by `input`, Ŷ from
 * dy's tiles by `second`, then M_ξ += V_ξᵀ · Ŷ_ξ by `gemm`, a gemmTN, into the accumulator). Params
 * 0 the parameter block ({@link WINOGRAD_PARAMS}), 1 from, 2 to, 3 the thread's scratch (V, then
 * M or Ŷ: 16·(block·(in + out) + 32) floats), 4 the gradient's accumulator (16 planes of [in ×
 * out]), 5–6 unused.
 */
export function winogradDriverBody(
  gradient: boolean,
  input: number,
  gemm: number,
  second: number,
): number[] {
  const [params, from, to, scratch, acc] = [0, 1, 2, 3, 4];
  const [table, count, ci, inRow, co, outRow, block, u] = [7, 8, 9, 10, 11, 12, 13, 14];
  const [t, xi, vPlane, wPlane, w, uPlane, epilogue] = [15, 16, 17, 18, 19, 20, 21];
  const P = WINOGRAD_PARAMS;
  const fields: [number, number][] = [
    [P.tiles, table],
    [P.count, count],
    [P.inChannels, ci],
    [P.inRowBytes, inRow],
    [P.outChannels, co],
    [P.outRowBytes, outRow],
    [P.block, block],
    [P.u, u],
    [P.epilogue, epilogue],
  ];
  const times = (a: number, b: number) => [...get(a), ...get(b), I32_MUL];
  const bytes = (a: number, b: number) => [...times(a, b), ...i32(4), I32_MUL];
  // a plane of V (in) or of M or Ŷ (out): block·channels·4 + the pad
  const planeOf = (channels: number, into: number) => [
    ...bytes(block, channels),
    ...i32(WINOGRAD_PLANE_PAD),
    I32_ADD,
    ...set(into),
  ];
  const transform = (
    fn: number,
    secondTable: boolean,
    channels: number,
    rowBytes: number,
    dst: number,
    plane: number,
  ) => [
    ...get(table),
    ...get(t),
    ...(secondTable ? [...get(count), I32_ADD] : []),
    ...i32(4),
    I32_MUL,
    I32_ADD,
    ...get(block),
    ...get(channels),
    ...i32(4),
    I32_MUL,
    ...get(rowBytes),
    ...get(dst),
    ...get(plane),
    ...get(epilogue),
    CALL,
    fn,
  ];
  const planeXi = (base: number, plane: number) => [...get(base), ...times(xi, plane), I32_ADD];
  // gemm(V_ξ, U_ξ, M_ξ, block, in, out, out·4), or gemmTN(V_ξ, Ŷ_ξ, acc_ξ, in, block, out, out·4)
  const product = [
    ...planeXi(scratch, vPlane),
    ...(gradient ? planeXi(w, wPlane) : planeXi(u, uPlane)),
    ...(gradient ? planeXi(acc, uPlane) : planeXi(w, wPlane)),
    ...get(gradient ? ci : block),
    ...get(gradient ? block : ci),
    ...get(co),
    ...get(co),
    ...i32(4),
    I32_MUL,
    CALL,
    gemm,
  ];
  const products = counted(xi, i32(16), 1, product);
  const inputs = transform(input, false, ci, inRow, scratch, vPlane);
  const outputs = transform(second, true, co, outRow, w, wPlane);
  const step = [
    ...inputs,
    ...(gradient ? [...outputs, ...products] : [...products, ...outputs]),
    ...addTo(t, get(block)),
  ];
  return funcBody(
    [[15, I32]],
    [
      ...fields.flatMap(([offset, local]) => [...get(params), I32_LOAD, 2, offset, ...set(local)]),
      ...planeOf(ci, vPlane),
      ...planeOf(co, wPlane),
      ...bytes(ci, co),
      ...set(uPlane),
      // M or Ŷ after V's 16 planes
      ...get(scratch),
      ...get(vPlane),
      ...i32(16),
      I32_MUL,
      I32_ADD,
      ...set(w),
      ...get(from),
      ...set(t),
      ...whileLoop([...get(t), ...get(to), I32_GE_S], step),
    ],
  );
}
