/**
 * Large float32 matrices on the wasm backend, used where they lie:
 *
 * - {@link matrixPass}: one pass over a matrix for the two products of a gradient step, u = A·v
 *   and then g = Aᵀ·w(u). The matrix is read in blocks of rows, each block's dot products with v
 *   computed (SIMD `rowDots`), the caller turning them into weights for those rows, and the
 *   block, still in cache, scaled by the weights and added into g (SIMD `scaledRows`). Two matrix
 *   products as tfjs ops read the matrix from memory twice; for a matrix far larger than the
 *   cache (a genotype design of 2,000 × 10,000 values is 80 MB) that read is the whole cost.
 *   Each loop runs over the block's columns in chunks (a fixed number for the matrix's width):
 *   a row's dots are the chunks' float32 sums added in chunk order. Where a helper thread runs
 *   (`useWasmThreads` with two threads or more, see `pass-helper.ts`) and the matrix has a
 *   million values or more, the two threads take the chunks of each loop between them as fast as
 *   they go; the results are those of one thread, bit for bit.
 * - {@link float32Tensor2d}: a double-precision matrix written straight into a new tensor's heap
 *   memory (by the SIMD `narrow` loop on the wasm backend), its finiteness checked on the way.
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
import { type SimdLoops, simdFor } from './kernels/simd/modules.js';
import { type ChunkedJob, inHalves, MAX_CHUNKS, passHelperFor, runChunk } from './pass-helper.js';

/**
 * A block's bytes: 52 rows of 10,000 floats (2 MB), of which each of two threads reads about
 * half, stay in a core's cache between the two loops. The same with a helper or without, so that
 * the columns past the SIMD loops' widths are summed the same way.
 */
const BLOCK_BYTES = 1 << 21;
/** The fewest columns a chunk has (up to {@link MAX_CHUNKS} chunks). */
const CHUNK_COLUMNS = 2048;
/** The design size (values) from which a pass is split with a helper thread where one runs. */
const SPLIT_FROM = 1 << 20;

/** A pass over one matrix; see {@link matrixPass}. @internal */
export interface MatrixPass {
  /**
   * For K vectors v_k (`v[k·stride + j]`, j < cols) and the rows in blocks: the dots
   * d[i·K + k] = A[i]·v_k (float32) go to `weigh(i0, i1, dots)`, which returns the weights
   * w[i·K + k] of rows i0 … i1 − 1 (row-major, as the dots); then
   * `out[k·stride + j] += Σ_i w[i·K + k]·A[i][j]` (float32 sums, added into `out` at the end).
   * K and stride default to 1 and cols. A vector of zeros gets dots of +0 without a sweep of
   * the matrix (which must be finite: its dots would otherwise be ±0).
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
  // the chunks' bounds (multiples of 8; scaledRows' last chunk also takes K8 … K4)
  const C = Math.max(1, Math.min(MAX_CHUNKS, Math.floor(K8 / CHUNK_COLUMNS)));
  const dotBounds = Array.from({ length: C + 1 }, (_, c) => 8 * Math.round((c * K8) / 8 / C));
  const sumBounds = [...dotBounds.slice(0, C), K4];
  // a second thread, where one is running (with the same loops: the relaxed-SIMD ones where this
  // thread's are) and the design is large enough to be worth it
  const running = rows * cols >= SPLIT_FROM ? passHelperFor(wasmMemoryOf(backend)) : undefined;
  const helper = running && (running.relaxed || !loops.relaxed) ? running : undefined;
  const block = Math.max(1, Math.min(rows, Math.floor(BLOCK_BYTES / (4 * cols))));
  /** Runs a chunked loop: on both threads, or on this one chunk after chunk. */
  const share = (job: ChunkedJob) => {
    if (helper) return helper.share(job, loops);
    const { loop, a, rowBytes, x, out, rows: n, outBytes, bounds } = job;
    for (let c = 0; c < bounds.length - 1; c++)
      runChunk(loops, loop, a, rowBytes, x, out, n, outBytes, bounds[c]!, bounds[c + 1]!, c);
  };
  // working memory on the backend's heap, per vector: v, the block's dots by chunk, its
  // weights, g
  const per = 2 * cols + (C + 1) * block + 8;
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
      // float offsets in `m` of vector k's regions: v, the block's dots (C chunks), its
      // weights, g
      const v0 = (k: number) => k * per;
      const d0 = (k: number) => v0(k) + cols;
      const r0 = (k: number) => d0(k) + C * block;
      const g0 = (k: number) => r0(k) + block;
      const ptr = (at: number) => m0 + 4 * at;
      // a vector of zeros (a solver's first evaluation from zero) has dots of zero: its sweep
      // of the matrix is left out
      const zero = new Uint8Array(K);
      for (let k = 0; k < K; k++) {
        copyInto(m, v0(k), v, k * stride, cols);
        m.fill(0, g0(k), g0(k) + cols);
        zero[k] = allZero(v, k * stride, cols) ? 1 : 0;
      }
      for (let i0 = 0; i0 < rows; i0 += block) {
        const n = Math.min(block, rows - i0);
        const row0 = i0 * cols;
        const rowsAt = { a: a0 + 4 * row0, rowBytes: 4 * cols, rows: n };
        for (let k = 0; k < K; k++) {
          const [vk, dk] = [v0(k), d0(k)];
          if (zero[k]) {
            for (let i = 0; i < n; i++) dots[i * K + k] = 0;
            continue;
          }
          share({
            loop: 0,
            ...rowsAt,
            x: ptr(vk),
            out: ptr(dk),
            outBytes: 4 * block,
            bounds: dotBounds,
          });
          blockDots(m, dk, block, C, n, a, row0, cols, K8, vk, dots, K, k);
        }
        const w = weigh(i0, i0 + n, dots.subarray(0, n * K));
        for (let k = 0; k < K; k++) {
          const rk = r0(k);
          copyInto(m, rk, w, k, n, K);
          share({
            loop: 1,
            ...rowsAt,
            x: ptr(rk),
            out: ptr(g0(k)),
            outBytes: 0,
            bounds: sumBounds,
          });
          tailSums(m, rk, n, a, row0, cols, K4, out, k * stride);
        }
      }
      for (let k = 0; k < K; k++) addInto(out, k * stride, m, g0(k), K4);
    },
    dispose() {
      work.dispose();
    },
  };
}

// The pass's loops over a block in JavaScript, each a small function of its own: V8 optimises a
// small function once, where a long one with many loops is recompiled for each hot loop it
// enters (on-stack replacement), on a background thread that takes a core from the SIMD loops.

/** m[at + j] = values[from + j·step] for j < n (rounded to float32). */
function copyInto(
  m: Float32Array,
  at: number,
  values: ArrayLike<number>,
  from: number,
  n: number,
  step = 1,
): void {
  for (let j = 0; j < n; j++) m[at + j] = values[from + j * step]!;
}

/**
 * The block's dots for vector k: each row's C chunk sums (at m[dk + c·block + i]) added in
 * order, then the columns past K8, into dots[i·K + k].
 */
function blockDots(
  m: Float32Array,
  dk: number,
  block: number,
  C: number,
  n: number,
  a: Float32Array,
  row0: number,
  cols: number,
  K8: number,
  vk: number,
  dots: Float32Array,
  K: number,
  k: number,
): void {
  for (let i = 0; i < n; i++) {
    let s = m[dk + i]!;
    for (let c = 1; c < C; c++) s = Math.fround(s + m[dk + c * block + i]!);
    const r = row0 + i * cols;
    for (let c = K8; c < cols; c++) s = Math.fround(s + Math.fround(a[r + c]! * m[vk + c]!));
    dots[i * K + k] = s;
  }
}

/** out[at + c] += Σ_i m[rk + i]·A[i][c] over the block's n rows, for the columns past K4. */
function tailSums(
  m: Float32Array,
  rk: number,
  n: number,
  a: Float32Array,
  row0: number,
  cols: number,
  K4: number,
  out: Float64Array,
  at: number,
): void {
  for (let c = K4; c < cols; c++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += m[rk + i]! * a[row0 + i * cols + c]!;
    out[at + c]! += s;
  }
}

/** Whether values[from + j] is 0 for every j < n. */
function allZero(values: ArrayLike<number>, from: number, n: number): boolean {
  for (let j = 0; j < n; j++) if (values[from + j] !== 0) return false;
  return true;
}

/** out[at + j] += m[from + j] for j < n. */
function addInto(out: Float64Array, at: number, m: Float32Array, from: number, n: number): void {
  for (let j = 0; j < n; j++) out[at + j]! += m[from + j]!;
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
  const loops = tf.getBackend() === 'wasm' ? simdFor(backend) : undefined;
  if (loops) return narrowOnHeap(backend as unknown as WasmBackendLike, loops, values, rows, cols);
  const target = new Float32Array(rows * cols);
  const zero = narrowInto(values, target, 0, values.length);
  return { tensor: tf.tensor2d(target, [rows, cols]), finite: zero === 0 };
}

/**
 * target[i] = fround(values[i]) for i in [from, to), and Σ target[i]·0: 0 while every rounded
 * value is finite, NaN once one is not (x·0 is NaN for NaN and ±∞, which a finite double beyond
 * float32's range becomes).
 */
function narrowInto(values: Float64Array, target: Float32Array, from: number, to: number): number {
  let zero = 0;
  for (let i = from; i < to; i++) {
    const v = Math.fround(values[i]!);
    target[i] = v;
    zero += v * 0;
  }
  return zero;
}

/** Doubles a stage of the conversion on the heap holds (128 KB: a core's cache). */
const STAGE = 1 << 14;

/**
 * {@link float32Tensor2d} on the wasm backend with the library's SIMD loops: the tensor's memory
 * allocated on the heap and not zeroed, the doubles copied a stage at a time into a small region
 * of the heap (a plain copy of the same type), and rounded from there into the tensor by the SIMD
 * `narrow` loop, which checks their finiteness on the way: about half the time of rounding them
 * one by one in JavaScript. Where a helper thread runs, it rounds the stages it is free for.
 */
function narrowOnHeap(
  wasm: WasmBackendLike,
  loops: SimdLoops,
  values: Float64Array,
  rows: number,
  cols: number,
): { tensor: tf.Tensor2D; finite: boolean } {
  const tensor = tf
    .engine()
    .makeTensorFromTensorInfo(wasm.makeOutput([rows, cols], 'float32')) as tf.Tensor2D;
  const memory = wasmMemoryOf(wasm)!;
  const total = rows * cols;
  // with a helper thread: each stage goes to the helper when it is free, and is rounded here
  // otherwise (both threads then take page faults of the tensor's fresh memory); the helper
  // holds one of two stage buffers at a time, and this thread copies into the other
  const helper = total >= SPLIT_FROM ? passHelperFor(memory) : undefined;
  const stages = helper ? 2 : 1;
  // the stages (two floats a double, one more for 8-byte alignment) and four finiteness sums for
  // each thread
  const stage = tf.zeros([stages * 2 * STAGE + 1 + 4 * stages], 'float32');
  try {
    const t0 = heapOffset(wasm, tensor);
    const s0 = heapOffset(wasm, stage);
    const at = s0 + (s0 % 8);
    const flags = at + 8 * stages * STAGE; // this thread's, then the helper's
    // views made after the allocations (which may grow the heap and detach older views)
    const doubles = Array.from(
      { length: stages },
      (_, b) => new Float64Array(memory.buffer, at + 8 * b * STAGE, STAGE),
    );
    const target = wasm.typedArrayFromHeap(tensor) as Float32Array;
    let zero = 0;
    let held = -1; // the buffer the helper rounds from
    for (let i0 = 0; i0 < total; i0 += STAGE) {
      const n = Math.min(STAGE, total - i0);
      const n4 = n - (n % 4);
      const b = held === 0 ? 1 : 0;
      doubles[b]!.set(values.subarray(i0, i0 + n4));
      const [from, to, bytes] = [at + 8 * b * STAGE, t0 + 4 * i0, 4 * n4];
      if (helper?.idle()) {
        helper.start('narrow', [from, to, bytes, flags + 16]);
        held = b;
      } else loops.narrow(from, to, bytes, flags);
      zero += narrowInto(values, target, i0 + n4, i0 + n);
    }
    helper?.wait();
    const sums = new Float32Array(memory.buffer, flags, 4 * stages);
    return { tensor, finite: zero === 0 && sums.every((f) => f === 0) };
  } finally {
    stage.dispose();
  }
}

/**
 * Whether every value of the float32 tensor `t` is finite: on the wasm backend one SIMD pass
 * over its memory (`finite32`, the first half on the helper thread where one runs and the tensor
 * has a million values or more), elsewhere a loop over its values. A design given as a tensor is
 * checked before a fit; the JavaScript loop took ~40 ms for 20 million values.
 *
 * @internal
 */
export function allFinite(t: tf.Tensor): boolean {
  const backend = tf.backend();
  const loops =
    tf.getBackend() === 'wasm' && t.dtype === 'float32' && heldBy(backend, t)
      ? simdFor(backend)
      : undefined;
  if (!loops) return finiteSum(tensorValues(t), 0, t.size) === 0;
  const n = t.size;
  const n8 = n - (n % 8);
  const helper = n8 >= SPLIT_FROM ? passHelperFor(wasmMemoryOf(backend)) : undefined;
  // this thread's four sums, then the helper's
  const flags = tf.zeros([8], 'float32');
  try {
    const x0 = heapOffset(backend, t);
    const f0 = heapOffset(backend, flags);
    // in groups of 32 bytes (the loop's step)
    inHalves(helper, 'finite32', loops.finite32, n8 / 8, (from, count, onHelper) => [
      x0 + 32 * from,
      0,
      onHelper ? f0 + 16 : f0,
      32 * count,
      0,
    ]);
    const sums = (backend as unknown as WasmBackendLike).typedArrayFromHeap(flags) as Float32Array;
    const values = tensorValues(t);
    return sums.every((f) => f === 0) && finiteSum(values, n8, n) === 0;
  } finally {
    flags.dispose();
  }
}

/**
 * Σ values[i]·0 for i in [from, to): 0 while every value is finite, NaN once one is not (one
 * branch-free pass). @internal
 */
export function finiteSum(values: ArrayLike<number>, from: number, to: number): number {
  let zero = 0;
  for (let i = from; i < to; i++) zero += values[i]! * 0;
  return zero;
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
