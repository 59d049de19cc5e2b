/**
 * Large float32 matrices on the wasm backend, used where they lie:
 *
 * - {@link matrixPass}: one pass over a matrix for the two products of a gradient step, u = A·v
 *   and then g = Aᵀ·w(u). The matrix is read in blocks of rows, each block's dot products with v
 *   computed (SIMD `rowDots`), the caller turning them into weights for those rows, and the
 *   block, still in cache, scaled by the weights and added into g (SIMD `scaledRows`). Two matrix
 *   products as tfjs ops read the matrix from memory twice; for a matrix far larger than the
 *   cache (a genotype design of 2,000 × 10,000 values is 80 MB) that read is the whole cost.
 *   Where a helper thread runs (`useWasmThreads` with two threads or more, see `pass-helper.ts`)
 *   and the matrix has a million values or more, each loop is split by columns between the two
 *   threads, over all rows at once: the dots' float32 sums then add the two threads' parts, so
 *   they can differ from one thread's in the last bit; the weighted rows' sums (g) are the same.
 * - {@link float32Tensor2d}: a double-precision matrix written straight into a new tensor's heap
 *   memory, its finiteness checked in the same pass.
 * - {@link tensorValues}: a float32 tensor's values as a view of the heap, without a copy.
 *
 * Other backends get undefined from `matrixPass` (the caller uses tfjs ops) and plain uploads and
 * reads from the other two.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { WasmBackendLike } from './kernels/js-access.js';
import { heapOffset, wasmMemoryOf } from './kernels/js-access.js';
import { simdFor } from './kernels/simd/modules.js';
import { passHelperFor } from './pass-helper.js';

/** Rows per block: 16 rows of 10,000 floats (640 KB) stay in a core's cache between the two loops. */
const BLOCK_BYTES = 1 << 19;
/** The design size (values) from which a pass is split with a helper thread where one runs. */
const SPLIT_FROM = 1 << 20;

/** A pass over one matrix; see {@link matrixPass}. @internal */
export interface MatrixPass {
  /**
   * For K vectors v_k (`v[k·stride + j]`, j < cols) and the rows in blocks: the dots
   * d[i·K + k] = A[i]·v_k (float32) go to `weigh(i0, i1, dots)`, which returns the weights
   * w[i·K + k] of rows i0 … i1 − 1 (row-major, as the dots); then
   * `out[k·stride + j] += Σ_i w[i·K + k]·A[i][j]` (float32 sums, added into `out` at the end).
   * K and stride default to 1 and cols.
   */
  run(
    v: Float64Array,
    weigh: (i0: number, i1: number, dots: Float32Array) => ArrayLike<number>,
    out: Float64Array,
    shape?: { columns: number; stride: number },
  ): void;
  /** Releases the pass's working memory (not the matrix). */
  dispose(): void;
}

/**
 * A pass over the 2-D float32 tensor `A` for up to `columns` vectors at a time, or undefined
 * unless the active backend is wasm with the library's SIMD loops.
 *
 * @internal
 */
export function matrixPass(A: tf.Tensor2D, columns = 1): MatrixPass | undefined {
  const backend = tf.backend();
  if (tf.getBackend() !== 'wasm' || A.dtype !== 'float32' || !heldBy(backend, A)) return undefined;
  const loops = simdFor(backend);
  if (!loops) return undefined;
  const [rows, cols] = A.shape;
  const K8 = cols - (cols % 8); // rowDots' width; the rest in JavaScript
  const K4 = cols - (cols % 4); // scaledRows' width
  // a second thread, where one is running and the design is large enough to be worth it: the
  // columns split at a multiple of eight, the helper taking the first part
  const helper = rows * cols >= SPLIT_FROM ? passHelperFor(wasmMemoryOf(backend)) : undefined;
  const split = helper ? Math.floor(K8 / 16) * 8 : 0;
  // with a helper, one block of all rows (each thread's columns of the design stay in the
  // last-level cache between the two loops); otherwise blocks that stay in a core's cache
  const block = helper ? rows : Math.max(1, Math.min(rows, Math.floor(BLOCK_BYTES / (4 * cols))));
  // working memory on the backend's heap, per vector: v, the block's dots (two parts with a
  // helper), its weights, g
  const per = 2 * cols + (helper ? 3 : 2) * block + 8;
  const work = tf.zeros([columns * per], 'float32');
  const dots = new Float32Array(block * columns);
  const views = backend as unknown as WasmBackendLike;
  return {
    run(v, weigh, out, { columns: K, stride } = { columns: 1, stride: cols }) {
      if (K > columns) throw new Error(`matrixPass: ${K} vectors, made for ${columns}`);
      // the matrix and the working memory, as views (float indices) and byte offsets (SIMD loops)
      const a = views.typedArrayFromHeap(A) as Float32Array;
      const m = views.typedArrayFromHeap(work) as Float32Array;
      const a0 = heapOffset(backend, A);
      const m0 = heapOffset(backend, work);
      // float offsets in `m` of vector k's regions: v, the block's dots, its weights, g, and
      // the helper's part of the dots
      const v0 = (k: number) => k * per;
      const d0 = (k: number) => v0(k) + cols;
      const r0 = (k: number) => d0(k) + block;
      const g0 = (k: number) => r0(k) + block;
      const h0 = (k: number) => g0(k) + cols;
      const ptr = (at: number) => m0 + 4 * at;
      for (let k = 0; k < K; k++) {
        for (let j = 0; j < cols; j++) m[v0(k) + j] = v[k * stride + j]!;
        m.fill(0, g0(k), g0(k) + cols);
      }
      for (let i0 = 0; i0 < rows; i0 += block) {
        const n = Math.min(block, rows - i0);
        const row0 = i0 * cols;
        for (let k = 0; k < K; k++) {
          const [vk, dk, hk] = [v0(k), d0(k), h0(k)];
          // the helper's columns [0, split), this thread's [split, K8), the rest in JavaScript
          if (helper)
            helper.start('rowDots', [a0 + 4 * row0, ptr(vk), ptr(hk), n, 4 * split, 4 * cols]);
          if (K8 > split)
            loops.rowDots(
              a0 + 4 * (row0 + split),
              ptr(vk + split),
              ptr(dk),
              n,
              4 * (K8 - split),
              4 * cols,
            );
          else m.fill(0, dk, dk + n);
          helper?.wait();
          for (let i = 0; i < n; i++) {
            let s = helper ? Math.fround(m[hk + i]! + m[dk + i]!) : m[dk + i]!;
            const r = row0 + i * cols;
            for (let c = K8; c < cols; c++)
              s = Math.fround(s + Math.fround(a[r + c]! * m[vk + c]!));
            dots[i * K + k] = s;
          }
        }
        const w = weigh(i0, i0 + n, dots.subarray(0, n * K));
        for (let k = 0; k < K; k++) {
          const rk = r0(k);
          for (let i = 0; i < n; i++) m[rk + i] = w[i * K + k]!;
          if (helper)
            helper.start('scaledRows', [
              a0 + 4 * row0,
              4 * cols,
              ptr(g0(k)),
              0,
              ptr(rk),
              n,
              4 * split,
            ]);
          if (K4 > split)
            loops.scaledRows(
              a0 + 4 * (row0 + split),
              4 * cols,
              ptr(g0(k) + split),
              0,
              ptr(rk),
              n,
              4 * (K4 - split),
            );
          for (let c = K4; c < cols; c++) {
            let s = 0;
            for (let i = 0; i < n; i++) s += m[rk + i]! * a[row0 + i * cols + c]!;
            out[k * stride + c]! += s;
          }
          helper?.wait();
        }
      }
      for (let k = 0; k < K; k++)
        for (let j = 0; j < K4; j++) out[k * stride + j]! += m[g0(k) + j]!;
    },
    dispose() {
      work.dispose();
    },
  };
}

/**
 * A float32 tensor of `values` (rounded from double precision), and whether every rounded value
 * is finite (seen in the same pass). On the wasm backend the rounded values are written straight
 * into the tensor's memory on the backend's heap, which (once the heap has grown) is memory
 * already in use; a separate Float32Array first would be tens of megabytes of fresh memory for a
 * genotype design, and its page faults cost more than the conversion (docs/genomics.md).
 *
 * @internal
 */
export function float32Tensor2d(
  values: Float64Array,
  rows: number,
  cols: number,
): { tensor: tf.Tensor2D; finite: boolean } {
  const backend = tf.backend();
  let target: Float32Array;
  let tensor: tf.Tensor2D | undefined;
  if (tf.getBackend() === 'wasm') {
    // memory on the heap, not written (tf.zeros would upload a zeroed array of the same size)
    const wasm = backend as unknown as WasmBackendLike;
    tensor = tf
      .engine()
      .makeTensorFromTensorInfo(wasm.makeOutput([rows, cols], 'float32')) as tf.Tensor2D;
    target = wasm.typedArrayFromHeap(tensor) as Float32Array;
  } else target = new Float32Array(rows * cols);
  // x·0 is 0 for finite x, NaN for NaN and ±∞ (and for finite doubles beyond float32's range)
  let zero = 0;
  for (let i = 0; i < rows * cols; i++) {
    const v = Math.fround(values[i]!);
    target[i] = v;
    zero += v * 0;
  }
  return { tensor: tensor ?? tf.tensor2d(target, [rows, cols]), finite: zero === 0 };
}

/**
 * A float32 tensor's values without a copy where the backend allows it (a view of the wasm
 * backend's heap, valid until the next allocation there; the cpu backend's own array), else read
 * with `dataSync`. For one pass over the values, right away.
 *
 * @internal
 */
export function tensorValues(t: tf.Tensor): Float32Array {
  const backend = tf.backend();
  if (tf.getBackend() === 'wasm' && t.dtype === 'float32' && heldBy(backend, t))
    return (backend as unknown as WasmBackendLike).typedArrayFromHeap(t) as Float32Array;
  return t.dataSync() as Float32Array;
}

/** Whether `backend` holds the tensor's data (a tensor made on another backend moves on first use). */
function heldBy(backend: unknown, t: tf.Tensor): boolean {
  return (
    (backend as { dataIdMap?: { has(id: object): boolean } }).dataIdMap?.has(t.dataId) === true
  );
}
