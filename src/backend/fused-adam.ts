/**
 * Adam with one kernel call per variable on the wasm and cpu backends.
 *
 * tf.train.adam issues about a dozen kernels per variable and step (moments, bias corrections,
 * square root, update, three assignments); on wasm each costs some microseconds of dispatch, which
 * dominates small networks (an MLP GAN step makes hundreds of kernel calls), and the cpu backend's
 * element-wise kernels call a closure per element. {@link fusedAdam} returns an `AdamOptimizer`
 * whose update, once {@link registerTrainingKernels} has run, is one `MedkitAdamUpdate` kernel
 * per variable: on wasm a WebAssembly SIMD loop over the backend's memory performing
 * tf.train.adam's float32 operations in the same order, on cpu a loop rounding each of those
 * operations to float32 as the cpu backend does; either way the weights, moments and saved
 * optimizer state are bit for bit those of tf.train.adam (tested). On every other backend it is
 * tf.train.adam.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../core/errors.js';
import { accessFor, heapOffset, type WasmBackendLike } from './kernels/js-access.js';
import { simdFor } from './kernels/simd/modules.js';

/** The name of the fused update kernel (cpu and wasm). */
export const ADAM_UPDATE = 'MedkitAdamUpdate';

/**
 * One Adam step on the cpu backend's arrays: tf.train.adam's ops in its order, each rounded to
 * float32 as the cpu backend stores every op's result (so bit for bit its numbers).
 */
function adamStepJs(
  value: Float32Array,
  gradient: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: [Float32Array, Float32Array, Float32Array],
  accBeta1: number,
  accBeta2: number,
  a: { beta1: number; beta2: number; epsilon: number; learningRate: number },
): void {
  const f = Math.fround;
  const [b1, c1, b2, c2, eps, nlr] = [
    f(a.beta1),
    f(1 - a.beta1),
    f(a.beta2),
    f(1 - a.beta2),
    f(a.epsilon),
    f(-a.learningRate),
  ];
  const [inv1, inv2] = [f(1 - accBeta1), f(1 - accBeta2)];
  const [outValue, outM, outV] = out;
  for (let i = 0; i < value.length; i++) {
    const g = gradient[i]!;
    const m1 = f(f(m[i]! * b1) + f(g * c1));
    const v1 = f(f(v[i]! * b2) + f(f(g * g) * c2));
    outM[i] = m1;
    outV[i] = v1;
    const denominator = f(f(Math.sqrt(f(v1 / inv2))) + eps);
    outValue[i] = f(f(f(f(m1 / inv1) / denominator) * nlr) + value[i]!);
  }
}

/** The `MedkitAdamUpdate` kernel: SIMD on wasm, a loop on cpu. @internal */
export function adamUpdateKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { value, gradient, m, v, accBeta1, accBeta2 } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as { beta1: number; beta2: number; epsilon: number; learningRate: number };
    if (backendName === 'cpu') {
      // every element of the three outputs is written by the step
      const access = accessFor(backendName, backend);
      const shape = value!.shape;
      const [o0, o1] = [access.output(shape, [], false), access.output(shape, [], false)];
      const o2 = access.output(shape, [value!, gradient!, m!, v!, accBeta1!, accBeta2!], false);
      const [vv, gv, mv, sv, a1, a2] = o2.values as Float32Array[];
      adamStepJs(
        vv!,
        gv!,
        mv!,
        sv!,
        [o0.outValues, o1.outValues, o2.outValues],
        a1![0]!,
        a2![0]!,
        a,
      );
      return [o0.out, o1.out, o2.out];
    }
    if (backendName !== 'wasm') throw new Error(`${ADAM_UPDATE}: cpu and wasm only`);
    const loops = simdFor(backend);
    if (!loops) throw new Error(`${ADAM_UPDATE}: WebAssembly SIMD is not available`);
    const b = backend as unknown as WasmBackendLike;
    const shape = value!.shape;
    const outs = [
      b.makeOutput(shape, 'float32'),
      b.makeOutput(shape, 'float32'),
      b.makeOutput(shape, 'float32'),
    ];
    const at = (info: tf.TensorInfo) => heapOffset(backend, info);
    loops.adamUpdate(
      at(value!),
      at(gradient!),
      at(m!),
      at(v!),
      at(outs[0]!),
      at(outs[1]!),
      at(outs[2]!),
      tf.util.sizeFromShape(shape),
      at(accBeta1!),
      at(accBeta2!),
      a.beta1,
      1 - a.beta1,
      a.beta2,
      1 - a.beta2,
      a.epsilon,
      -a.learningRate,
    );
    return outs;
  };
}

/** A gradient with its variable's name (tfjs-core's NamedTensor, which it does not export). */
type NamedGradient = { name: string; tensor: tf.Tensor };
/** What `applyGradients` accepts. */
type Gradients = Parameters<tf.AdamOptimizer['applyGradients']>[0];

/** The private state of tfjs's AdamOptimizer that the fused update reads and writes. */
interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
}

/**
 * tfjs's `AdamOptimizer` with a fused update on wasm and cpu (see {@link fusedAdam}); same class name,
 * configuration and saved state, so models compiled with it save and load as with tf.train.adam.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /** Applies one Adam step: one kernel per variable on wasm and cpu, tf.train.adam's ops elsewhere. */
  override applyGradients(variableGradients: Gradients): void {
    const backendName = tf.getBackend();
    const fused =
      tf.getKernel(ADAM_UPDATE, backendName) != null &&
      (backendName === 'cpu' || (backendName === 'wasm' && simdFor(tf.backend()) !== undefined));
    if (!fused) {
      super.applyGradients(variableGradients);
      return;
    }
    const state = this as unknown as AdamState;
    const listed = Array.isArray(variableGradients);
    const names = listed
      ? (variableGradients as NamedGradient[]).map((g) => g.name)
      : Object.keys(variableGradients);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        state.accumulatedFirstMoment[i] ??= {
          originalName: `${name}/m`,
          variable: tf.tidy(() => tf.variable(tf.zerosLike(value), false)),
        };
        state.accumulatedSecondMoment[i] ??= {
          originalName: `${name}/v`,
          variable: tf.tidy(() => tf.variable(tf.zerosLike(value), false)),
        };
        const gradient = listed
          ? (variableGradients as NamedGradient[])[i]!.tensor
          : (variableGradients as Record<string, tf.Tensor>)[name];
        if (gradient == null) return;
        const m = state.accumulatedFirstMoment[i].variable;
        const v = state.accumulatedSecondMoment[i].variable;
        const [newValue, newM, newV] = tf.engine().runKernel(
          ADAM_UPDATE,
          { value, gradient, m, v, accBeta1: state.accBeta1, accBeta2: state.accBeta2 },
          {
            beta1: this.beta1,
            beta2: this.beta2,
            epsilon: this.epsilon,
            learningRate: this.learningRate,
          },
        ) as tf.Tensor[];
        m.assign(newM!);
        v.assign(newV!);
        value.assign(newValue!);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/**
 * Adam (`tf.train.adam`'s algorithm, defaults and saved state) with a fused update on the wasm
 * and cpu backends: one kernel per variable instead of about twelve, bit for bit the same numbers.
 * Needs {@link registerTrainingKernels} for the fused path; elsewhere it is tf.train.adam. The
 * library's trainers use it as their default Adam.
 *
 * @param learningRate - step size (default 0.001).
 * @param beta1 - first-moment decay (default 0.9).
 * @param beta2 - second-moment decay (default 0.999).
 * @param epsilon - added to the denominator (default: the backend's epsilon, as tf.train.adam).
 * @throws ArgumentError when a rate or decay is not a finite number in range.
 *
 * @example
 * ```ts
 * registerTrainingKernels();
 * model.compile({ optimizer: fusedAdam(1e-3), loss: createLoss('softmaxCrossEntropy') });
 * ```
 */
export function fusedAdam(
  learningRate = 0.001,
  beta1 = 0.9,
  beta2 = 0.999,
  epsilon?: number,
): FusedAdamOptimizer {
  const check = (name: string, x: number, ok: boolean) => {
    if (!Number.isFinite(x) || !ok)
      throw new ArgumentError(`fusedAdam: ${name} out of range, got ${describeValue(x)}`);
  };
  check('learningRate', learningRate, learningRate > 0);
  check('beta1', beta1, beta1 >= 0 && beta1 < 1);
  check('beta2', beta2, beta2 >= 0 && beta2 < 1);
  if (epsilon !== undefined) check('epsilon', epsilon, epsilon > 0);
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}
