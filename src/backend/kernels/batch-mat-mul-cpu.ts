/**
 * `BatchMatMul` for the cpu backend. Products of at least 2¹⁵ multiply-adds, 4 rows and 4
 * columns run as the SIMD gemm on the {@link scratchHeap} (operands copied in, zero-padded to
 * blocks of 4 rows and 8 columns, transposed operands turned by SIMD 4 × 4 tiles; float32 sums in
 * k order); the rest (matrix-vector products among them), and every product where
 * that heap cannot be had, compute each element of C as the dot
 * product of two contiguous rows (op(A)'s row, and op(B)'s column, copied to a row once per
 * product when B is not transposed) in double precision with four partial sums. The stock kernel
 * walks 48 × 48 blocks with a strided inner loop and rounds to float32 after every block
 * (docs/backends.md has the rates). Results differ from the stock kernel's by rounding.
 * Other dtypes and batch shapes that are neither equal nor 1 go to the stock kernel.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import { accessFor } from './js-access.js';
import {
  layout,
  placeRows,
  roundUp,
  type ScratchHeap,
  scratchHeap,
  takeRows,
} from './scratch-heap.js';

/**
 * Products of at least this many multiply-adds, and at least 4 rows and 4 columns, go to the SIMD
 * gemm on the scratch heap: copying the operands in costs 1/M (A·B with M rows) of the product,
 * and a vector would be padded to a block of 8 columns or 4 rows.
 */
const GEMM_WORK = 1 << 15;
const GEMM_EDGE = 4;

/**
 * Places op(X) (`rows` × `cols` once transposed when `transposed`) at `dst` as a
 * rowsPad × colsPad matrix, transposing by SIMD 4 × 4 tiles through `tmp`.
 */
function placeOp(
  heap: ScratchHeap,
  src: Float32Array,
  at: number,
  transposed: boolean,
  rows: number,
  cols: number,
  rowsPad: number,
  colsPad: number,
  dst: number,
  tmp: number,
): void {
  const matrix = src.subarray(at, at + rows * cols);
  if (!transposed) {
    placeRows(heap.f32, matrix, rows, cols, dst, colsPad, rowsPad);
    return;
  }
  placeRows(heap.f32, matrix, cols, rows, tmp, rowsPad, colsPad);
  heap.loops.transpose4(4 * tmp, 4 * dst, colsPad, rowsPad, 4 * rowsPad, 4 * colsPad);
}

/** Builds the kernel function for `backendName` (cpu). @internal */
export function batchMatMulRows(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const outer = (x: tf.TensorInfo) => x.shape.slice(0, -2);
    const batchA = tf.util.sizeFromShape(outer(a));
    const batchB = tf.util.sizeFromShape(outer(b));
    if (
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      !(batchA === batchB || batchA === 1 || batchB === 1)
    )
      return callKernel(
        'BatchMatMul',
        backendName,
        backend as never,
        inputs as never,
        attrs as never,
      );
    const [ra, ca] = a.shape.slice(-2) as [number, number];
    const [rb, cb] = b.shape.slice(-2) as [number, number];
    const [M, K] = transposeA ? [ca, ra] : [ra, ca];
    const N = transposeB ? rb : cb;
    const batchShape = tf.backend_util.assertAndGetBroadcastShape(outer(a), outer(b));
    const batch = Math.max(batchA, batchB);
    const {
      out,
      outValues: c,
      values,
    } = accessFor(backendName, backend).output([...batchShape, M, N], [a, b], false);
    const [av, bv] = values as [Float32Array, Float32Array];
    const M4 = roundUp(M, 4);
    const K4 = roundUp(K, 4);
    const N8 = roundUp(N, 8);
    const regions = layout([M4 * K4, K4 * N8, M4 * N8, Math.max(M4, N8) * K4]);
    const heap =
      M * K * N >= GEMM_WORK && M >= GEMM_EDGE && N >= GEMM_EDGE
        ? scratchHeap(regions.total)
        : undefined;
    if (heap) {
      const [a0, b0, c0, t0] = regions.offsets as [number, number, number, number];
      for (let m = 0; m < batch; m++) {
        const offA = (batchA === 1 ? 0 : m) * M * K;
        const offB = (batchB === 1 ? 0 : m) * K * N;
        if (m === 0 || batchA > 1) placeOp(heap, av, offA, transposeA, M, K, M4, K4, a0, t0);
        if (m === 0 || batchB > 1) placeOp(heap, bv, offB, transposeB, K, N, K4, N8, b0, t0);
        heap.loops.gemm(4 * a0, 4 * b0, 4 * c0, M4, K4, N8, 4 * N8);
        takeRows(heap.f32, c0, N8, c, m * M * N, M, N);
      }
      return out;
    }
    const aRow = new Float32Array(K); // row i of op(A), contiguous
    const bT = transposeB ? undefined : new Float32Array(N * K); // B's columns as rows
    for (let m = 0; m < batch; m++) {
      const offA = (batchA === 1 ? 0 : m) * M * K;
      const offB = (batchB === 1 ? 0 : m) * K * N;
      const offC = m * M * N;
      // op(B) as N contiguous rows of K: B itself when transposed, else its transpose
      let rows = bv;
      let offR = offB;
      if (bT && (m === 0 || batchB > 1)) {
        for (let k = 0; k < K; k++)
          for (let j = 0; j < N; j++) bT[j * K + k] = bv[offB + k * N + j]!;
      }
      if (bT) {
        rows = bT;
        offR = 0;
      }
      for (let i = 0; i < M; i++) {
        if (transposeA) for (let k = 0; k < K; k++) aRow[k] = av[offA + k * M + i]!;
        else aRow.set(av.subarray(offA + i * K, offA + (i + 1) * K));
        // C[i][j] = row i of op(A) · row j of op(B), four partial sums in double precision
        for (let j = 0; j < N; j++) {
          const r = offR + j * K;
          let s0 = 0;
          let s1 = 0;
          let s2 = 0;
          let s3 = 0;
          let k = 0;
          for (; k + 3 < K; k += 4) {
            s0 += aRow[k]! * rows[r + k]!;
            s1 += aRow[k + 1]! * rows[r + k + 1]!;
            s2 += aRow[k + 2]! * rows[r + k + 2]!;
            s3 += aRow[k + 3]! * rows[r + k + 3]!;
          }
          for (; k < K; k++) s0 += aRow[k]! * rows[r + k]!;
          c[offC + i * N + j] = s0 + s1 + (s2 + s3);
        }
      }
    }
    return out;
  };
}
