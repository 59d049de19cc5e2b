/**
 * The relaxed-SIMD loops (`f32x4.relaxed_madd`) against the plain SIMD loops and a float64
 * reference: every entry of the gemm, of `rowDots` (a matrix times a vector) and of `scaledRows`
 * (a vector times a matrix) within the bound of fused rounding, |Δ| ≤ 2K·2⁻²⁴·Σ|aₖbₖ|. Runs where
 * the runtime validates relaxed SIMD (Node 22+, Deno, Chromium; CI runs it on Node 24 and
 * Deno); on Node 20 it checks that the plain gemm stays in use. And the plain gemm: each entry the
 * float32 sum with k in order, bit for bit, also when K is split into chunks; `rowDots` and
 * `scaledRows`, plain and relaxed: rows taken four at a time give each row's (or column's) sums
 * of one row at a time, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import {
  allowRelaxedSimd,
  hasRelaxedSimd,
  simdForMemory,
  simdModuleBytes,
} from '../../src/backend/kernels/simd/modules.js';
import { Random } from '../../src/core/index.js';

const relaxed = hasRelaxedSimd();

/** A seeded product on a fresh memory, with the loops the current setting gives. */
function product(M: number, K: number, N: number, seed: number) {
  const memory = new WebAssembly.Memory({ initial: 128 });
  const loops = simdForMemory(memory)!;
  const f32 = new Float32Array(memory.buffer);
  const random = new Random(seed);
  const b = M * K * 4;
  const c = b + K * N * 4;
  for (let i = 0; i < M * K + K * N; i++) f32[i] = random.normal(0, 1);
  loops.gemm(0, b, c, M, K, N, N * 4);
  return {
    A: f32.slice(0, M * K),
    B: f32.slice(M * K, M * K + K * N),
    C: f32.slice(c / 4, c / 4 + M * N),
  };
}

/**
 * A fused loop's sum of K terms `term(0 … K − 1)` within the bound of fused rounding,
 * 2K·2⁻²⁴·Σ|terms|, of the plain loop's and of the float64 sum.
 */
function expectWithinFusedBound(
  fused: number,
  plain: number,
  K: number,
  term: (k: number) => number,
): void {
  let exact = 0;
  let magnitude = 0;
  for (let k = 0; k < K; k++) {
    const t = term(k);
    exact += t;
    magnitude += Math.abs(t);
  }
  const bound = 2 * K * 2 ** -24 * magnitude;
  expect(Math.abs(fused - plain)).toBeLessThanOrEqual(bound);
  expect(Math.abs(fused - exact)).toBeLessThanOrEqual(bound);
}

describe('the plain SIMD gemm', () => {
  it('sums every entry k in order in float32, across chunks of K (bit for bit)', () => {
    // K in chunks whose rows of B fit 512 KB: 1,501 columns of 1 KB rows make chunks of 512, 512
    // and 477; 40,001 of 32 bytes make chunks of 16,384 and an odd remainder
    allowRelaxedSimd(false);
    for (const [M, K, N, seed] of [
      [8, 1501, 256, 5],
      [4, 40001, 8, 6],
      [12, 130, 16, 7],
    ] as const) {
      const { A, B, C } = product(M, K, N, seed);
      const f = Math.fround;
      for (let i = 0; i < M; i++)
        for (let j = 0; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++) s = f(s + f(A[i * K + k]! * B[k * N + j]!));
          expect(C[i * N + j]).toBe(s);
        }
    }
    allowRelaxedSimd(true);
  });
});

describe('the relaxed-SIMD gemm', () => {
  it.skipIf(!relaxed)(
    'stays within the bound of fused rounding of the plain gemm and of float64',
    () => {
      for (const [M, K, N, seed] of [
        [4, 1, 8, 1],
        [8, 37, 16, 2],
        [12, 300, 24, 3],
        [64, 257, 64, 4],
        [8, 1501, 256, 8],
      ] as const) {
        allowRelaxedSimd(true);
        const fused = product(M, K, N, seed);
        allowRelaxedSimd(false);
        const plain = product(M, K, N, seed);
        allowRelaxedSimd(true);
        expect(fused.A).toEqual(plain.A);
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++)
            expectWithinFusedBound(
              fused.C[i * N + j]!,
              plain.C[i * N + j]!,
              K,
              (k) => fused.A[i * K + k]! * fused.B[k * N + j]!,
            );
      }
    },
  );

  it.skipIf(!relaxed)(
    "runs blocks of 6 rows and then of 4: every row the 4-row loop's sums, bit for bit",
    () => {
      // the relaxed module's own 4-row loop on the same memory is the reference: each entry is
      // the same chain of fused multiply-adds, k in order, whichever block holds its row
      allowRelaxedSimd(true);
      for (const [M, K, N] of [
        [4, 33, 16],
        [8, 33, 16],
        [12, 64, 8],
        [16, 5, 24],
        [20, 130, 16],
        [64, 257, 64],
      ] as const) {
        const memory = new WebAssembly.Memory({ initial: 16 });
        const f32 = new Float32Array(memory.buffer);
        const random = new Random(M + K);
        // C poisoned with NaN (every entry must be written), then a guard row of 7s after it
        // (nothing past C may be), then the reference
        const [b, c] = [M * K * 4, (M * K + K * N) * 4];
        const guard = c / 4 + M * N;
        const ref = (guard + N) * 4;
        for (let i = 0; i < M * K + K * N; i++) f32[i] = random.normal(0, 1);
        f32.fill(Number.NaN, c / 4, guard);
        f32.fill(7, guard, guard + N);
        simdForMemory(memory)!.gemm(0, b, c, M, K, N, N * 4);
        const gemm4 = new WebAssembly.Instance(
          new WebAssembly.Module(simdModuleBytes(false, 0, true)),
          { env: { memory } },
        ).exports.gemm as (...args: number[]) => void;
        gemm4(0, b, ref, M, K, N, N * 4);
        const tall = f32.slice(c / 4, guard);
        expect(tall.every((x) => Number.isFinite(x))).toBe(true);
        expect(f32.slice(guard, guard + N).every((x) => x === 7)).toBe(true);
        expect(tall).toEqual(f32.slice(ref / 4, ref / 4 + M * N));
      }
    },
  );

  it.skipIf(relaxed)('is not used where the runtime lacks relaxed SIMD; the plain gemm is', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    expect(simdForMemory(memory)?.gemm).toBeTypeOf('function');
  });
});

/** `rowDots` and `scaledRows` with the current setting's loops on a fresh memory. */
function rowLoops(rows: number, K: number, seed: number) {
  const memory = new WebAssembly.Memory({ initial: 16 });
  const loops = simdForMemory(memory)!;
  const f32 = new Float32Array(memory.buffer);
  const random = new Random(seed);
  // A [rows × K], a vector of K (rowDots) and one of rows (scaledRows), then the outputs
  const [v, w, dots, sums] = [rows * K, rows * K + K, rows * K + K + rows, rows * K + K + 2 * rows];
  for (let i = 0; i < sums; i++) f32[i] = random.normal(0, 1);
  const at = (i: number) => 4 * i;
  /** All rows at once, then each row alone (into the second half of the outputs). */
  loops.rowDots(0, at(v), at(dots), rows, 4 * K, 4 * K);
  f32.fill(0, sums, sums + 2 * K);
  loops.scaledRows(0, 4 * K, at(sums), 0, at(w), rows, 4 * K);
  const single = { dots: new Float32Array(rows), sums: new Float32Array(K) };
  for (let i = 0; i < rows; i++) {
    loops.rowDots(at(i * K), at(v), at(sums + 2 * K), 1, 4 * K, 4 * K);
    single.dots[i] = f32[sums + 2 * K]!;
    loops.scaledRows(at(i * K), 4 * K, at(sums + K), 0, at(w + i), 1, 4 * K);
  }
  single.sums.set(f32.subarray(sums + K, sums + 2 * K));
  return {
    A: f32.slice(0, rows * K),
    v: f32.slice(v, v + K),
    w: f32.slice(w, w + rows),
    dots: f32.slice(dots, dots + rows),
    sums: f32.slice(sums, sums + K),
    single,
  };
}

describe.each([false, true])('rowDots and scaledRows (relaxed SIMD: %s)', (fused) => {
  it.skipIf(fused && !relaxed)(
    'four rows at a time give the sums of one row at a time, bit for bit',
    () => {
      allowRelaxedSimd(fused);
      // 11 rows: two groups of four, then three one by one
      for (const [rows, K, seed] of [
        [11, 64, 1],
        [4, 8, 2],
        [3, 200, 3],
      ] as const) {
        const r = rowLoops(rows, K, seed);
        expect(r.dots).toEqual(r.single.dots);
        expect(r.sums).toEqual(r.single.sums);
      }
      allowRelaxedSimd(true);
    },
  );

  it.skipIf(!fused || !relaxed)(
    'stay within the bound of fused rounding of the plain loops and of float64',
    () => {
      for (const [rows, K, seed] of [
        [11, 64, 4],
        [40, 1000, 5],
      ] as const) {
        allowRelaxedSimd(true);
        const f = rowLoops(rows, K, seed);
        allowRelaxedSimd(false);
        const p = rowLoops(rows, K, seed);
        allowRelaxedSimd(true);
        expect(f.A).toEqual(p.A);
        for (let i = 0; i < rows; i++)
          expectWithinFusedBound(f.dots[i]!, p.dots[i]!, K, (k) => f.A[i * K + k]! * f.v[k]!);
        for (let k = 0; k < K; k++)
          expectWithinFusedBound(f.sums[k]!, p.sums[k]!, rows, (i) => f.w[i]! * f.A[i * K + k]!);
      }
    },
  );
});
