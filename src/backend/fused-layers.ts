/**
 * Dense and 2D convolution layers trained with one kernel call forward and one backward (cpu and
 * wasm, after registerTrainingKernels): while the library's trainers run, each tfjs-layers
 * `Dense` layer of the models being trained (rank-2 float32 input) runs as {@link denseOp},
 * whose forward is `MedkitDenseForward` and whose gradient is `MedkitDenseBackward`, the same
 * kernels tfjs would call and so the same numbers, and each `Conv2D` layer (rank-4 float32
 * input, channels last, dilation 1, 'same' or 'valid' padding) as {@link conv2dOp}, whose
 * forward is `MedkitConv2DForward` (the fused convolution tfjs-core runs at inference) and whose
 * gradient is `MedkitConv2DBackward`; both with a linear, relu, sigmoid or tanh activation. They
 * spare the five to ten engine dispatches (reshapes, products, sums, activation gradient)
 * tfjs-core issues for each layer's backward pass, the bias and activation passes over a
 * convolution's output, and the products nobody asks for (tfjs computes dx for a network's data
 * too). Anything else runs the layer's own call.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { flatLayers } from '../core/model-layers.js';
import { CONV_BACKWARD, CONV_FORWARD, type ConvLayerGeometry } from './kernels/conv-layer.js';
import {
  DENSE_ACTIVATIONS,
  DENSE_BACKWARD,
  DENSE_FORWARD,
  type DenseActivation,
  type DenseWants,
} from './kernels/dense-backward.js';

/** The forward kernels' attributes: the activation, and which gradients a backward pass is likely to need. */
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
 * The gradient of a fused layer's forward kernel: one call of its backward kernel for the
 * gradients the forward pass expected to be asked for (an input with no path to the variables
 * being differentiated, such as a network's data, or a frozen network's weights in a GAN's
 * generator step, costs no product), and a second call only for one asked for all the same.
 * Unclaimed results are freed with the backward pass's scope.
 */
const layerGradient =
  (backwardKernel: string, inputNames: { x: string; w: string }) =>
  (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x, w, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    const { xGrad, wGrad, bGrad, ...rest } = attrs as unknown as ForwardAttrs;
    const backward = (want: DenseWants) => {
      const outs = tf.engine().runKernel(
        backwardKernel,
        {
          x,
          [inputNames.w]: w,
          dy: dy as tf.Tensor,
          ...(rest.activation === 'linear' ? {} : { y }),
        },
        { ...rest, ...want } as unknown as tf.NamedAttrMap,
      ) as tf.Tensor[];
      const got: Partial<Record<keyof DenseWants, tf.Tensor>> = {};
      for (const k of ['dx', 'dw', 'db'] as const) if (want[k]) got[k] = outs.shift()!;
      return got;
    };
    const computed = backward({ dx: xGrad, dw: wGrad, db: bGrad });
    const take = (k: keyof DenseWants) => () =>
      computed[k] ?? backward({ dx: k === 'dx', dw: k === 'dw', db: k === 'db' })[k]!;
    return { [inputNames.x]: take('dx'), [inputNames.w]: take('dw'), bias: take('db') };
  };

/**
 * Registers the gradients of `MedkitDenseForward` and `MedkitConv2DForward` (idempotent).
 * @internal
 */
export function registerLayerGradients(): string[] {
  const forwards = [
    { kernelName: DENSE_FORWARD, backward: DENSE_BACKWARD, names: { x: 'x', w: 'w' } },
    { kernelName: CONV_FORWARD, backward: CONV_BACKWARD, names: { x: 'x', w: 'filter' } },
  ];
  for (const f of forwards)
    if (!tf.getGradient(f.kernelName))
      tf.registerGradient({
        kernelName: f.kernelName,
        inputsToSave: [f.names.x, f.names.w],
        outputsToSave: [true],
        gradFunc: layerGradient(f.backward, f.names),
      });
  return forwards.map((f) => f.kernelName);
}

/** True when `t` is a variable or the output of an op recorded on the active gradient tape. */
function recorded(t: tf.Tensor): boolean {
  if (t instanceof tf.Variable) return t.trainable;
  const tape = (tf.engine().state as unknown as { activeTape?: { outputs: tf.Tensor[] }[] })
    .activeTape;
  return tape?.some((node) => node.outputs.some((o) => o.id === t.id)) ?? true;
}

/** The attributes every forward kernel carries: what its gradient will likely be asked for. */
function forwardAttrs(
  x: tf.Tensor,
  w: tf.Tensor,
  bias: tf.Tensor | undefined,
  activation: DenseActivation,
  constantWeights: boolean,
): ForwardAttrs {
  return {
    activation,
    xGrad: recorded(x),
    wGrad: !constantWeights && recorded(w),
    bGrad: !constantWeights && bias !== undefined && recorded(bias),
  };
}

/**
 * act(x · w + b) as one kernel call (`MedkitDenseForward`), whose gradient is one
 * `MedkitDenseBackward` call (no product for w and b when `constantWeights`, unless asked for
 * after all). Needs both kernels registered for the current backend (see {@link fuseLayers}).
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
  const attrs = forwardAttrs(x, w, bias, activation, constantWeights);
  return tf
    .engine()
    .runKernel(
      DENSE_FORWARD,
      { x, w, ...(bias ? { bias } : {}) },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor2D;
}

/**
 * act(conv(x, filter) + b) (NHWC, dilation 1) as one kernel call (`MedkitConv2DForward`), whose
 * gradient is one `MedkitConv2DBackward` call (no gradient for the filter and bias when
 * `constantWeights`, unless asked for after all). Needs both kernels registered for the current
 * backend (see {@link fuseLayers}).
 *
 * @internal
 */
export function conv2dOp(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  geometry: ConvLayerGeometry,
  activation: DenseActivation,
  constantWeights = false,
): tf.Tensor4D {
  const attrs = {
    ...forwardAttrs(x, filter, bias, activation, constantWeights),
    strides: geometry.strides,
    pad: geometry.pad,
  };
  return tf
    .engine()
    .runKernel(
      CONV_FORWARD,
      { x, filter, ...(bias ? { bias } : {}) },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D;
}

/** Models whose weights are constants of the gradient being recorded (see {@link withoutWeightGradients}). */
const constantWeights = new Set<tfl.LayersModel>();

/**
 * Runs `fn` (a forward pass of `model` inside a gradient scope) with `model`'s fused dense and
 * convolution layers told that no gradient of their weights will be asked for (a GAN's critic
 * in the generator's step), so that their backward pass computes dx alone. Were one asked for all the
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

/** The parts of a tfjs-layers Dense or Conv2D layer the fused call reads. */
interface LayerLike {
  call: (inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor | tf.Tensor[];
  kernel?: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  activation?: { getClassName(): string } | null;
  // Conv2D's
  strides?: number[];
  padding?: string;
  dataFormat?: string;
  dilationRate?: number[];
}

/** The activation of a layer, when the fused kernels compute its gradient. */
function fusedActivation(layer: LayerLike): DenseActivation | undefined {
  const name = layer.activation ? layer.activation.getClassName() : 'linear';
  return (DENSE_ACTIVATIONS as readonly string[]).includes(name)
    ? (name as DenseActivation)
    : undefined;
}

/** A Conv2D layer's geometry, when the fused kernels take it (channels last, dilation 1). */
function convGeometry(layer: LayerLike): ConvLayerGeometry | undefined {
  const { strides, padding, dataFormat, dilationRate } = layer;
  if (
    dataFormat !== 'channelsLast' ||
    (padding !== 'same' && padding !== 'valid') ||
    strides?.length !== 2 ||
    !dilationRate?.every((d) => d === 1)
  )
    return undefined;
  return { strides: [strides[0]!, strides[1]!], pad: padding };
}

/**
 * Runs each eligible Dense layer of `models` through {@link denseOp} and each eligible Conv2D
 * layer through {@link conv2dOp} until the returned function is called (which restores the
 * layers' own call). A layer called on another backend than cpu or wasm with the kernels
 * registered, or on a tensor of another rank or dtype, runs its own call, and so does a layer
 * called inside a gradient of a gradient (a gradient penalty), whose backward pass must itself
 * be differentiable. Layers already swapped (by an enclosing call) are left as they are.
 *
 * @internal
 */
export function fuseLayers(models: readonly tfl.LayersModel[]): () => void {
  const restores: (() => void)[] = [];
  for (const model of models)
    for (const layer of flatLayers(model)) {
      const kind = layer.getClassName();
      if (kind !== 'Dense' && kind !== 'Conv2D') continue;
      const fused = layer as unknown as LayerLike;
      const activation = fusedActivation(fused);
      const geometry = kind === 'Conv2D' ? convGeometry(fused) : undefined;
      if (!activation || (kind === 'Conv2D' && !geometry) || Object.hasOwn(fused, 'call')) continue;
      const [rank, backwardKernel] = kind === 'Dense' ? [2, DENSE_BACKWARD] : [4, CONV_BACKWARD];
      const own = fused.call;
      fused.call = (inputs, kwargs) => {
        const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0]! : inputs;
        const backend = tf.getBackend();
        // inside a gradient of a gradient (a gradient penalty) the backward pass must itself be
        // differentiable: tfjs's own ops are
        const nested =
          (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 1;
        if (
          nested ||
          Array.isArray(x) ||
          x.rank !== rank ||
          x.dtype !== 'float32' ||
          !fused.kernel ||
          tf.getKernel(backwardKernel, backend) === undefined
        )
          return own.call(fused, inputs, kwargs);
        const w = fused.kernel.read();
        const bias = fused.bias ? (fused.bias.read() as tf.Tensor1D) : undefined;
        const constant = constantWeights.has(model);
        return geometry
          ? conv2dOp(x as tf.Tensor4D, w as tf.Tensor4D, bias, geometry, activation, constant)
          : denseOp(x as tf.Tensor2D, w as tf.Tensor2D, bias, activation, constant);
      };
      restores.push(() => {
        delete (fused as Partial<LayerLike>).call;
      });
    }
  return () => {
    for (const restore of restores) restore();
  };
}
