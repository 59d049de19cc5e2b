/**
 * `BatchMatMul` without slow transposed products: the wasm backend multiplies transposed operands
 * an order of magnitude slower than untransposed ones, and every dense layer's backward pass asks
 * for a transposed operand. Transposing explicitly (a copy) and calling the untransposed product
 * is far faster. The product itself is the SIMD gemm (`batch-mat-mul.loops.ts`) for a single
 * float32 pair: XNNPACK packs its right operand again for every new tensor, which in a training
 * step is every product. docs/backends.md has the measured rates.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';
import { passHelperFor } from '../pass-helper.js';
import { accessFor, heapOffset, wasmMemoryOf } from './js-access.js';
import { simdFor, tallRows } from './simd/modules.js';
import { transposeLastTwo } from './transpose.js';

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

/** Builds the kernel function for `backendName`. @internal */
export function batchMatMulTransposeFree(backendName: string): tf.KernelFunc {
  // the library's transpose (SIMD tiles on wasm; the backend's own where those cannot run)
  const transposeKernel = transposeLastTwo(backendName);
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as KernelBackend;
    const { a, b: bIn } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return product(backendName, backend, a, bIn);
    const transpose = (x: tf.TensorInfo) =>
      transposeKernel({
        inputs: { x },
        backend,
        attrs: { perm: swapLastTwo(x.shape.length) },
      } as never) as tf.TensorInfo;
    if (transposeB && !transposeA) {
      // A·Bᵀ (a dense layer's dx = dy·Wᵀ): transposing the weights B (N×K) costs more than
      // (B·Aᵀ)ᵀ's two transposes when the batch M is small: A (M×K) and the product (N×M)
      const [M, K] = a.shape.slice(-2) as [number, number];
      const N = bIn.shape.at(-2)!;
      if (M * K + M * N < N * K) {
        const at = transpose(a);
        const ct = product(backendName, backend, bIn, at);
        release(b, at);
        const out = transpose(ct);
        release(b, ct);
        return out;
      }
    }
    const aa = transposeA ? transpose(a) : a;
    const bb = transposeB ? transpose(bIn) : bIn;
    const out = product(backendName, backend, aa, bb);
    if (transposeA) release(b, aa);
    if (transposeB) release(b, bb);
    return out;
  };
}

/**
 * A · b for a vector b (K × 1): SIMD dot products of the rows over the first multiple of 8 of K
 * (eight partial sums each), the rest of K added in float32 JavaScript.
 */
function matrixVector(
  backendName: string,
  backend: unknown,
  loops: NonNullable<ReturnType<typeof simdFor>>,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  rank: number,
): tf.TensorInfo {
  const [M, K] = a.shape.slice(-2) as [number, number];
  const K8 = K - (K % 8);
  const {
    out,
    outValues: c,
    values,
  } = accessFor(backendName, backend).output(rank === 2 ? [M, 1] : [1, M, 1], [a, b], false);
  const [av, bv] = values as [Float32Array, Float32Array];
  if (K8 > 0)
    loops.rowDots(
      heapOffset(backend, a),
      heapOffset(backend, b),
      heapOffset(backend, out),
      M,
      4 * K8,
      4 * K,
    );
  else c.fill(0);
  if (K8 < K)
    for (let i = 0; i < M; i++) {
      let s = c[i]!;
      for (let k = K8; k < K; k++) s = Math.fround(s + Math.fround(av[i * K + k]! * bv[k]!));
      c[i] = s;
    }
  return out;
}

/**
 * Products of this many multiply-adds or more (~0.3 ms on one thread) are split with the helper
 * thread (the seed CNN's dense-layer gradients, 2^24.6 each: 4.2–4.6 → 2.3–3.3 ms a step).
 */
const SPLIT_FROM = 1 << 24;

/**
 * `loops.gemm` (M % 4 = 0, N % 8 = 0), shared with the helper thread where `useWasmThreads`
 * started one and the product is large: by rows when A is the larger operand (each thread reads
 * its rows of A and all of B), else by columns (all of A, its columns of B). Every entry is the
 * same sum either way, k in order: the helper runs the same loop (the plain gemm, or the relaxed
 * one's blocks of 6 rows where this thread runs the relaxed gemm), on rows or columns of its own.
 */
function gemmOnThreads(
  backend: unknown,
  loops: NonNullable<ReturnType<typeof simdFor>>,
  pa: number,
  pb: number,
  pc: number,
  M: number,
  K: number,
  N: number,
  ld: number,
): void {
  const helper = M * K * N >= SPLIT_FROM ? passHelperFor(wasmMemoryOf(backend)) : undefined;
  const loop = loops.relaxed ? (helper?.relaxed ? 'gemm6' : undefined) : 'gemm';
  if (helper && loop) {
    // by rows: the helper's, a multiple of 12 (its blocks of 6 or 4 rows, leaving a multiple of
    // 4 here); by columns: the helper's, a multiple of 8, over the rows its loop takes (the
    // relaxed gemm's blocks of 6; the last 4 or 8 rows of its columns are this thread's)
    const rows = Math.floor(M / 24) * 12;
    const cols = Math.floor(N / 16) * 8;
    const colRows = loop === 'gemm6' ? tallRows(M) : M;
    if (M * K >= K * N && rows > 0) {
      helper.start(loop, [pa, pb, pc, rows, K, N, ld]);
      loops.gemm(pa + 4 * rows * K, pb, pc + rows * ld, M - rows, K, N, ld);
      helper.wait();
      return;
    }
    if (cols > 0 && colRows > 0) {
      helper.start(loop, [pa, pb, pc, colRows, K, cols, ld]);
      loops.gemm(pa, pb + 4 * cols, pc + 4 * cols, M, K, N - cols, ld);
      if (colRows < M)
        loops.gemm(pa + 4 * colRows * K, pb, pc + colRows * ld, M - colRows, K, cols, ld);
      helper.wait();
      return;
    }
  }
  loops.gemm(pa, pb, pc, M, K, N, ld);
}

/**
 * The untransposed product: the SIMD gemm for float32 matrices on wasm (rank 2, or rank-3 batches
 * of equal size or of one, one gemm an item), else the backend's own BatchMatMul. The gemm works on blocks of 4 rows
 * and 8 columns; the last 1–3 rows are SIMD row updates (`scaledRows`: a vector-matrix product
 * such as rᵀ·X is one pass over X), and the last columns are summed in float32 JavaScript: every
 * element as Σ_k in order from 0, in float32, whichever path computes it. A matrix times a
 * vector goes to {@link matrixVector}; a matrix times 2–7 columns to XNNPACK.
 */
function product(
  backendName: string,
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
): tf.TensorInfo {
  const rank = a.shape.length;
  const [M, K] = a.shape.slice(-2) as [number, number];
  const N = b.shape.at(-1)!;
  // the batch: one matrix pair (rank 2, or batches of one), or rank-3 batches of equal size (or
  // one side of size one, used for every item)
  const batchOf = (x: tf.TensorInfo) => (x.shape.length === 2 ? 1 : x.shape[0]!);
  const [batchA, batchB] = [batchOf(a), batchOf(b)];
  const batch = Math.max(batchA, batchB);
  const batched =
    (rank === 2 || rank === 3) &&
    rank === b.shape.length &&
    (batchA === batchB || batchA === 1 || batchB === 1);
  // a matrix times a few columns: XNNPACK's product (the columns past the last eight would be
  // JavaScript here); a matrix times a vector: rowDots, one SIMD pass over the matrix
  const large = M * K * N > 65536;
  const loops =
    backendName === 'wasm' && batched && a.dtype === 'float32' && b.dtype === 'float32'
      ? simdFor(backend)
      : undefined;
  if (loops && batch === 1 && N === 1) {
    return matrixVector(backendName, backend, loops, a, b, rank);
  }
  if (!loops || (N < 8 && (large || batch > 1)))
    return callKernel(
      'BatchMatMul',
      backendName,
      backend as KernelBackend,
      { a, b },
      { transposeA: false, transposeB: false },
    );
  const M4 = M - (M % 4);
  const N8 = N - (N % 8);
  const N4 = N - (N % 4);
  // the rows past the last block of four are zeroed and then accumulated into
  const {
    out,
    outValues: c,
    values,
  } = accessFor(backendName, backend).output(rank === 2 ? [M, N] : [batch, M, N], [a, b], false);
  const [av, bv] = values as [Float32Array, Float32Array];
  const [pa0, pb0, pc0] = [
    heapOffset(backend, a),
    heapOffset(backend, b),
    heapOffset(backend, out),
  ];
  for (let item = 0; item < batch; item++) {
    // element offsets of this item's matrices (a side of batch one is used for every item)
    const [oa, ob, oc] = [
      batchA === 1 ? 0 : item * M * K,
      batchB === 1 ? 0 : item * K * N,
      item * M * N,
    ];
    const [pa, pb, pc] = [pa0 + 4 * oa, pb0 + 4 * ob, pc0 + 4 * oc];
    if (M4 > 0 && N8 > 0) gemmOnThreads(backend, loops, pa, pb, pc, M4, K, N8, 4 * N);
    // the last 1–3 rows (all of a vector-matrix product): row i += A[i][k]·B[k] for k in order
    if (M4 < M && N4 > 0) {
      c.fill(0, oc + M4 * N, oc + M * N);
      for (let i = M4; i < M; i++)
        loops.scaledRows(pb, 4 * N, pc + 4 * i * N, 0, pa + 4 * i * K, K, 4 * N4);
    }
    // the edges: the gemm rows' columns N8…, the last rows' columns N4…
    const sums = new Float64Array(N - Math.min(N8, N4));
    for (let i = 0; i < M; i++)
      edgeSums(av, bv, c, sums, oa + i * K, ob, oc + i * N, K, N, i < M4 ? N8 : N4);
  }
  return out;
}

/**
 * Row `ra` of A times B's columns `from`…N − 1 into C from `rc`, each as Σ_k in order from 0 in
 * float32. Up to seven sums at once (in `sums`), k outside: each A value read once, B's rows in
 * order.
 */
function edgeSums(
  av: Float32Array,
  bv: Float32Array,
  c: Float32Array,
  sums: Float64Array,
  ra: number,
  rb: number,
  rc: number,
  K: number,
  N: number,
  from: number,
): void {
  const f = Math.fround;
  const n = N - from;
  if (n <= 0) return;
  sums.fill(0, 0, n);
  for (let k = 0; k < K; k++) {
    const a = av[ra + k]!;
    const row = rb + k * N + from;
    for (let j = 0; j < n; j++) sums[j] = f(sums[j]! + f(a * bv[row + j]!));
  }
  for (let j = 0; j < n; j++) c[rc + from + j] = sums[j]!;
}
