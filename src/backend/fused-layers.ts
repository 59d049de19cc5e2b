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
 * too). A 2×2 `MaxPooling2D` layer runs as {@link maxPoolOp}, whose gradient takes a fused
 * layer's ReLU along when it pools that ReLU's output (one pass over the activations instead of
 * two). Anything else runs the layer's own call. {@link withFusedLayers} does the same for a
 * training loop of the user's own.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../core/errors.js';
import { flatLayers } from '../core/model-layers.js';
import { CONV_BACKWARD, CONV_FORWARD, type ConvLayerGeometry } from './kernels/conv-layer.js';
import {
  DENSE_ACTIVATIONS,
  DENSE_BACKWARD,
  DENSE_FORWARD,
  type DenseActivation,
  type DenseWants,
} from './kernels/dense-backward.js';
import { MAX_POOL_FORWARD } from './kernels/max-pool.js';
import { MAX_POOL_RELU_GRAD } from './kernels/max-pool-grad.js';

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
    const { xGrad, wGrad, bGrad, ...given } = attrs as unknown as ForwardAttrs;
    // a gradient a pooling already took through this ReLU (see {@link maxPoolGradient}) is δ
    const through =
      given.activation === 'relu' && throughRelu.get((dy as tf.Tensor).dataId) === y.dataId;
    const rest = { ...given, activation: through ? 'linear' : given.activation };
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

/** The data of fused layers' ReLU outputs (whose pooling's gradient may go through the ReLU too). */
const reluOutputs = new WeakSet<tf.DataId>();
/** Gradients, by their data, that went through a ReLU already: the data of that ReLU's output. */
const throughRelu = new WeakMap<tf.DataId, tf.DataId>();

/**
 * The gradient of `MedkitMaxPool`: `MaxPoolGrad`, or where the pooled tensor is a fused layer's
 * ReLU output, `MedkitMaxPoolReluGrad`, which takes the gradient through the ReLU as well in the
 * same pass (the same values as `MaxPoolGrad` then `MedkitReluGrad`). The layer's backward pass
 * then skips its ReLU gradient when the gradient it receives is that one itself; where the ReLU's
 * output went elsewhere too, it receives a sum and applies the ReLU's gradient again, which
 * changes no value (step(y)² = step(y)) but the sign of a zero.
 */
function maxPoolGradient(dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) {
  const [x, y] = saved as [tf.Tensor4D, tf.Tensor4D];
  const through = reluOutputs.has(x.dataId);
  return {
    x: () => {
      const dx = tf
        .engine()
        .runKernel(
          through ? MAX_POOL_RELU_GRAD : 'MaxPoolGrad',
          { dy: dy as tf.Tensor, input: x, output: y },
          attrs,
        );
      if (through) throughRelu.set((dx as tf.Tensor).dataId, x.dataId);
      return dx as tf.Tensor;
    },
  };
}

/**
 * Registers the gradients of `MedkitDenseForward`, `MedkitConv2DForward` and `MedkitMaxPool`
 * (idempotent). @internal
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
  if (!tf.getGradient(MAX_POOL_FORWARD))
    tf.registerGradient({
      kernelName: MAX_POOL_FORWARD,
      inputsToSave: ['x'],
      outputsToSave: [true],
      gradFunc: maxPoolGradient,
    });
  return [...forwards.map((f) => f.kernelName), MAX_POOL_FORWARD];
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
  const y = tf
    .engine()
    .runKernel(
      CONV_FORWARD,
      { x, filter, ...(bias ? { bias } : {}) },
      attrs as unknown as tf.NamedAttrMap,
    ) as tf.Tensor4D;
  if (activation === 'relu') reluOutputs.add(y.dataId);
  return y;
}

/** 2×2 max pooling at stride 2 ('valid', NHWC) as `MedkitMaxPool` (see {@link maxPoolGradient}). @internal */
export function maxPoolOp(x: tf.Tensor4D): tf.Tensor4D {
  return tf.engine().runKernel(MAX_POOL_FORWARD, { x }, {
    filterSize: [2, 2],
    strides: [2, 2],
    pad: 'valid',
  } as unknown as tf.NamedAttrMap) as tf.Tensor4D;
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

/** The parts of a tfjs-layers Dense, Conv2D or MaxPooling2D layer the fused call reads. */
interface LayerLike {
  call: (inputs: tf.Tensor | tf.Tensor[], kwargs: unknown) => tf.Tensor | tf.Tensor[];
  kernel?: { read(): tf.Tensor };
  bias?: { read(): tf.Tensor } | null;
  activation?: { getClassName(): string } | null;
  // Conv2D's and MaxPooling2D's
  poolSize?: number[];
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
 * How a layer of class `kind` runs fused: the input rank it takes, a kernel whose registration on
 * the current backend says the fused kernels are there, and the call; undefined for a layer
 * that keeps its own call.
 */
function fusedCall(
  kind: string,
  layer: LayerLike,
  constant: () => boolean,
): { rank: number; kernel: string; run: (x: tf.Tensor) => tf.Tensor } | undefined {
  if (kind === 'MaxPooling2D') {
    const { poolSize, strides, padding, dataFormat } = layer;
    const twos = (v?: number[]) => v?.length === 2 && v[0] === 2 && v[1] === 2;
    if (!twos(poolSize) || !twos(strides) || padding !== 'valid' || dataFormat !== 'channelsLast')
      return undefined;
    return { rank: 4, kernel: MAX_POOL_RELU_GRAD, run: (x) => maxPoolOp(x as tf.Tensor4D) };
  }
  if (kind !== 'Dense' && kind !== 'Conv2D') return undefined;
  const activation = fusedActivation(layer);
  const geometry = kind === 'Conv2D' ? convGeometry(layer) : undefined;
  const kernel = layer.kernel;
  if (!activation || !kernel || (kind === 'Conv2D' && !geometry)) return undefined;
  const weights = () => ({
    w: kernel.read(),
    bias: layer.bias ? (layer.bias.read() as tf.Tensor1D) : undefined,
  });
  return geometry
    ? {
        rank: 4,
        kernel: CONV_BACKWARD,
        run: (x) => {
          const { w, bias } = weights();
          return conv2dOp(
            x as tf.Tensor4D,
            w as tf.Tensor4D,
            bias,
            geometry,
            activation,
            constant(),
          );
        },
      }
    : {
        rank: 2,
        kernel: DENSE_BACKWARD,
        run: (x) => {
          const { w, bias } = weights();
          return denseOp(x as tf.Tensor2D, w as tf.Tensor2D, bias, activation, constant());
        },
      };
}

/**
 * Runs each eligible Dense layer of `models` through {@link denseOp}, each eligible Conv2D layer
 * through {@link conv2dOp} and each 2×2 MaxPooling2D layer (stride 2, 'valid', channels last)
 * through {@link maxPoolOp} until the returned function is called (which restores the layers'
 * own call). A layer called on another backend than cpu or wasm with the kernels
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
      const fused = layer as unknown as LayerLike;
      const plan = fusedCall(layer.getClassName(), fused, () => constantWeights.has(model));
      if (!plan || Object.hasOwn(fused, 'call')) continue;
      const own = fused.call;
      fused.call = (inputs, kwargs) => {
        const x = Array.isArray(inputs) && inputs.length === 1 ? inputs[0]! : inputs;
        // inside a gradient of a gradient (a gradient penalty) the backward pass must itself be
        // differentiable: tfjs's own ops are
        const nested =
          (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 1;
        if (
          nested ||
          Array.isArray(x) ||
          x.rank !== plan.rank ||
          x.dtype !== 'float32' ||
          tf.getKernel(plan.kernel, tf.getBackend()) === undefined
        )
          return own.call(fused, inputs, kwargs);
        return plan.run(x);
      };
      restores.push(() => {
        delete (fused as Partial<LayerLike>).call;
      });
    }
  return () => {
    for (const restore of restores) restore();
  };
}

/**
 * Runs `fn` with the layers of `models` trained by one kernel call forward and one backward, as
 * the library's trainers run them: for a training loop of your own (`optimizer.minimize`,
 * `tf.variableGrads`, tfjs-layers' `model.fit`).
 *
 * On cpu and wasm after {@link registerTrainingKernels}, each `Dense` and `Conv2D` layer (channels
 * last, dilation 1; linear, relu, sigmoid or tanh) runs as one fused kernel forward and one
 * backward that computes only the gradients asked for (none for the data), and a 2×2, stride-2
 * `MaxPooling2D` layer takes the ReLU gradient of the layer below along in its own. A dense
 * layer's numbers are tfjs's bit for bit; a convolution's forward is the fused kernel tfjs runs
 * at inference, so its values may differ from tfjs's training-time composition in the last bit.
 * Other layers, other backends, and gradients of gradients run the layers' own calls. The layers'
 * own calls come back when `fn` returns, throws, or (for a promise) settles.
 *
 * @param models - a tfjs-layers model, or several (a GAN's two networks).
 * @param fn - the work to run with the layers fused; its result is returned.
 * @returns what `fn` returns.
 * @throws {@link ArgumentError} when `models` holds something that is not a tfjs-layers model or
 *   `fn` is not a function.
 *
 * @example
 * ```ts
 * registerTrainingKernels();
 * await tf.setBackend('wasm');
 * const model = createSimpleCnn({ inputShape: [28, 28, 1], numClasses: 2 });
 * const loss = createLoss('sparseSoftmaxCrossEntropy');
 * const optimizer = fusedAdam(1e-3);
 * const x = tf.randomNormal([64, 28, 28, 1]);
 * const y = tf.tensor1d(Array.from({ length: 64 }, (_, i) => i % 2), 'int32');
 * withFusedLayers(model, () => {
 *   for (let step = 0; step < 10; step++)
 *     optimizer.minimize(() => loss(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar);
 * });
 * ```
 */
export function withFusedLayers<T>(
  models: tfl.LayersModel | readonly tfl.LayersModel[],
  fn: () => T,
): T {
  const FN = 'withFusedLayers';
  const list = (Array.isArray(models) ? models : [models]) as unknown[];
  const bad = list.find((m) => !m || !Array.isArray((m as { layers?: unknown }).layers));
  if (list.length === 0 || bad !== undefined)
    throw new ArgumentError(
      `${FN}: \`models\` must be a tfjs-layers model or an array of them. Received: ${describeValue(list.length === 0 ? models : bad)}.`,
    );
  if (typeof fn !== 'function')
    throw new ArgumentError(`${FN}: \`fn\` must be a function. Received: ${describeValue(fn)}.`);
  const restore = fuseLayers(list as tfl.LayersModel[]);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    restore();
    throw error;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
