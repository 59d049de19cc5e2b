/**
 * WebAssembly SIMD loops that work in place on the wasm backend's own heap: the modules import
 * the backend's `WebAssembly.Memory` (shared in the multi-threaded build), so nothing is copied in
 * or out. The modules are assembled here, byte by byte (no build step, no binary in the
 * repository), compiled once per kind of memory and instantiated once per memory.
 *
 * - `maxPoolGrad2x2Row`: one output row of a 2×2, stride-2 max-pooling gradient, four channels a
 *   step (first maximum in row-major window order; NaN never wins; a window of −∞ passes nothing:
 *   the rule of the JavaScript kernel and of tfjs-backend-cpu).
 * - `maxPool2x2x2Row`, `maxPoolGrad2x2x2Row`: 2×2×2 pooling and its gradient with
 *   tfjs-backend-cpu's 3D rule (the last maximum wins; NaN never; a window of −∞ gives −∞ and
 *   passes the gradient to its last position).
 * - `copyRuns`: `count` runs of `length` floats, each `srcStride`/`dstStride` bytes after the
 *   last: the rows of the im2row panel of the filter gradient.
 * - `addRuns`: the same runs added into `dst`: folding the depth-unfolded gradient of a 3D
 *   convolution back onto its input.
 * - `dotRows`, `axpyRows`: the depthwise-convolution gradients with one filter per channel, four
 *   channels a step (filter: products summed over output positions; input: scaled rows added).
 * - `scaledRows`: rows scaled by one number each and added up: the last 1–3 rows of a matrix
 *   product (all of a vector-matrix product), one pass over the right operand.
 * - `gemm`: matrix products without XNNPACK's packing of the right operand (which it redoes for
 *   every new tensor, i.e. for every product of a training step).
 * - `adamUpdate`: one Adam step per variable (`fusedAdam`).
 * - `addRows`: column sums of a row-major matrix into float64 accumulators: `Sum` over leading
 *   axes (every bias gradient).
 * - `leakyRelu`, `leakyReluGrad` (the second module): leaky ReLU and its gradient.
 * - `transpose4` (the second module): matrix transposes in 4 × 4 tiles (a dense layer's
 *   gradients transpose batch-sized operands).
 * - `rowDots` (the second module): a matrix times a vector, one pass over the matrix.
 *
 * Each module stays under 4 KB (3.9 KB and 0.3 KB now): Chromium refuses to compile larger modules
 * synchronously on a page's main thread, and kernels are synchronous.
 *
 * Where WebAssembly SIMD or the backend's memory is not available, {@link simdFor} returns
 * undefined and the kernels keep their JavaScript loops.
 *
 * @module
 */

/** `count` runs of `length` floats at `src` and `dst`, each run `srcStride`/`dstStride` bytes on. */
type RunsLoop = (
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  count: number,
  length: number,
) => void;
/** `count` rows of C channels at `a` and `b` (strides in bytes); `vector` holds C floats. */
type RowsLoop = (
  a: number,
  aStride: number,
  b: number,
  bStride: number,
  vector: number,
  count: number,
  channelBytes: number,
) => void;
/**
 * One output row of pooling windows: the input row `x`, the output (or dy) row `y`, dx − x (for
 * gradients), the windows in the row, C·4, W·C·4 and, in 3D, H·W·C·4 bytes.
 */
type PoolRowLoop = (
  x: number,
  y: number,
  dxMinusX: number,
  windows: number,
  channelBytes: number,
  rowBytes: number,
  sliceBytes?: number,
) => void;

/** The loops, bound to one backend's memory; pointers are byte offsets in that memory. */
export interface SimdLoops {
  /** The 2×2, stride-2 max-pooling gradient (2D rule). */
  maxPoolGrad2x2Row: PoolRowLoop;
  /** The 2×2×2 max-pooling gradient (3D rule). */
  maxPoolGrad2x2x2Row: PoolRowLoop;
  /** 2×2×2, stride-2 max pooling (3D rule); `dxMinusX` unused. */
  maxPool2x2x2Row: PoolRowLoop;
  /**
   * Adds each row of a [rows × rowBytes/4] float32 matrix at `x` into the float64 accumulators at
   * `acc` (one per column, 8-byte aligned): column sums in double precision.
   */
  addRows(x: number, acc: number, rows: number, rowBytes: number): void;
  /** vector[c] += Σ_k a[k·aStride + c] · b[k·bStride + c] (C % 4 = 0). */
  dotRows: RowsLoop;
  /** b[k·bStride + c] += a[k·aStride + c] · vector[c] (C % 4 = 0). */
  axpyRows: RowsLoop;
  /**
   * b[k·bStride + c] += a[k·aStride + c] · vector[k] (C % 4 = 0): with bStride 0, the product
   * of the row vector `vector` (K floats) and the matrix at `a` (K rows) added into `b`.
   */
  scaledRows: RowsLoop;
  /** Adds the runs at `src` into those at `dst`. */
  addRuns: RunsLoop;
  /**
   * C = A · B over C's first M rows and N columns (M % 4 = 0, N % 8 = 0); A is [M × K]
   * contiguous, B's and C's rows are `ld` bytes long. Without packing B.
   */
  gemm(a: number, b: number, c: number, M: number, K: number, N: number, ld: number): void;
  /**
   * One Adam step on `n` floats, in tf.train.adam's float32 operation order (bit for bit): from
   * value, gradient, m, v (pointers) to the three outputs; the bias corrections read the β
   * accumulators (float32 scalars at `accBeta1`, `accBeta2`); then β1, 1 − β1, β2, 1 − β2, ε, −lr.
   */
  adamUpdate(
    value: number,
    gradient: number,
    m: number,
    v: number,
    outValue: number,
    outM: number,
    outV: number,
    n: number,
    accBeta1: number,
    accBeta2: number,
    beta1: number,
    oneMinusBeta1: number,
    beta2: number,
    oneMinusBeta2: number,
    epsilon: number,
    negLearningRate: number,
  ): void;
  /** Copies the runs at `src` to `dst`. */
  copyRuns: RunsLoop;
  /** out = x < 0 ? α·x : x over `bytes` bytes (a multiple of 16); `dy` unused. */
  leakyRelu: ElementLoop;
  /** dx = x > 0 ? dy : α·dy over `bytes` bytes (a multiple of 16). */
  leakyReluGrad: ElementLoop;
  /**
   * The transpose of the top-left R × C block (multiples of 4) of the row-major matrix at `src`
   * (`srcRow` bytes a row) into `dst` (`dstRow` bytes a row).
   */
  transpose4(src: number, dst: number, R: number, C: number, srcRow: number, dstRow: number): void;
  /**
   * out[r] = Σ_k A[r][k]·b[k] for `rows` rows of A (`rowBytes` bytes apart) over their first
   * `kBytes` bytes (a multiple of 32): a matrix times a vector.
   */
  rowDots(a: number, b: number, out: number, rows: number, kBytes: number, rowBytes: number): void;
}

/** An elementwise loop: inputs `x` and `dy`, the output, its length in bytes, and α. */
type ElementLoop = (x: number, dy: number, out: number, bytes: number, alpha: number) => void;

// Opcodes (the WebAssembly 2.0 binary format).
const I32 = 0x7f;
const V128 = 0x7b;
const BLOCK = 0x02;
const LOOP = 0x03;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const GET = 0x20;
const SET = 0x21;
const I32_LOAD = 0x28;
const I32_STORE = 0x36;
const I32_CONST = 0x41;
const I32_GE_S = 0x4e;
const I32_GT_S = 0x4a;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const SIMD = 0xfd;
const V128_LOAD = 0x00;
const V128_STORE = 0x0b;
const V128_CONST = 0x0c;
const I32X4_EQ = 0x37;
const F32X4_LT = 0x43;
const F32X4_GT = 0x44;
const F32X4_GE = 0x46;
const V128_AND = 0x4e;
const V128_BITSELECT = 0x52;
const I8X16_SHUFFLE = 0x0d;
const F64X2_PROMOTE_LOW_F32X4 = 0x5f;
const F64X2_ADD = 0xf0;
const F32X4_ADD = 0xe4;
const F32X4_MUL = 0xe6;
const F32_LOAD = 0x2a;
const F32_STORE = 0x38;
const F32_ADD = 0x92;
const F32 = 0x7d;
const TEE = 0x22;
const F32_CONST = 0x43;
const F32_SUB = 0x93;
const F32_MUL = 0x94;
const F32_DIV = 0x95;
const F32_SQRT = 0x91;
const F32X4_SPLAT = 0x13;
const F32X4_EXTRACT_LANE = 0x1f;
const F32X4_DIV = 0xe7;
const F32X4_SQRT = 0xe3;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

const simd = (op: number) => [SIMD, ...uleb(op)];
const get = (i: number) => [GET, i];
const set = (i: number) => [SET, i];
const i32 = (n: number) => [I32_CONST, ...sleb(n)];
const memarg = (align: number) => [align, 0];
const load128 = [...simd(V128_LOAD), ...memarg(0)];
const store128 = [...simd(V128_STORE), ...memarg(0)];
const load128At = (offset: number) => [...simd(V128_LOAD), 0, ...uleb(offset)];
const store128At = (offset: number) => [...simd(V128_STORE), 0, ...uleb(offset)];
/** Four float32 zeros (f32.const 0 splatted). */
const ZERO_F32X4 = [F32_CONST, 0, 0, 0, 0, ...simd(F32X4_SPLAT)];
/** A v128 constant of four equal 32-bit lanes. */
function splat32(bits: number): number[] {
  const lane = [bits & 0xff, (bits >>> 8) & 0xff, (bits >>> 16) & 0xff, (bits >>> 24) & 0xff];
  return [...simd(V128_CONST), ...lane, ...lane, ...lane, ...lane];
}
/** `block loop … (exit when cond) … br loop end end`: a while loop over `body`. */
function whileLoop(exitWhen: number[], body: number[]): number[] {
  return [BLOCK, 0x40, LOOP, 0x40, ...exitWhen, BR_IF, 1, ...body, BR, 0, END, END];
}
/** local ← local + the value `value` pushes. */
const addTo = (local: number, value: number[]) => [...get(local), ...value, I32_ADD, ...set(local)];
/** for (counter = 0; counter < limit; counter += step) body. */
function counted(counter: number, limit: number[], step: number, body: number[]): number[] {
  return [
    ...i32(0),
    ...set(counter),
    ...whileLoop([...get(counter), ...limit, I32_GE_S], [...body, ...addTo(counter, i32(step))]),
  ];
}
/** local ← 4 · the local `count` (a count of floats in bytes). */
const bytesOf = (count: number, local: number) => [
  ...get(count),
  ...i32(4),
  I32_MUL,
  ...set(local),
];
/** The address a + b of two locals. */
const sum = (a: number, b: number) => [...get(a), ...get(b), I32_ADD];
/** A function body: its locals (count, type) and instructions. */
const funcBody = (locals: [number, number][], body: number[]) => [...vec(locals), ...body, END];
function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}
function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}
function name(s: string): number[] {
  return vec([...s].map((ch) => [ch.charCodeAt(0)]));
}

/**
 * The 2×2 (or, with `depth`, 2×2×2) max-pooling loops over one output row: its gradient, or with
 * `forward` the pooled values. Params 0 x, 1 dy (or out), 2 dx − x, 3 windows, 4 C·4, 5 row
 * bytes, [6 slice bytes]; then locals w, p (window), c, and v128 best, idx, m, g, v.
 */
function maxPoolBody(depth: boolean, forward: boolean): number[] {
  // 2D: the first maximum wins (strictly greater); 3D: the last (greater or equal), as tfjs-backend-cpu
  const compare = depth ? F32X4_GE : F32X4_GT;
  const [x, dy, delta, windows, cb, row, slice] = [0, 1, 2, 3, 4, 5, 6];
  const base = depth ? 7 : 6;
  const [w, p, c, best, idx, m, g, v] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => base + i) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const at = (extra: number[]) => [...sum(p, c), ...extra];
  const select = (value: number[], local: number) => [
    ...value,
    ...get(local),
    ...get(m),
    ...simd(V128_BITSELECT),
    ...set(local),
  ];
  const step = (address: number[], k: number) => [
    ...address,
    ...load128,
    ...set(v),
    ...get(v),
    ...get(best),
    ...simd(compare),
    ...set(m),
    ...select(get(v), best),
    ...select(splat32(k), idx),
  ];
  const plane = [
    [],
    [...get(cb), I32_ADD],
    [...get(row), I32_ADD],
    [...get(row), I32_ADD, ...get(cb), I32_ADD],
  ];
  const offsets = depth ? [...plane, ...plane.map((o) => [...get(slice), I32_ADD, ...o])] : plane;
  const write = forward
    ? [...sum(dy, c), ...get(best), ...store128]
    : [
        ...sum(dy, c),
        ...load128,
        ...set(g),
        ...offsets.flatMap((o, k) => [
          ...at([...o, ...get(delta), I32_ADD]),
          ...get(idx),
          ...splat32(k),
          ...simd(I32X4_EQ),
          ...get(g),
          ...simd(V128_AND),
          ...store128,
        ]),
      ];
  const channel = [
    ...splat32(0xff800000), // −∞
    ...set(best),
    ...splat32(-1),
    ...set(idx),
    ...offsets.flatMap((o, k) => step(at(o), k)),
    ...write,
  ];
  const window = [
    ...get(x),
    ...get(w),
    ...get(cb),
    I32_MUL,
    ...i32(2),
    I32_MUL,
    I32_ADD,
    ...set(p),
    ...counted(c, get(cb), 16, channel),
    ...addTo(dy, get(cb)),
  ];
  return funcBody(
    [
      [3, I32],
      [5, V128],
    ],
    counted(w, get(windows), 1, window),
  );
}

/** copyRuns (or addRuns, `add`). Params 0–5; locals 6 k, 7 i (byte in run), 8 bytes. */
function runsBody(add: boolean): number[] {
  const [src, ss, dst, ds, count, length] = [0, 1, 2, 3, 4, 5];
  const [k, i, bytes] = [6, 7, 8];
  const vector = [
    ...sum(dst, i),
    ...(add ? [...sum(dst, i), ...load128] : []),
    ...sum(src, i),
    ...load128,
    ...(add ? simd(F32X4_ADD) : []),
    ...store128,
    ...addTo(i, i32(16)),
  ];
  const scalar = [
    ...sum(dst, i),
    ...(add ? [...sum(dst, i), F32_LOAD, ...memarg(2)] : []),
    ...sum(src, i),
    ...(add ? [F32_LOAD, ...memarg(2), F32_ADD, F32_STORE] : [I32_LOAD, ...memarg(2), I32_STORE]),
    ...memarg(2),
    ...addTo(i, i32(4)),
  ];
  const run = [
    ...i32(0),
    ...set(i),
    ...whileLoop([...get(i), ...i32(16), I32_ADD, ...get(bytes), I32_GT_S], vector),
    ...whileLoop([...get(i), ...get(bytes), I32_GE_S], scalar),
    ...addTo(src, get(ss)),
    ...addTo(dst, get(ds)),
  ];
  const body = [...bytesOf(length, bytes), ...counted(k, get(count), 1, run)];
  return funcBody([[3, I32]], body);
}

/** addRows. Params 0 x, 1 acc, 2 rows, 3 rowBytes; locals 4 r, 5 c, 6 a; v128 7 v. */
function addRowsBody(): number[] {
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

/**
 * dotRows (`axpy` false): acc[c] += Σ_k a[k·aStride + c] · b[k·bStride + c]; axpyRows (`axpy`):
 * b[k·bStride + c] += a[k·aStride + c] · acc[c]. Params 0 a, 1 aStride, 2 b, 3 bStride, 4 acc,
 * 5 count, 6 C·4; locals 7 k, 8 c.
 */
function rowsBody(mode: 'dot' | 'axpy' | 'scaled'): number[] {
  const [a, as, b, bs, acc, count, cb] = [0, 1, 2, 3, 4, 5, 6];
  const [k, c, scale] = [7, 8, 9];
  const target = mode === 'dot' ? sum(acc, c) : sum(b, c);
  const factor =
    mode === 'scaled' ? get(scale) : [...(mode === 'axpy' ? sum(acc, c) : sum(b, c)), ...load128];
  const channel = [
    ...target,
    ...target,
    ...load128,
    ...sum(a, c),
    ...load128,
    ...factor,
    ...simd(F32X4_MUL),
    ...simd(F32X4_ADD),
    ...store128,
  ];
  // scaled: this row's factor, vector[k] in every lane
  const splat =
    mode === 'scaled'
      ? [
          ...get(acc),
          F32_LOAD,
          ...memarg(2),
          ...simd(F32X4_SPLAT),
          ...set(scale),
          ...addTo(acc, i32(4)),
        ]
      : [];
  const row = [
    ...splat,
    ...counted(c, get(cb), 16, channel),
    ...addTo(a, get(as)),
    ...addTo(b, get(bs)),
  ];
  return funcBody(
    [
      [2, I32],
      [1, V128],
    ],
    counted(k, get(count), 1, row),
  );
}

/**
 * adamUpdate. Params 0 value, 1 gradient, 2 m, 3 v, 4–6 outputs, 7 n, 8–9 β accumulators (i32),
 * 10 β1, 11 1 − β1, 12 β2, 13 1 − β2, 14 ε, 15 −lr (f32); locals 16 i, 17 bytes; f32 18 1 − β1ᵗ,
 * 19 1 − β2ᵗ, 20–22 g, m', v'; v128 23–30 the eight scalars splatted, 31–33 g, m', v'.
 */
function adamBody(): number[] {
  const [value, grad, m, v, outValue, outM, outV, n, acc1, acc2] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [i, bytes, inv1, inv2] = [16, 17, 18, 19];
  const scalars = [10, 11, 12, 13, 14, 15, inv1, inv2]; // β1, 1−β1, β2, 1−β2, ε, −lr, 1−β1ᵗ, 1−β2ᵗ
  const element = (vector: boolean) => {
    const k = (j: number) => get(vector ? 23 + j : scalars[j]!);
    const [g, nm, nv] = vector ? [31, 32, 33] : [20, 21, 22];
    const load = vector ? load128 : [F32_LOAD, ...memarg(2)];
    const store = vector ? store128 : [F32_STORE, ...memarg(2)];
    const [mul, add, div, sqrt] = vector
      ? [simd(F32X4_MUL), simd(F32X4_ADD), simd(F32X4_DIV), simd(F32X4_SQRT)]
      : [[F32_MUL], [F32_ADD], [F32_DIV], [F32_SQRT]];
    return [
      ...sum(grad, i),
      ...load,
      ...set(g),
      // m' = m·β1 + g·(1 − β1)
      ...sum(outM, i),
      ...sum(m, i),
      ...load,
      ...k(0),
      ...mul,
      ...get(g),
      ...k(1),
      ...mul,
      ...add,
      TEE,
      nm,
      ...store,
      // v' = v·β2 + g²·(1 − β2)
      ...sum(outV, i),
      ...sum(v, i),
      ...load,
      ...k(2),
      ...mul,
      ...get(g),
      ...get(g),
      ...mul,
      ...k(3),
      ...mul,
      ...add,
      TEE,
      nv,
      ...store,
      // value' = (m'/(1 − β1ᵗ)) / (√(v'/(1 − β2ᵗ)) + ε) · (−lr) + value
      ...sum(outValue, i),
      ...get(nm),
      ...k(6),
      ...div,
      ...get(nv),
      ...k(7),
      ...div,
      ...sqrt,
      ...k(4),
      ...add,
      ...div,
      ...k(5),
      ...mul,
      ...sum(value, i),
      ...load,
      ...add,
      ...store,
      ...addTo(i, i32(vector ? 16 : 4)),
    ];
  };
  const oneMinus = (acc: number, local: number) => [
    F32_CONST,
    0x00,
    0x00,
    0x80,
    0x3f, // 1.0f
    ...get(acc),
    F32_LOAD,
    ...memarg(2),
    F32_SUB,
    ...set(local),
  ];
  const body = [
    ...oneMinus(acc1, inv1),
    ...oneMinus(acc2, inv2),
    ...scalars.flatMap((local, j) => [...get(local), ...simd(F32X4_SPLAT), ...set(23 + j)]),
    ...bytesOf(n, bytes),
    ...i32(0),
    ...set(i),
    ...whileLoop([...get(i), ...i32(16), I32_ADD, ...get(bytes), I32_GT_S], element(true)),
    ...whileLoop([...get(i), ...get(bytes), I32_GE_S], element(false)),
  ];
  return funcBody(
    [
      [2, I32],
      [5, F32],
      [11, V128],
    ],
    body,
  );
}

/**
 * gemm: C[M×N] = A[M×K] · B[K×N] over the first M rows and N columns (M % 4 = 0, N % 8 = 0) of
 * row-major matrices whose B and C rows are `ld` bytes long: blocks of 4 rows × 8 columns in
 * eight v128 accumulators, k in order (one multiply, then one add, per term: equal to XNNPACK's sums
 * in the shapes measured). No packing of B, which XNNPACK redoes for every new B. Params 0 a, 1 b,
 * 2 c, 3 M, 4 K, 5 N, 6 ld; locals 7 i, 8 j (bytes), 9 k, 10 pa, 11 pb, 12 A's row bytes, 13 N·4;
 * v128 14–21 accumulators, 22–23 B's two vectors, 24 A's value, 25 zero.
 */
function gemmBody(): number[] {
  const [a, b, c, M, K, N, ld] = [0, 1, 2, 3, 4, 5, 6];
  const [i, j, k, pa, pb, rowA, cols] = [7, 8, 9, 10, 11, 12, 13];
  const acc = (r: number, h: number) => 14 + 2 * r + h;
  const [b0, b1, av, zero] = [22, 23, 24, 25];
  const rows = [0, 1, 2, 3];
  const mulAdd = (r: number, h: number, bv: number) => [
    ...get(acc(r, h)),
    ...get(av),
    ...get(bv),
    ...simd(F32X4_MUL),
    ...simd(F32X4_ADD),
    ...set(acc(r, h)),
  ];
  const term = [
    ...get(pb),
    ...load128,
    ...set(b0),
    ...get(pb),
    ...load128At(16),
    ...set(b1),
    ...rows.flatMap((r) => [
      ...get(pa),
      ...(r ? [...get(rowA), ...i32(r), I32_MUL, I32_ADD] : []),
      F32_LOAD,
      ...memarg(2),
      ...simd(F32X4_SPLAT),
      ...set(av),
      ...mulAdd(r, 0, b0),
      ...mulAdd(r, 1, b1),
    ]),
    ...addTo(pa, i32(4)),
    ...addTo(pb, get(ld)),
  ];
  const block = [
    ...rows.flatMap((r) => [...get(zero), ...set(acc(r, 0)), ...get(zero), ...set(acc(r, 1))]),
    ...get(a),
    ...get(i),
    ...get(rowA),
    I32_MUL,
    I32_ADD,
    ...set(pa),
    ...sum(b, j),
    ...set(pb),
    ...counted(k, get(K), 1, term),
    ...rows.flatMap((r) => [
      ...get(c),
      ...get(i),
      ...i32(r),
      I32_ADD,
      ...get(ld),
      I32_MUL,
      I32_ADD,
      ...get(j),
      I32_ADD,
      ...set(pa),
      ...get(pa),
      ...get(acc(r, 0)),
      ...store128,
      ...get(pa),
      ...get(acc(r, 1)),
      ...store128At(16),
    ]),
  ];
  const body = [
    ...bytesOf(K, rowA),
    ...bytesOf(N, cols),
    ...counted(i, get(M), 4, counted(j, get(cols), 32, block)),
  ];
  return funcBody(
    [
      [7, I32],
      [12, V128],
    ],
    body,
  );
}

/**
 * leakyRelu (x → out) and leakyReluGrad (x, dy → dx) over `bytes` bytes (a multiple of 16), with
 * tfjs's rules: forward x < 0 ? α·x : x (the wasm and cpu kernels'), gradient x > 0 ? dy : α·dy
 * (tfjs-core's where(greater(x, 0), dy, α·dy)); NaN, ±0 and ±∞ as those give them. Params 0 x, 1 dy, 2 out, 3 bytes, 4 α (f32); locals 5 i, v128 6 α splatted, 7 value.
 */
function leakyReluBody(gradient: boolean): number[] {
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
 * transpose4: the transpose of the top-left R × C block (both multiples of 4) of a row-major
 * matrix with `srcRow` bytes a row, into `dst` with `dstRow` bytes a row, in 4 × 4 tiles (four
 * loads, eight shuffles, four stores). Params 0 src, 1 dst, 2 R, 3 C, 4 srcRow, 5 dstRow; locals
 * 6 i, 7 j, 8 from, 9 to; v128 10–13 the tile's rows, 14–17 the interleaved pairs.
 */
function transposeBody(): number[] {
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

/**
 * rowDots: out[r] = Σ_k A[r][k]·b[k] over the first `kBytes` bytes of each of `rows` rows (a
 * multiple of 32: two four-lane sums, added lane by lane at the end). Params 0 a, 1 b, 2 out,
 * 3 rows, 4 kBytes, 5 rowBytes; locals 6 r, 7 c; v128 8–9 the sums.
 */
function rowDotsBody(): number[] {
  const [a, b, out, rows, kBytes, rowBytes, r, c] = [0, 1, 2, 3, 4, 5, 6, 7];
  const accumulate = (acc: number, offset: number) => [
    ...get(acc),
    ...sum(a, c),
    ...load128At(offset),
    ...sum(b, c),
    ...load128At(offset),
    ...simd(F32X4_MUL),
    ...simd(F32X4_ADD),
    ...set(acc),
  ];
  const lane = (i: number) => [...get(8), ...simd(F32X4_EXTRACT_LANE), i];
  const row = [
    ...ZERO_F32X4,
    ...set(8),
    ...ZERO_F32X4,
    ...set(9),
    ...counted(c, get(kBytes), 32, [...accumulate(8, 0), ...accumulate(9, 16)]),
    ...get(8),
    ...get(9),
    ...simd(F32X4_ADD),
    ...set(8),
    // out + 4r ← (lane 0 + lane 1) + (lane 2 + lane 3)
    ...get(out),
    ...get(r),
    ...i32(4),
    I32_MUL,
    I32_ADD,
    ...lane(0),
    ...lane(1),
    F32_ADD,
    ...lane(2),
    ...lane(3),
    F32_ADD,
    F32_ADD,
    F32_STORE,
    ...memarg(2),
    ...addTo(a, get(rowBytes)),
  ];
  return funcBody(
    [
      [2, I32],
      [2, V128],
    ],
    counted(r, get(rows), 1, row),
  );
}

/** Each module's exports: name, type and body (function i is export i). */
type ModuleTable = [keyof SimdLoops, number, number[]][];

/**
 * The loops in modules of under 4 KB each (see the module comment), each importing the same
 * memory.
 */
const MODULES: (() => ModuleTable)[] = [
  () => [
    ['maxPoolGrad2x2Row', 0, maxPoolBody(false, false)],
    ['copyRuns', 0, runsBody(false)],
    ['addRows', 1, addRowsBody()],
    ['addRuns', 0, runsBody(true)],
    ['maxPoolGrad2x2x2Row', 2, maxPoolBody(true, false)],
    ['maxPool2x2x2Row', 2, maxPoolBody(true, true)],
    ['dotRows', 2, rowsBody('dot')],
    ['axpyRows', 2, rowsBody('axpy')],
    ['scaledRows', 2, rowsBody('scaled')],
    ['adamUpdate', 3, adamBody()],
    ['gemm', 2, gemmBody()],
  ],
  () => [
    ['leakyRelu', 4, leakyReluBody(false)],
    ['leakyReluGrad', 4, leakyReluBody(true)],
    ['transpose4', 0, transposeBody()],
    ['rowDots', 0, rowDotsBody()],
  ],
];

/** The number of modules the loops come in. @internal */
export const SIMD_MODULES = MODULES.length;

/** Module `part`'s bytes, importing `env.memory` (shared or not). @internal */
export function simdModuleBytes(shared: boolean, part = 0): Uint8Array<ArrayBuffer> {
  // function types: parameters, no results
  const signature = (types: number[]) => [0x60, ...vec(types.map((t) => [t])), 0];
  const params = (n: number) => signature(Array(n).fill(I32));
  const types = [
    params(6),
    params(4),
    params(7),
    signature([...Array(10).fill(I32), ...Array(6).fill(F32)]),
    signature([I32, I32, I32, I32, F32]),
  ];
  const functions = MODULES[part]!();
  const limits = shared ? [0x03, ...uleb(0), ...uleb(65536)] : [0x00, ...uleb(0)];
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(functions.map(([, type]) => [type]))),
    ...section(7, vec(functions.map(([fn], i) => [...name(fn), 0x00, i]))),
    ...section(10, vec(functions.map(([, , body]) => [...uleb(body.length), ...body]))),
  ]);
}

/** `\0asm`, version 1. */
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

const modules = new Map<boolean, WebAssembly.Module[] | null>();
const instances = new WeakMap<WebAssembly.Memory, SimdLoops>();

interface WasmBackendMemory {
  wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
}

/** The wasm backend's `WebAssembly.Memory`, or undefined. @internal */
export function wasmMemoryOf(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as WasmBackendMemory).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** The loops bound to the wasm backend's memory, or undefined where they cannot run. @internal */
export function simdFor(backend: unknown): SimdLoops | undefined {
  const memory = wasmMemoryOf(backend);
  return memory ? simdForMemory(memory) : undefined;
}

/**
 * The loops bound to `memory` (the wasm backend's, or a private one: the cpu kernels' scratch
 * heap), or undefined where WebAssembly SIMD is not available. @internal
 */
export function simdForMemory(memory: WebAssembly.Memory): SimdLoops | undefined {
  const cached = instances.get(memory);
  if (cached) return cached;
  const shared =
    typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  if (!modules.has(shared)) {
    const parts = MODULES.map((_, part) => simdModuleBytes(shared, part));
    modules.set(
      shared,
      parts.every((bytes) => WebAssembly.validate(bytes))
        ? parts.map((bytes) => new WebAssembly.Module(bytes))
        : null,
    );
  }
  const compiled = modules.get(shared);
  if (!compiled) return undefined;
  const loops = Object.assign(
    {},
    ...compiled.map((module) => new WebAssembly.Instance(module, { env: { memory } }).exports),
  ) as SimdLoops;
  instances.set(memory, loops);
  return loops;
}

/** The byte offset of a tensor's data in the wasm backend's memory. @internal */
export function heapOffset(backend: unknown, info: { dataId: object }): number {
  return (backend as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(
    info.dataId,
  ).memoryOffset;
}

/** Moving runs of floats on the wasm backend's heap: the SIMD loops, or JavaScript without SIMD. */
export interface HeapRuns {
  /** {@link SimdLoops.copyRuns}. */
  copy: SimdLoops['copyRuns'];
  /** {@link SimdLoops.addRuns}. */
  add: SimdLoops['addRuns'];
}

/** Run movers for the wasm backend `backend`. @internal */
export function heapRuns(backend: unknown): HeapRuns {
  const loops = simdFor(backend);
  if (loops) return { copy: loops.copyRuns, add: loops.addRuns };
  const js =
    (add: boolean) =>
    (src: number, ss: number, dst: number, ds: number, count: number, length: number) => {
      const heap = (backend as { wasm: { HEAPF32: Float32Array } }).wasm.HEAPF32;
      for (let k = 0; k < count; k++) {
        const s = (src + k * ss) >> 2;
        const d = (dst + k * ds) >> 2;
        if (add) for (let j = 0; j < length; j++) heap[d + j]! += heap[s + j]!;
        else heap.copyWithin(d, s, s + length);
      }
    };
  return { copy: js(false), add: js(true) };
}
