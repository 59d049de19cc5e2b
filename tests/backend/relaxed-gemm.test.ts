/**
 * The relaxed-SIMD gemm (`f32x4.relaxed_madd`) against the plain SIMD gemm and a float64
 * reference: every entry within the bound of fused rounding, |Δ| ≤ 2K·2⁻²⁴·Σ|aₖbₖ|. Runs where
 * the runtime validates relaxed SIMD (Node 22+, Deno, Chromium; CI runs it on Node 24 and
 * Deno); on Node 20 it checks that the plain gemm stays in use. And the plain gemm: each entry the
 * float32 sum with k in order, bit for bit, also when K is split into chunks.
 */
import { describe, expect, it } from 'vitest';
import {
  allowRelaxedSimd,
  hasRelaxedSimd,
  simdForMemory,
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
          for (let j = 0; j < N; j++) {
            let exact = 0;
            let magnitude = 0;
            for (let k = 0; k < K; k++) {
              const t = fused.A[i * K + k]! * fused.B[k * N + j]!;
              exact += t;
              magnitude += Math.abs(t);
            }
            const bound = 2 * K * 2 ** -24 * magnitude;
            const f = fused.C[i * N + j]!;
            const p = plain.C[i * N + j]!;
            expect(Math.abs(f - p)).toBeLessThanOrEqual(bound);
            expect(Math.abs(f - exact)).toBeLessThanOrEqual(bound);
          }
      }
    },
  );

  it.skipIf(relaxed)('is not used where the runtime lacks relaxed SIMD; the plain gemm is', () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    expect(simdForMemory(memory)?.gemm).toBeTypeOf('function');
  });
});
