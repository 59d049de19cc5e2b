/**
 * Adam with one kernel call a step, for all the variables, on the wasm and cpu backends.
 *
 * tf.train.adam issues about a dozen kernels per variable and step (moments, bias corrections,
 * square root, update, three assignments); on wasm each costs some microseconds of dispatch, which
 * dominates small networks (an MLP GAN step makes hundreds of kernel calls), and the cpu backend's
 * element-wise kernels call a closure per element. {@link fusedAdam} returns an `AdamOptimizer`
 * whose update, once {@link registerTrainingKernels} has run, is one `MedkitAdamUpdate` kernel
 * call for all the variables of a step: on wasm a WebAssembly SIMD loop over the backend's memory performing
 * tf.train.adam's float32 operations in the same order, on cpu a loop rounding each of those
 * operations to float32 as the cpu backend does; either way the weights, moments and saved
 * optimizer state are bit for bit those of tf.train.adam (tested). On every other backend it is
 * tf.train.adam.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue } from '../core/errors.js';
import { accessFor, heapOffset } from './kernels/js-access.js';
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

/** The hyperparameters of one Adam step, as the kernel's attributes. */
interface AdamAttrs {
  beta1: number;
  beta2: number;
  epsilon: number;
  learningRate: number;
  /** How many variables the call updates. */
  count: number;
}

/**
 * The `MedkitAdamUpdate` kernel: one Adam step for every variable of a model in one call
 * (SIMD on wasm, a loop on cpu). Inputs `value{i}`, `gradient{i}`, `m{i}`, `v{i}` for i < count,
 * and the bias-correction accumulators `accBeta1`, `accBeta2`; outputs the new value, first and
 * second moment of each variable in turn, then accBeta1·β₁ and accBeta2·β₂ (float32 products, as
 * tf.mul gives them). @internal
 */
export function adamUpdateKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const ins = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as AdamAttrs;
    const { accBeta1, accBeta2 } = ins;
    const access = accessFor(backendName, backend);
    const loops = backendName === 'wasm' ? simdFor(backend) : undefined;
    if (backendName !== 'cpu' && !loops)
      throw new Error(`${ADAM_UPDATE}: cpu, or wasm with WebAssembly SIMD`);
    const outs: tf.TensorInfo[] = [];
    for (let i = 0; i < a.count; i++) {
      const [value, gradient, m, v] = [
        ins[`value${i}`]!,
        ins[`gradient${i}`]!,
        ins[`m${i}`]!,
        ins[`v${i}`]!,
      ];
      const shape = value.shape;
      // every element of the three outputs is written by the step
      const [o0, o1] = [access.output(shape, [], false), access.output(shape, [], false)];
      // views of the inputs for the JavaScript loop only (the SIMD loop reads the heap itself)
      const o2 = access.output(
        shape,
        loops ? [] : [value, gradient, m, v, accBeta1!, accBeta2!],
        false,
      );
      outs.push(o0.out, o1.out, o2.out);
      if (!loops) {
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
        continue;
      }
      const at = (info: tf.TensorInfo) => heapOffset(backend, info);
      loops.adamUpdate(
        at(value),
        at(gradient),
        at(m),
        at(v),
        at(o0.out),
        at(o1.out),
        at(o2.out),
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
    }
    // the accumulators' next values (views taken after the last allocation)
    const [n1, n2] = [
      access.output([], [], false),
      access.output([], [accBeta1!, accBeta2!], false),
    ];
    const f = Math.fround;
    n1.outValues[0] = f(n2.values[0]![0]! * f(a.beta1));
    n2.outValues[0] = f(n2.values[1]![0]! * f(a.beta2));
    outs.push(n1.out, n2.out);
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
  /** Applies one Adam step: one kernel call on wasm and cpu, tf.train.adam's ops elsewhere. */
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
      const inputs: Record<string, tf.Tensor> = {
        accBeta1: state.accBeta1,
        accBeta2: state.accBeta2,
      };
      const updated: tf.Variable[] = [];
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
        const k = updated.length / 3;
        const m = state.accumulatedFirstMoment[i].variable;
        const v = state.accumulatedSecondMoment[i].variable;
        Object.assign(inputs, {
          [`value${k}`]: value,
          [`gradient${k}`]: gradient,
          [`m${k}`]: m,
          [`v${k}`]: v,
        });
        updated.push(value, m, v);
      });
      // one call for every variable: the new values and moments, then the accumulators
      const outs = tf.engine().runKernel(ADAM_UPDATE, inputs, {
        beta1: this.beta1,
        beta2: this.beta2,
        epsilon: this.epsilon,
        learningRate: this.learningRate,
        count: updated.length / 3,
      }) as tf.Tensor[];
      updated.forEach((variable, j) => {
        variable.assign(outs[j]!);
      });
      state.accBeta1.assign(outs[updated.length]!);
      state.accBeta2.assign(outs[updated.length + 1]!);
    });
    this.incrementIterations();
  }
}

/**
 * Adam (`tf.train.adam`'s algorithm, defaults and saved state) with a fused update on the wasm
 * and cpu backends: one kernel call a step for all the variables instead of about twelve a
 * variable, bit for bit the same numbers.
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
