/**
 * Running `segmentGemm` on the wasm backend's heap: its tables and parameter block written into
 * a tensor of the backend's, the segments taken in chunks whose rows of B stay in a core's cache,
 * and the rows shared with the helper thread where `useWasmThreads` started one (it takes the
 * first rows, a multiple of 6 in relaxed SIMD, of 4 otherwise; every entry the same sum whoever
 * computes it).
 *
 * @module
 */
import { type KernelBackend, release } from '../kernel-calls.js';
import { passHelperFor } from '../pass-helper.js';
import { accessFor, heapOffset, wasmMemoryOf } from './js-access.js';
import { SEGMENT_GEMM_PARAM_BYTES, SEGMENT_GEMM_PARAMS } from './segment-gemm.loops.js';
import type { SimdLoops } from './simd/modules.js';

/** Bytes of B's rows one chunk of segments reads. */
const CHUNK_BYTES = 1 << 19;

/** A product for {@link segmentProduct}; offsets in bytes, pointers into the backend's heap. */
export interface SegmentProduct {
  /** A's base pointer. */
  a: number;
  /** Each row's offset from `a` (M rows, M a multiple of 4). */
  rowOffsets: ArrayLike<number>;
  /** Each segment's offset, added to every row's. */
  segmentOffsets: ArrayLike<number>;
  /** The floats in a segment's run (B's rows per segment). */
  run: number;
  /** B, [segments · run × N]; C, [M × N]: pointers. N a multiple of 8. */
  b: number;
  c: number;
  N: number;
}

/**
 * C = the segmented product (see `segment-gemm.loops.ts`), written over C (every entry).
 * @internal
 */
export function segmentProduct(
  backendName: string,
  backend: unknown,
  loops: SimdLoops,
  p: SegmentProduct,
): void {
  const M = p.rowOffsets.length;
  const segments = p.segmentOffsets.length;
  const words = M + segments + SEGMENT_GEMM_PARAM_BYTES / 4;
  const tables = accessFor(backendName, backend).output([words], [], false);
  const memory = wasmMemoryOf(backend)!;
  const at = heapOffset(backend, tables.out);
  const table = new Int32Array(memory.buffer, at, words);
  table.set(p.rowOffsets);
  table.set(p.segmentOffsets, M);
  const params = at + 4 * (M + segments);
  const field = (name: keyof typeof SEGMENT_GEMM_PARAMS, value: number) => {
    table[M + segments + SEGMENT_GEMM_PARAMS[name] / 4] = value;
  };
  field('a', p.a);
  field('rowBase', at);
  field('segmentLength', p.run);
  field('c', p.c);
  field('N', p.N);
  field('ld', 4 * p.N);
  // the helper's rows: about half, a multiple of 12 in relaxed SIMD (its blocks of 6, leaving
  // this thread a multiple of 4), of 4 otherwise; it runs the same loop as this thread or none
  const helper = passHelperFor(memory);
  const tall = loops.relaxed;
  const shared = helper && (!tall || (helper.relaxed && loops.segmentGemm6 !== undefined));
  const split = shared ? Math.floor(M / (tall ? 24 : 8)) * (tall ? 12 : 4) : 0;
  const perChunk = Math.max(1, Math.floor(CHUNK_BYTES / (4 * p.N * p.run)));
  for (let s0 = 0; s0 < segments; s0 += perChunk) {
    field('segmentOffsets', at + 4 * (M + s0));
    field('segments', Math.min(perChunk, segments - s0));
    field('b', p.b + 4 * p.N * p.run * s0);
    field('first', s0 === 0 ? 1 : 0);
    if (split > 0) helper!.start(tall ? 'segmentGemm6' : 'segmentGemm', [params, 0, split]);
    loops.segmentGemm(params, split, M);
    if (split > 0) helper!.wait();
  }
  release(backend as KernelBackend, tables.out);
}
