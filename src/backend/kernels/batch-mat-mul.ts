/**
 * `BatchMatMul` without slow transposed products: the wasm backend multiplies untransposed
 * operands at ~34 GFLOP/s here but `transposeA` at ~1.7 and `transposeB` at ~3.4, and every dense
 * layer's backward pass asks for a transposed operand. Transposing explicitly (a copy) and calling
 * the untransposed product is far faster. The product itself is the SIMD gemm of `simd.ts` for a
 * single float32 pair: XNNPACK packs its right operand again for every new tensor, which in a
 * training step is every product (7–33 GFLOP/s for 64-row products here, the gemm ~40).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';
import { accessFor } from './js-access.js';
import { heapOffset, simdFor } from './simd.js';

function swapLastTwo(rank: number): number[] {
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

/** Builds the kernel function for `backendName`. @internal */
export function batchMatMulTransposeFree(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as KernelBackend;
    const { a, b: bIn } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return product(backendName, backend, a, bIn);
    const transpose = (x: tf.TensorInfo) =>
      callKernel('Transpose', backendName, b, { x }, { perm: swapLastTwo(x.shape.length) });
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
 * The untransposed product: the SIMD gemm for one float32 matrix pair on wasm (edge rows and
 * columns in JavaScript, with the same float32 order), else the backend's own BatchMatMul.
 */
function product(
  backendName: string,
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
): tf.TensorInfo {
  const [batchA, M, K] = a.shape as [number, number, number];
  const [batchB, , N] = b.shape as [number, number, number];
  const loops =
    backendName === 'wasm' &&
    a.shape.length === 3 &&
    batchA === 1 &&
    batchB === 1 &&
    a.dtype === 'float32' &&
    b.dtype === 'float32'
      ? simdFor(backend)
      : undefined;
  if (!loops)
    return callKernel(
      'BatchMatMul',
      backendName,
      backend as KernelBackend,
      { a, b },
      { transposeA: false, transposeB: false },
    );
  // every element is written below: the gemm's blocks, then the edges
  const {
    out,
    outValues: c,
    values,
  } = accessFor(backendName, backend).output([1, M, N], [a, b], false);
  const [av, bv] = values as [Float32Array, Float32Array];
  const M4 = M - (M % 4);
  const N8 = N - (N % 8);
  if (M4 > 0 && N8 > 0)
    loops.gemm(
      heapOffset(backend, a),
      heapOffset(backend, b),
      heapOffset(backend, out),
      M4,
      K,
      N8,
      4 * N,
    );
  // the edges: rows M4… (every column) and columns N8… (the other rows)
  for (let i = 0; i < M; i++)
    for (let j = i < M4 ? N8 : 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s = Math.fround(s + Math.fround(av[i * K + k]! * bv[k * N + j]!));
      c[i * N + j] = s;
    }
  return out;
}
