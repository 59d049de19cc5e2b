/**
 * `BatchMatMul` without slow transposed products: the wasm backend multiplies untransposed
 * operands at ~34 GFLOP/s here but `transposeA` at ~1.7 and `transposeB` at ~3.4, and every dense
 * layer's backward pass asks for a transposed operand. Transposing explicitly (a copy) and calling
 * the untransposed product is far faster.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';

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
    if (!transposeA && !transposeB)
      return callKernel('BatchMatMul', backendName, b, { a, b: bIn }, attrs as never);
    const aa = transposeA
      ? callKernel('Transpose', backendName, b, { x: a }, { perm: swapLastTwo(a.shape.length) })
      : a;
    const bb = transposeB
      ? callKernel('Transpose', backendName, b, { x: bIn }, { perm: swapLastTwo(bIn.shape.length) })
      : bIn;
    const out = callKernel(
      'BatchMatMul',
      backendName,
      b,
      { a: aa, b: bb },
      { transposeA: false, transposeB: false },
    );
    if (transposeA) release(b, aa);
    if (transposeB) release(b, bb);
    return out;
  };
}
