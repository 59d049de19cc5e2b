/**
 * log σ(z) and its gradient as one kernel call each (`MedkitLogSigmoid`, `MedkitLogSigmoidGrad`)
 * on cpu and wasm. The losses compose log σ(z) = −(max(−z, 0) + log1p(e^−|z|)) of fourteen
 * engine calls and its gradient dy · σ(−z) of three; on a batch of logits (a GAN's critic
 * scores, a classifier's outputs) the engine's bookkeeping costs more than the arithmetic. These
 * kernels run the same registered kernels in the same order at the TensorInfo level, so the
 * values are the composition's bit for bit (NaN and ±∞ included); only the dispatch goes.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callRegistered, type Inputs, type KernelBackend, release } from '../kernel-calls.js';
import { accessFor } from './js-access.js';

/** Runs registered kernels of one backend, releasing each intermediate result once used. */
class Calls {
  private readonly temporaries: tf.TensorInfo[] = [];

  constructor(
    private readonly backendName: string,
    private readonly backend: unknown,
  ) {}

  /** The registered kernel `name` on `inputs`; its result is released by {@link done}. */
  run(name: string, inputs: Inputs): tf.TensorInfo {
    const out = callRegistered(name, this.backendName, this.backend, inputs);
    this.temporaries.push(out);
    return out;
  }

  /** A float32 scalar, as tfjs-core makes one of a number operand (released by {@link done}). */
  scalar(value: number): tf.TensorInfo {
    const { out, outValues } = accessFor(this.backendName, this.backend).output([], [], false);
    outValues[0] = value;
    this.temporaries.push(out);
    return out;
  }

  /** Releases every intermediate result but `result`, and returns it. */
  done(result: tf.TensorInfo): tf.TensorInfo {
    for (const t of this.temporaries) if (t !== result) release(this.backend as KernelBackend, t);
    return result;
  }
}

/**
 * Builds `MedkitLogSigmoid` for `backendName`: −(relu(−z) + log1p(exp(−|z|))), log1p(x) as
 * where(u − 1 = 0, x, log(u) · (x / (u − 1))) with u = x + 1, kernel for kernel the losses'
 * composition. @internal
 */
export function logSigmoidKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { z } = inputs as { z: tf.TensorInfo };
    const k = new Calls(backendName, backend);
    const positivePart = k.run('Relu', { x: k.run('Neg', { x: z }) });
    const x = k.run('Exp', { x: k.run('Neg', { x: k.run('Abs', { x: z }) }) });
    const u = k.run('Add', { a: x, b: k.scalar(1) });
    const d = k.run('Sub', { a: u, b: k.scalar(1) });
    const log1p = k.run('Select', {
      condition: k.run('Equal', { a: d, b: k.scalar(0) }),
      t: x,
      e: k.run('Multiply', { a: k.run('Log', { x: u }), b: k.run('RealDiv', { a: x, b: d }) }),
    });
    return k.done(k.run('Neg', { x: k.run('Add', { a: positivePart, b: log1p }) }));
  };
}

/** Builds `MedkitLogSigmoidGrad` for `backendName`: dy · sigmoid(−z). @internal */
export function logSigmoidGradKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend }) => {
    const { dy, z } = inputs as { dy: tf.TensorInfo; z: tf.TensorInfo };
    const k = new Calls(backendName, backend);
    const s = k.run('Sigmoid', { x: k.run('Neg', { x: z }) });
    return k.done(k.run('Multiply', { a: dy, b: s }));
  };
}
