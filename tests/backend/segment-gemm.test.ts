/**
 * The segmented product (`segmentGemm`): the plain loop's every entry the float32 sum over its
 * segments' runs, k in order, bit for bit, for odd and even run lengths, a range of the rows, sums
 * started from zero or continued from C; the relaxed loop (blocks of 6 rows, then of 4) and its
 * blocks of 6 alone bit for bit the relaxed gemm on the same rows written out as a matrix (the
 * same fused sums).
 */
import { describe, expect, it } from 'vitest';
import {
  SEGMENT_GEMM_PARAM_BYTES,
  SEGMENT_GEMM_PARAMS,
} from '../../src/backend/kernels/segment-gemm.loops.js';
import { allowRelaxedSimd, simdForMemory } from '../../src/backend/kernels/simd/modules.js';
import { Random } from '../../src/core/random.js';

/** Byte offsets of the test's regions in a 256 KB memory. */
const AT = {
  a: 1024,
  rowBase: 20480,
  segOff: 20736,
  b: 32768,
  c: 131072,
  params: 200000,
  panel: 16384,
};

/** A case written into a fresh memory: A's region, the tables, B and C, and the parameter block. */
function setUp(M: number, L: number, S: number, N: number, seed: number) {
  const memory = new WebAssembly.Memory({ initial: 4 });
  const f32 = new Float32Array(memory.buffer);
  const i32 = new Int32Array(memory.buffer);
  const random = new Random(seed);
  for (let q = 0; q < 3800; q++) f32[AT.a / 4 + q] = random.uniform(-1, 1);
  const rowBase = Array.from({ length: M }, (_, r) => 4 * ((r * 37) % 1500));
  const segOff = Array.from({ length: S }, (_, s) => 4 * (s * 211 + (s % 2)));
  i32.set(rowBase, AT.rowBase / 4);
  i32.set(segOff, AT.segOff / 4);
  const B = Float32Array.from({ length: S * L * N }, () => random.uniform(-1, 1));
  f32.set(B, AT.b / 4);
  const C0 = Float32Array.from({ length: M * N }, () => random.uniform(-1, 1));
  f32.set(C0, AT.c / 4);
  const params = (first: number) => {
    const P = SEGMENT_GEMM_PARAMS;
    const fields: [number, number][] = [
      [P.a, AT.a],
      [P.rowBase, AT.rowBase],
      [P.segmentOffsets, AT.segOff],
      [P.segments, S],
      [P.segmentLength, L],
      [P.b, AT.b],
      [P.c, AT.c],
      [P.N, N],
      [P.ld, 4 * N],
      [P.first, first],
    ];
    for (const [offset, value] of fields) i32[(AT.params + offset) / 4] = value;
  };
  /** A(r, s, k): row r's float k of segment s. */
  const a = (r: number, s: number, k: number) => f32[(AT.a + rowBase[r]! + segOff[s]!) / 4 + k]!;
  return { memory, f32, B, C0, params, a };
}

describe('segmentGemm', () => {
  it('has a parameter block of ten int32 fields', () => {
    expect(SEGMENT_GEMM_PARAM_BYTES).toBe(4 * Object.keys(SEGMENT_GEMM_PARAMS).length);
  });

  it.each([
    [12, 7, 5, 16, 0, 12], // odd runs
    [12, 14, 3, 24, 4, 12], // rows 4…11 only
    [4, 2, 9, 8, 0, 4],
  ])(
    'M %i, runs of %i, %i segments, N %i, rows %i…%i: float32 sums k in order',
    (M, L, S, N, from, to) => {
      const { memory, f32, B, C0, params, a } = setUp(M, L, S, N, 7);
      allowRelaxedSimd(false); // the plain loop (the relaxed one fuses its multiply-adds)
      const loops = simdForMemory(memory)!;
      allowRelaxedSimd(true);
      expect(loops.relaxed).toBe(false);
      for (const first of [1, 0]) {
        f32.set(C0, AT.c / 4);
        params(first);
        loops.segmentGemm(AT.params, from, to);
        const C = f32.slice(AT.c / 4, AT.c / 4 + M * N);
        for (let r = 0; r < M; r++)
          for (let col = 0; col < N; col++) {
            let acc = first ? 0 : C0[r * N + col]!;
            if (r >= from && r < to)
              for (let s = 0; s < S; s++)
                for (let k = 0; k < L; k++)
                  acc = Math.fround(acc + Math.fround(a(r, s, k) * B[(s * L + k) * N + col]!));
            else acc = C0[r * N + col]!;
            expect(C[r * N + col]).toBe(acc);
          }
      }
    },
  );

  it.each([
    [12, 7, 5, 16],
    [16, 14, 3, 24], // blocks of 6, then one of 4
    [8, 3, 4, 8], // two blocks of 4
  ])(
    'relaxed, M %i, runs of %i, %i segments, N %i: the relaxed gemm’s sums bit for bit',
    (M, L, S, N) => {
      const { memory, f32, params, a } = setUp(M, L, S, N, 11);
      const loops = simdForMemory(memory)!;
      if (!loops.relaxed) return; // a runtime without relaxed SIMD (Node 20)
      params(1);
      loops.segmentGemm(AT.params, 0, M);
      const C = f32.slice(AT.c / 4, AT.c / 4 + M * N);
      if (M % 6 === 0) {
        // its blocks of 6 alone (a helper thread's share): the same sums
        f32.fill(0, AT.c / 4, AT.c / 4 + M * N);
        loops.segmentGemm6!(AT.params, 0, M);
        expect(f32.slice(AT.c / 4, AT.c / 4 + M * N)).toEqual(C);
      }
      // the same rows written out as an M × (S·L) matrix, multiplied by the relaxed gemm
      const K = S * L;
      for (let r = 0; r < M; r++)
        for (let s = 0; s < S; s++)
          for (let k = 0; k < L; k++) f32[AT.panel / 4 + r * K + s * L + k] = a(r, s, k);
      loops.gemm(AT.panel, AT.b, AT.c, M, K, N, 4 * N);
      expect(f32.slice(AT.c / 4, AT.c / 4 + M * N)).toEqual(C);
    },
  );
});
