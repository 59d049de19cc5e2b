/**
 * The library's WebAssembly SIMD loops as modules that work in place on the wasm backend's own
 * heap: the modules import the backend's `WebAssembly.Memory` (shared in the multi-threaded
 * build), so nothing is copied in or out. Each loop's body is written beside the kernel that
 * calls it (`../*.loops.ts`, with `assembler.ts`); the table here says which module holds it and
 * its signature, by name. Modules are compiled once per kind of memory and instantiated once per
 * memory.
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
 * - `adamUpdate`: one Adam step per variable (`fusedAdam`).
 * - `addRows`: column sums of a row-major matrix into float64 accumulators: `Sum` over leading
 *   axes (every bias gradient).
 * - `leakyRelu`, `leakyReluGrad`, `reluGrad` (the second module): leaky ReLU and its gradient,
 *   ReLU's gradient.
 * - `relu`, `addRows4`, `subRows4`, `mulRows4`, `divRows4` (the second module): ReLU, and the four
 *   arithmetic operations with a second operand of the same shape or a vector along the last
 *   axis (a bias), over large activations.
 * - `transpose4` (the second module): matrix transposes in 4 × 4 tiles (a dense layer's
 *   gradients transpose batch-sized operands).
 * - `rowDots` (the second module): a matrix times a vector, one pass over the matrix.
 * - `gemm` (the second module): matrix products without XNNPACK's packing of the right operand
 *   (which it redoes for every new tensor, i.e. for every product of a training step).
 * - `tanh` (the third module): the C library's tanhf, four lanes at a time.
 * - `narrow` (the third module): float64 values rounded to float32, their finiteness checked on the
 *   way (a double-precision design written into the wasm backend's heap); `finite32`, the same
 *   check alone over float32 values (a design given as a float32 tensor).
 * - `maxPoolGrad2x2Rows` (the third module): `maxPoolGrad2x2Row` over consecutive output rows, one
 *   call for a whole gradient or a helper thread's share of it; `maxPoolReluGrad2x2Rows` (the
 *   second module), the same through the ReLU whose output was pooled.
 * - `segmentGemm` (the third module): a product whose A rows are read as runs at table offsets, a
 *   convolution's filter gradient straight from its padded, transposed input (no im2row panel).
 * - `maxPool2x2Rows` (the third module): 2×2, stride-2 max pooling over consecutive output rows
 *   (`MaxPool`), one call for a whole pooling.
 * - `winograd`, `winogradFilter` (the fourth module): 3×3 convolutions at stride 1 by Winograd's
 *   F(2×2, 3×3), block by block of tiles (their transforms and gemm in the module, called by
 *   index), a bias and ReLU on the way out where asked, and the filter's transform;
 *   `winogradGradient`, `winogradFilterGradient` (the fifth): their filter gradient
 *   (`winograd.loops.ts`).
 *
 * - `gemm` again, in relaxed SIMD (`f32x4.relaxed_madd`), where the runtime validates it: it
 *   replaces the plain one (see {@link allowRelaxedSimd}). Its module also holds `gemm6`, the
 *   same loop over blocks of 6 rows (12 accumulators: 15 of the 16 vector registers V8 gives a
 *   function on x64, enough independent fused multiply-adds to hide their latency; 50 → 57–62
 *   GFLOP/s on Node 24, where blocks of 7 or 8 rows spill and fall to 41–48). `gemm` then runs
 *   blocks of 6 rows and ends on one or two blocks of 4: every entry the same fused sum, k in
 *   order, as in blocks of 4. The plain loop keeps blocks of 4 (Node 20's compiler runs 6 rows
 *   slower: 29–32 against 33–36 GFLOP/s).
 * - `rowDots` and `scaledRows` again, in relaxed SIMD (the same sums, each term a fused
 *   multiply-add): a logistic regression's passes over its design, ~10% faster on Node 24.
 * - `segmentGemm` and `segmentGemm6` (a second relaxed module): `segmentGemm` in relaxed SIMD, over
 *   blocks of 4 and of 6 rows.
 * - `winograd6` and `winogradGradient6` (a third and a fourth relaxed module): the Winograd
 *   drivers with the relaxed gemm (blocks of 6 rows) and gemmTN.
 * - `convSmall` and `convPoolGradient` (the sixth module; relaxed, the fifth): a 3×3 convolution at
 *   stride 1 over few input channels, with its 2×2 max pooling in the same pass where asked, and
 *   its filter and bias gradients straight from the gradient of that pooling of its ReLU output
 *   (`conv-pool.loops.ts`).
 *
 * Each module stays under 4 KB (3.7, 3.9, 3.7, 3.7, 3.1 and 3.8 KB now; the relaxed loops 3.6,
 * 2.7, 3.3, 2.3 and 3.6 KB): Chromium
 * refuses to compile larger modules synchronously on a page's main thread, and kernels are
 * synchronous.
 *
 * Where WebAssembly SIMD or the backend's memory is not available, {@link simdFor} returns
 * undefined and the kernels keep their JavaScript loops.
 *
 * @module
 */

import { adamBody } from '../../fused-adam.loops.js';
import { gemmBody, rowDotsBody } from '../batch-mat-mul.loops.js';
import { convPoolGradientBody, convSmallBody } from '../conv-pool.loops.js';
import { BINARY_OPS, binaryRowsBody, reluBody } from '../elementwise.loops.js';
import { runsBody } from '../heap-runs.loops.js';
import { wasmMemoryOf } from '../js-access.js';
import { leakyReluBody, reluGradBody } from '../leaky-relu.loops.js';
import { maxPoolBody } from '../max-pool.loops.js';
import { finite32Body, narrowBody } from '../narrow.loops.js';
import { rowsBody, scaledRowsBody } from '../rows.loops.js';
import { segmentGemmBody } from '../segment-gemm.loops.js';
import { addRowsBody } from '../sum.loops.js';
import { tanhBody } from '../tanh.loops.js';
import { transposeBody } from '../transpose.loops.js';
import {
  gemmTNBody,
  winogradDriverBody,
  winogradDyBody,
  winogradFilterBody,
  winogradFilterGradientBody,
  winogradInputBody,
  winogradOutputBody,
} from '../winograd.loops.js';
import { F32, HEADER, I32, name, section, uleb, vec } from './assembler.js';

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
  /**
   * `maxPoolGrad2x2Row` over `rows` output rows (the 7th parameter), each two input rows after
   * the last, whose dy rows follow one another.
   */
  maxPoolGrad2x2Rows: PoolRowLoop;
  /**
   * `maxPoolGrad2x2Rows` through the ReLU whose output was pooled: each value written times
   * step(x) (1 above 0, NaN for NaN, else 0), as `reluGrad` would multiply it.
   */
  maxPoolReluGrad2x2Rows: PoolRowLoop;
  /**
   * 2×2, stride-2 max pooling (2D rule) over `rows` output rows (the 7th parameter), each two
   * input rows after the last, the output rows one after another; `dxMinusX` unused.
   */
  maxPool2x2Rows: PoolRowLoop;
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
   * b[c] += a[k·aStride + c] · vector[k] for k in order (C % 4 = 0; bStride unused): the product
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
  /** dx = dy · step(x) (1 above 0, NaN for NaN, else 0) over `bytes` bytes (a multiple of 16); α unused. */
  reluGrad: ElementLoop;
  /** out = x where x's sign bit is clear, else +0, over `bytes` bytes (a multiple of 16); `dy`, α unused. */
  relu: ElementLoop;
  /** out = x + y over rows (see {@link BinaryRowsLoop}). */
  addRows4: BinaryRowsLoop;
  /** out = x − y over rows. */
  subRows4: BinaryRowsLoop;
  /** out = x · y over rows. */
  mulRows4: BinaryRowsLoop;
  /** out = x / y over rows. */
  divRows4: BinaryRowsLoop;
  /** out = tanh(x) over `bytes` bytes (a multiple of 16), bit for bit the C library's tanhf; `dy`, α unused. */
  tanh: ElementLoop;
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
  /**
   * dst[i] = fround(src[i]) for the float64 values at `src` into the floats at `dst` over `bytes`
   * bytes of dst (a multiple of 16); adds each rounded value times 0 into the four floats at
   * `flag` by lane (they stay 0 while every value is finite within float32's range).
   */
  narrow(src: number, dst: number, bytes: number, flag: number): void;
  /**
   * Adds each float32 value at `x` times 0 into the four floats at `flag` by lane, over `bytes`
   * bytes (a multiple of 32): they stay 0 while every value is finite. `dy` and α unused.
   */
  finite32: ElementLoop;
  /**
   * A product whose A rows are read in segments at table offsets (rows [rowFrom, rowTo), a
   * multiple of 4), from the parameter block at `params` (see `segment-gemm.loops.ts`):
   * convolutions and their filter gradients without an im2row panel. The relaxed one (where
   * `relaxed`) runs blocks of 6 rows, then of 4: every entry the same fused sum.
   */
  segmentGemm(params: number, rowFrom: number, rowTo: number): void;
  /**
   * The relaxed `segmentGemm`'s blocks of 6 rows alone (rows a multiple of 6), where the runtime
   * validates relaxed SIMD: what a helper thread runs on its share.
   */
  segmentGemm6?: (params: number, rowFrom: number, rowTo: number) => void;
  /**
   * U = G g Gᵀ, the Winograd F(2×2, 3×3) transform of a 3×3 filter ([3, 3, in, out] at `g`) into
   * 16 planes of [in × out] at `u`; `plane` is in·out·4 bytes (a multiple of 16). See
   * `winograd.loops.ts`.
   */
  winogradFilter(g: number, u: number, plane: number, ...unused: number[]): void;
  /**
   * A 3×3 convolution at stride 1 by Winograd F(2×2, 3×3) over the tiles [from, to) (whole
   * blocks), from the parameter block at `params`, with the thread's `scratch`: the relaxed one
   * (fused multiply-adds, blocks of 6 rows) where `relaxed`.
   */
  winograd(params: number, from: number, to: number, scratch: number, ...unused: number[]): void;
  /** The relaxed `winograd` where the runtime validates relaxed SIMD: what a helper thread runs. */
  winograd6?: (params: number, from: number, to: number, scratch: number) => void;
  /**
   * The 3×3 filter gradient at stride 1 by Winograd F(2×2, 3×3): the 16 transformed sums over the
   * tiles [from, to) (whole blocks), added into the accumulator `m`, with the thread's `scratch`;
   * the relaxed one where `relaxed`. See `winograd.loops.ts`.
   */
  winogradGradient(
    params: number,
    from: number,
    to: number,
    scratch: number,
    m: number,
    ...unused: number[]
  ): void;
  /** The relaxed `winogradGradient`: what a helper thread runs. */
  winogradGradient6?: (
    params: number,
    from: number,
    to: number,
    scratch: number,
    m: number,
  ) => void;
  /**
   * The filter and bias gradients of a 3×3 convolution (stride 1) whose ReLU output a 2×2,
   * stride-2 max pooling took, straight from the pooling's gradient, over the images [from,
   * from + count), added into `acc` (see `conv-pool.loops.ts`); the relaxed one where `relaxed`.
   */
  convPoolGradient(
    params: number,
    from: number,
    count: number,
    acc: number,
    ...unused: number[]
  ): void;
  /**
   * act(conv(x, w) + b) for a 3×3 filter at stride 1 over few input channels, with its 2×2 max
   * pooling in the same pass where asked, over the images [from, from + count) (see
   * `conv-pool.loops.ts`); the relaxed one where `relaxed`.
   */
  convSmall(params: number, from: number, count: number, ...unused: number[]): void;
  /** dW = Gᵀ M G: the filter gradient from its 16 transformed sums (planes of `plane` bytes). */
  winogradFilterGradient(m: number, dw: number, plane: number, ...unused: number[]): void;
  /**
   * Whether `gemm` (fused multiply-adds, blocks of 6 rows), `rowDots` and `scaledRows` are the
   * relaxed-SIMD ones.
   */
  readonly relaxed: boolean;
}

/**
 * out = x op y over `rows` rows of `widthBytes` bytes (a multiple of 16), x's and out's rows one
 * after another, y's `yRowBytes` apart (0: the same row of y for every row).
 */
type BinaryRowsLoop = (
  x: number,
  y: number,
  out: number,
  rows: number,
  widthBytes: number,
  yRowBytes: number,
) => void;

/** An elementwise loop: inputs `x` and `dy`, the output, its length in bytes, and α. */
type ElementLoop = (x: number, dy: number, out: number, bytes: number, alpha: number) => void;

/** A function type: parameters, no results. */
const signature = (types: number[]) => [0x60, ...vec(types.map((t) => [t])), 0];
const pointers = (n: number) => signature(Array(n).fill(I32));

/** The loops' signatures by name; every module declares them all, in this order. */
const SIGNATURES = {
  /** Six i32 (pointers, strides, counts). */
  six: pointers(6),
  /** Four i32. */
  four: pointers(4),
  /** Seven i32. */
  seven: pointers(7),
  /** Adam: ten i32 (pointers, count, β accumulators) and six f32 (β1, 1 − β1, β2, 1 − β2, ε, −lr). */
  adam: signature([...Array(10).fill(I32), ...Array(6).fill(F32)]),
  /** Elementwise: four i32 (x, dy, out, bytes) and α (f32). */
  elementwise: signature([I32, I32, I32, I32, F32]),
} as const;
const SIGNATURE_NAMES = Object.keys(SIGNATURES) as (keyof typeof SIGNATURES)[];

/** One loop of a module: its export name, its signature, and its body. */
interface LoopEntry {
  /** The loop's name (`gemm6`: a part of the relaxed `gemm`, not a loop of its own). */
  name:
    | keyof SimdLoops
    | 'gemm6'
    | 'winogradInput'
    | 'winogradOutput'
    | 'winogradGemm'
    | 'winogradDy'
    | 'winogradGemmTN';
  signature: keyof typeof SIGNATURES;
  body: () => number[];
}

/**
 * The loops in modules of under 4 KB each (see the module comment), each importing the same
 * memory. A new loop: its body beside its kernel, an entry here, a member of {@link SimdLoops}.
 */
const MODULES: readonly (readonly LoopEntry[])[] = [
  [
    { name: 'maxPoolGrad2x2Row', signature: 'six', body: () => maxPoolBody(false, false) },
    { name: 'copyRuns', signature: 'six', body: () => runsBody(false) },
    { name: 'addRows', signature: 'four', body: addRowsBody },
    { name: 'addRuns', signature: 'six', body: () => runsBody(true) },
    { name: 'maxPoolGrad2x2x2Row', signature: 'seven', body: () => maxPoolBody(true, false) },
    { name: 'maxPool2x2x2Row', signature: 'seven', body: () => maxPoolBody(true, true) },
    { name: 'dotRows', signature: 'seven', body: () => rowsBody('dot') },
    { name: 'axpyRows', signature: 'seven', body: () => rowsBody('axpy') },
    { name: 'scaledRows', signature: 'seven', body: () => scaledRowsBody(false) },
    { name: 'adamUpdate', signature: 'adam', body: adamBody },
  ],
  [
    { name: 'leakyRelu', signature: 'elementwise', body: () => leakyReluBody(false) },
    { name: 'leakyReluGrad', signature: 'elementwise', body: () => leakyReluBody(true) },
    { name: 'reluGrad', signature: 'elementwise', body: reluGradBody },
    { name: 'relu', signature: 'elementwise', body: reluBody },
    { name: 'addRows4', signature: 'six', body: () => binaryRowsBody(BINARY_OPS.Add) },
    { name: 'subRows4', signature: 'six', body: () => binaryRowsBody(BINARY_OPS.Sub) },
    { name: 'mulRows4', signature: 'six', body: () => binaryRowsBody(BINARY_OPS.Multiply) },
    { name: 'divRows4', signature: 'six', body: () => binaryRowsBody(BINARY_OPS.RealDiv) },
    { name: 'transpose4', signature: 'six', body: transposeBody },
    { name: 'rowDots', signature: 'six', body: () => rowDotsBody(false) },
    { name: 'gemm', signature: 'seven', body: gemmBody },
    {
      name: 'maxPoolReluGrad2x2Rows',
      signature: 'seven',
      body: () => maxPoolBody(false, false, true, true),
    },
  ],
  [
    { name: 'tanh', signature: 'elementwise', body: tanhBody },
    { name: 'narrow', signature: 'four', body: narrowBody },
    { name: 'finite32', signature: 'elementwise', body: finite32Body },
    { name: 'segmentGemm', signature: 'four', body: () => segmentGemmBody() },
    { name: 'maxPoolGrad2x2Rows', signature: 'seven', body: () => maxPoolBody(false, false, true) },
    { name: 'maxPool2x2Rows', signature: 'seven', body: () => maxPoolBody(false, true, true) },
  ],
  // the Winograd loops call one another by index: input 0, output 1, gemm 2 (of 4 rows)
  [
    { name: 'winogradInput', signature: 'seven', body: winogradInputBody },
    { name: 'winogradOutput', signature: 'seven', body: winogradOutputBody },
    { name: 'winogradGemm', signature: 'seven', body: () => gemmBody(false, 4) },
    { name: 'winograd', signature: 'seven', body: () => winogradDriverBody(false, 0, 2, 1) },
    { name: 'winogradFilter', signature: 'seven', body: winogradFilterBody },
  ],
  // input 0, dy 1, gemmTN 2
  [
    { name: 'winogradInput', signature: 'seven', body: winogradInputBody },
    { name: 'winogradDy', signature: 'seven', body: winogradDyBody },
    { name: 'winogradGemmTN', signature: 'seven', body: () => gemmTNBody(false) },
    { name: 'winogradFilterGradient', signature: 'seven', body: winogradFilterGradientBody },
    { name: 'winogradGradient', signature: 'seven', body: () => winogradDriverBody(true, 0, 2, 1) },
  ],
  [
    { name: 'convPoolGradient', signature: 'seven', body: () => convPoolGradientBody() },
    { name: 'convSmall', signature: 'seven', body: () => convSmallBody() },
  ],
];

/**
 * Loops that need relaxed SIMD (on by default in Chromium, Deno, and Node 22 and later; Node 20
 * only with `--experimental-wasm-relaxed-simd`): where the runtime validates them, they replace
 * the plain loops of the same names.
 */
const RELAXED: readonly (readonly LoopEntry[])[] = [
  [
    { name: 'gemm', signature: 'seven', body: () => gemmBody(true) },
    { name: 'gemm6', signature: 'seven', body: () => gemmBody(true, 6) },
    { name: 'rowDots', signature: 'six', body: () => rowDotsBody(true) },
    { name: 'scaledRows', signature: 'seven', body: () => scaledRowsBody(true) },
  ],
  [
    { name: 'segmentGemm', signature: 'four', body: () => segmentGemmBody(true) },
    { name: 'segmentGemm6', signature: 'four', body: () => segmentGemmBody(true, 6) },
  ],
  // input 0, output 1, the relaxed gemm of 6 rows 2
  [
    { name: 'winogradInput', signature: 'seven', body: winogradInputBody },
    { name: 'winogradOutput', signature: 'seven', body: winogradOutputBody },
    { name: 'winogradGemm', signature: 'seven', body: () => gemmBody(true, 6) },
    { name: 'winograd6', signature: 'seven', body: () => winogradDriverBody(false, 0, 2, 1) },
  ],
  [
    { name: 'winogradInput', signature: 'seven', body: winogradInputBody },
    { name: 'winogradDy', signature: 'seven', body: winogradDyBody },
    { name: 'winogradGemmTN', signature: 'seven', body: () => gemmTNBody(true) },
    {
      name: 'winogradGradient6',
      signature: 'seven',
      body: () => winogradDriverBody(true, 0, 2, 1),
    },
  ],
  [
    { name: 'convPoolGradient', signature: 'seven', body: () => convPoolGradientBody(true) },
    { name: 'convSmall', signature: 'seven', body: () => convSmallBody(true) },
  ],
];

/** The number of relaxed-SIMD modules. @internal */
export const RELAXED_MODULES = RELAXED.length;

/**
 * The rows of M (a multiple of 4) that the relaxed `gemm` runs in blocks of 6: the most that
 * leave a multiple of 4 (0, 4 or 8 rows) to its blocks of 4. @internal
 */
export function tallRows(M: number): number {
  const M6 = M - (M % 6);
  return (M - M6) % 4 === 0 ? M6 : M6 - 6;
}

/**
 * `gemm` (M % 4 = 0) from the relaxed module's loops: blocks of 6 rows, then the last 4 or 8 rows
 * in blocks of 4 (M − 6n is 0, 4 or 8 for the largest n that leaves a multiple of 4).
 */
function tallBlocks(gemm4: SimdLoops['gemm'], gemm6: SimdLoops['gemm']): SimdLoops['gemm'] {
  return (a, b, c, M, K, N, ld) => {
    const M6 = tallRows(M);
    if (M6 > 0) gemm6(a, b, c, M6, K, N, ld);
    if (M6 < M) gemm4(a + 4 * M6 * K, b, c + M6 * ld, M - M6, K, N, ld);
  };
}

/** `segmentGemm` (rows a multiple of 4) from the relaxed loops' blocks of 6 and of 4, as {@link tallBlocks}. */
function tallSegmentBlocks(
  segment4: SimdLoops['segmentGemm'],
  segment6: SimdLoops['segmentGemm'],
): SimdLoops['segmentGemm'] {
  return (params, rowFrom, rowTo) => {
    const tall = rowFrom + tallRows(rowTo - rowFrom);
    if (tall > rowFrom) segment6(params, rowFrom, tall);
    if (tall < rowTo) segment4(params, tall, rowTo);
  };
}

/** The number of modules the loops come in. @internal */
export const SIMD_MODULES = MODULES.length;

/**
 * Module `part`'s bytes (of the relaxed-SIMD loops' modules where `relaxed`), importing
 * `env.memory` (shared or not). @internal
 */
export function simdModuleBytes(
  shared: boolean,
  part = 0,
  relaxed = false,
): Uint8Array<ArrayBuffer> {
  const loops = (relaxed ? RELAXED : MODULES)[part]!;
  const limits = shared ? [0x03, ...uleb(0), ...uleb(65536)] : [0x00, ...uleb(0)];
  const bodies = loops.map((loop) => loop.body());
  return new Uint8Array([
    ...HEADER,
    ...section(1, vec(SIGNATURE_NAMES.map((s) => [...SIGNATURES[s]]))),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...limits]])),
    ...section(3, vec(loops.map((loop) => [SIGNATURE_NAMES.indexOf(loop.signature)]))),
    ...section(7, vec(loops.map((loop, i) => [...name(loop.name), 0x00, i]))),
    ...section(10, vec(bodies.map((body) => [...uleb(body.length), ...body]))),
  ]);
}

const modules = new Map<boolean, WebAssembly.Module[] | null>();
const relaxedModules = new Map<boolean, WebAssembly.Module[] | null>();
const instances = new WeakMap<WebAssembly.Memory, SimdLoops>();
const plainInstances = new WeakMap<WebAssembly.Memory, SimdLoops>();
let relaxedAllowed = true;

/**
 * Whether the relaxed-SIMD loops may be used (where the runtime has them); `false` keeps the
 * plain ones everywhere (for comparisons). Loops already bound to a memory stay as they are.
 * @internal
 */
export function allowRelaxedSimd(allowed: boolean): void {
  relaxedAllowed = allowed;
}

/** Whether this runtime validates the relaxed-SIMD loops. @internal */
export function hasRelaxedSimd(shared = false): boolean {
  if (!relaxedModules.has(shared)) {
    const parts = RELAXED.map((_, part) => simdModuleBytes(shared, part, true));
    relaxedModules.set(
      shared,
      parts.every((bytes) => WebAssembly.validate(bytes))
        ? parts.map((bytes) => new WebAssembly.Module(bytes))
        : null,
    );
  }
  return relaxedModules.get(shared) !== null;
}

/**
 * The compiled relaxed-SIMD modules (`gemm`, `gemm6`, `rowDots`, `scaledRows`; `segmentGemm6`)
 * for a shared or an unshared memory, or undefined where the runtime does not validate them: for
 * instantiating them on another thread. @internal
 */
export function relaxedSimdModules(shared: boolean): WebAssembly.Module[] | undefined {
  return hasRelaxedSimd(shared) ? relaxedModules.get(shared)! : undefined;
}

/**
 * The compiled modules of the plain loops for a shared or an unshared memory (compiled on first
 * use), or undefined where WebAssembly SIMD is not available: for instantiating them on another
 * thread over the same shared memory. @internal
 */
export function simdModules(shared: boolean): WebAssembly.Module[] | undefined {
  if (!modules.has(shared)) {
    const parts = MODULES.map((_, part) => simdModuleBytes(shared, part));
    modules.set(
      shared,
      parts.every((bytes) => WebAssembly.validate(bytes))
        ? parts.map((bytes) => new WebAssembly.Module(bytes))
        : null,
    );
  }
  return modules.get(shared) ?? undefined;
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
  const relaxed = relaxedAllowed;
  const cache = relaxed ? instances : plainInstances;
  const cached = cache.get(memory);
  if (cached) return cached;
  const shared =
    typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  const compiled = simdModules(shared);
  if (!compiled) return undefined;
  const instance = (module: WebAssembly.Module) =>
    new WebAssembly.Instance(module, { env: { memory } }).exports;
  const loops = Object.assign({ relaxed: false }, ...compiled.map(instance)) as SimdLoops;
  const relaxedParts = relaxed ? relaxedSimdModules(shared) : undefined;
  if (relaxedParts) {
    const fused = Object.assign({}, ...relaxedParts.map(instance)) as Record<
      'gemm' | 'gemm6',
      SimdLoops['gemm']
    > &
      Record<'segmentGemm' | 'segmentGemm6', SimdLoops['segmentGemm']> &
      Pick<Required<SimdLoops>, 'winograd6' | 'winogradGradient6'> &
      Pick<SimdLoops, 'rowDots' | 'scaledRows' | 'convPoolGradient' | 'convSmall'>;
    Object.assign(loops, {
      gemm: tallBlocks(fused.gemm, fused.gemm6),
      rowDots: fused.rowDots,
      scaledRows: fused.scaledRows,
      segmentGemm: tallSegmentBlocks(fused.segmentGemm, fused.segmentGemm6),
      segmentGemm6: fused.segmentGemm6,
      winograd: fused.winograd6,
      winograd6: fused.winograd6,
      winogradGradient: fused.winogradGradient6,
      winogradGradient6: fused.winogradGradient6,
      convPoolGradient: fused.convPoolGradient,
      convSmall: fused.convSmall,
      relaxed: true,
    });
  }
  cache.set(memory, loops);
  return loops;
}
