/**
 * Dense layers trained with one kernel call forward and one backward (cpu and wasm, after
 * registerTrainingKernels): while the library's trainers run, each tfjs-layers `Dense` layer of
 * the models being trained (rank-2 float32 input; linear, relu, sigmoid or tanh activation) runs
 * as {@link denseOp}, whose forward is `MedkitDenseForward` and whose gradient is
 * `MedkitDenseBackward`, the same kernels tfjs would call and so the same numbers, without the
 * five to ten engine dispatches (reshapes, products, sum, activation gradient) tfjs-core issues
 * for each layer's backward pass, and without the products nobody asks for (tfjs's fused
 * product computes dx for a network's data too). Anything else runs the layer's own call.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { flatLayers } from '../core/model-layers.js';
import {
  DENSE_ACTIVATIONS,
  DENSE_BACKWARD,
  DENSE_FORWARD,
  type DenseActivation,
  type DenseWants,
} from './kernels/dense-backward.js';

/** The forward kernel's attributes: the activation, and which gradients a backward pass is likely to need. */
interface ForwardAttrs {
  activation: DenseActivation;
  /** dx will be asked for: x comes out of a recorded op or is a variable. */
  xGrad: boolean;
  /** dw will be asked for: w is a trainable variable. */
  wGrad: boolean;
  /** db will be asked for. */
  bGrad: boolean;
}

/**
 * The gradient of `MedkitDenseForward`: one `MedkitDenseBackward` call for the gradients the
 * forward pass expected to be asked for (an input with no path to the variables being
 * differentiated, such as a network's data, or a frozen network's weights in a GAN's generator
 * step, costs no product), and a second call only for one asked for all the same. Unclaimed
 * results are freed with the backward pass's scope.
 */
function denseGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [x, w, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
  const a = attrs as unknown as ForwardAttrs;
  const backward = (want: DenseWants) => {
    const outs = tf
      .engine()
      .runKernel(
        DENSE_BACKWARD,
        { x, w, dy: dy as tf.Tensor, ...(a.activation === 'linear' ? {} : { y }) },
        { activation: a.activation, ...want } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
    const got: Partial<Record<keyof DenseWants, tf.Tensor>> = {};
    for (const k of ['dx', 'dw', 'db'] as const) if (want[k]) got[k] = outs.shift()!;
    return got;
  };
  const computed = backward({ dx: a.xGrad, dw: a.wGrad, db: a.bGrad });
  const take = (k: keyof DenseWants) => () =>
    computed[k] ?? backward({ dx: k === 'dx', dw: k === 'dw', db: k === 'db' })[k]!;
  return { x: take('dx'), w: take('dw'), bias: take('db') };
}

/** Registers the gradient of `MedkitDenseForward` (idempotent). @internal */
export function registerDenseGradient(): string[] {
  if (!tf.getGradient(DENSE_FORWARD))
    tf.registerGradient({
      kernelName: DENSE_FORWARD,
      inputsToSave: ['x', 'w'],
      outputsToSave: [true],
      gradFunc: denseGradient,
    });
  return [DENSE_FORWARD];
}

/** True when `t` is a variable or the output of an op recorded on the active gradient tape. */
function recorded(t: tf.Tensor): boolean {
  if (t instanceof tf.Variable) return t.trainable;
  const tape = (tf.engine().state as unknown as { activeTape?: { outputs: tf.Tensor[] }[] })
    .activeTape;
  return tape?.some((node) => node.outputs.some((o) => o.id === t.id)) ?? true;
}

/**
 * act(x · w + b) as one kernel call (`MedkitDenseForward`), whose gradient is one
 * `MedkitDenseBackward` call (no product for w and b when `constantWeights`, unless asked for
 * after all). Needs both kernels registered for the current backend (see
 * {@link fuseDenseLayers}).
 *
 * @internal
 */
export function denseOp(
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  bias: tf.Tensor1D | undefined,
  activation: DenseActivation,
  constantWeights = false,
): tf.Tensor2D {
  const attrs: ForwardAttrs = {
    activation,
    xGrad: recorded(x),
    wGrad: !constantWeights && recorded(w),
    bGrad: !constantWeights && bias !== undefined && recorded(bias),
  };
  return tf
    .engine()
    .runKernel(
      DENSE_FORWARD,
      { x, w, ...(bias ? { bias } : {}) },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor2D;
}

/** Models whose weights are constants of the gradient being recorded (see {@link withoutWeightGradients}). */
const constantWeights = new Set<tfl.LayersModel>();

/**
 * Runs `fn` (a forward pass of `model` inside a gradient scope) with `model`'s fused dense
 * layers told that no gradient of their weights will be asked for (a GAN's critic in the
 * generator's step), so that their backward pass computes dx alone. Were one asked for all the
 * same, it is computed then (a second kernel call): a hint for speed, never a change in results.
 *
 * @internal
 */
export function withoutWeightGradients<T>(model: tfl.LayersModel, fn: () => T): T {
  const had = constantWeights.has(model);
  constantWeights.add(model);
  try {
    return fn();
  } finally {
    if (!had) constantWeights.delete(model);
  }
}

/** The parts of a tfjs-layers Dense layer the fused call reads. */
interface DenseLike {
  call: (inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor | tf.Tensor[];
  kernel?: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  activation?: { getClassName(): string } | null;
}

/** The dense activation of a layer, when the fused kernels compute its gradient. */
function fusedActivation(layer: DenseLike): DenseActivation | undefined {
  const name = layer.activation ? layer.activation.getClassName() : 'linear';
  return (DENSE_ACTIVATIONS as readonly string[]).includes(name)
    ? (name as DenseActivation)
    : undefined;
}

/**
 * Runs each eligible Dense layer of `models` through {@link denseOp} until the returned function
 * is called (which restores the layers' own call). A layer called on another backend than cpu
 * or wasm with the kernels registered, or on a tensor of another rank or dtype, runs its own
 * call, and so does a layer called inside a gradient of a gradient (a gradient penalty), whose
 * backward pass must itself be differentiable. Layers already swapped (by an enclosing call)
 * are left as they are.
 *
 * @internal
 */
export function fuseDenseLayers(models: readonly tfl.LayersModel[]): () => void {
  const restores: (() => void)[] = [];
  for (const model of models)
    for (const layer of flatLayers(model)) {
      if (layer.getClassName() !== 'Dense') continue;
      const dense = layer as unknown as DenseLike;
      const activation = fusedActivation(dense);
      if (!activation || Object.hasOwn(dense, 'call')) continue;
      const own = dense.call;
      dense.call = (inputs, kwargs) => {
        const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0]! : inputs;
        const backend = tf.getBackend();
        // inside a gradient of a gradient (a gradient penalty) the backward pass must itself be
        // differentiable: tfjs's own ops are
        const nested =
          (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 1;
        if (
          nested ||
          Array.isArray(x) ||
          x.rank !== 2 ||
          x.dtype !== 'float32' ||
          !dense.kernel ||
          tf.getKernel(DENSE_BACKWARD, backend) === undefined
        )
          return own.call(dense, inputs, kwargs);
        return denseOp(
          x as tf.Tensor2D,
          dense.kernel.read() as tf.Tensor2D,
          dense.bias ? (dense.bias.read() as tf.Tensor1D) : undefined,
          activation,
          constantWeights.has(model),
        );
      };
      restores.push(() => {
        delete (dense as Partial<DenseLike>).call;
      });
    }
  return () => {
    for (const restore of restores) restore();
  };
}
