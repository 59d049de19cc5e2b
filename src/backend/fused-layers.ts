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
 * two); and while a gradient tape records, a convolution with a ReLU whose one use is such a
 * pooling runs with it as {@link convPoolOp}, one op whose gradient goes from the pooling's
 * straight to the filter's and the bias's. Anything else runs the layer's own call.
 * {@link withFusedLayers} does the same for a training loop of the user's own.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../core/errors.js';
import { flatLayers } from '../core/model-layers.js';
import { CONV_BACKWARD, CONV_FORWARD, type ConvLayerGeometry } from './kernels/conv-layer.js';
import { CONV_POOL_BACKWARD, CONV_POOL_FORWARD } from './kernels/conv-pool.js';
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

/** One call of a layer's backward kernel for the gradients `want` asks for: dx, dw, db in that order. */
type Backward = (want: DenseWants) => tf.Tensor[];

/**
 * The gradient thunks of a fused layer's inputs (`names.x`, `names.w`, bias) from `backward`:
 * one call for the gradients the forward pass expected to be asked for (an input with no path
 * to the variables being differentiated, such as a network's data, or a frozen network's
 * weights in a GAN's generator step, costs no product), and a second call only for one asked
 * for all the same. Unclaimed results are freed with the backward pass's scope.
 */
function wantedGradients(
  attrs: ForwardAttrs,
  names: { x: string; w: string },
  backward: Backward,
): Record<string, () => tf.Tensor> {
  const call = (want: DenseWants) => {
    const outs = backward(want);
    const got: Partial<Record<keyof DenseWants, tf.Tensor>> = {};
    for (const k of ['dx', 'dw', 'db'] as const) if (want[k]) got[k] = outs.shift()!;
    return got;
  };
  const computed = call({ dx: attrs.xGrad, dw: attrs.wGrad, db: attrs.bGrad });
  const take = (k: keyof DenseWants) => () =>
    computed[k] ?? call({ dx: k === 'dx', dw: k === 'dw', db: k === 'db' })[k]!;
  return { [names.x]: take('dx'), [names.w]: take('dw'), bias: take('db') };
}

/** The gradient of a fused layer's forward kernel: its backward kernel (see {@link wantedGradients}). */
const layerGradient =
  (backwardKernel: string, inputNames: { x: string; w: string }) =>
  (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap) => {
    const [x, w, y] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
    const forward = attrs as unknown as ForwardAttrs;
    const { xGrad, wGrad, bGrad, ...given } = forward;
    // a gradient a pooling already took through this ReLU (see {@link maxPoolGradient}) is δ
    const through =
      given.activation === 'relu' && throughRelu.get((dy as tf.Tensor).dataId) === y.dataId;
    const rest = { ...given, activation: through ? 'linear' : given.activation };
    return wantedGradients(
      forward,
      inputNames,
      (want) =>
        tf.engine().runKernel(
          backwardKernel,
          {
            x,
            [inputNames.w]: w,
            dy: dy as tf.Tensor,
            ...(rest.activation === 'linear' ? {} : { y }),
          },
          { ...rest, ...want } as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[],
    );
  };

/** The gradient of a fused convolution's ReLU output y (see {@link convPoolOp}). */
const reluGradient = layerGradient(CONV_BACKWARD, { x: 'x', w: 'filter' });

/**
 * The gradient of {@link convPoolOp}: one `MedkitConv2DPoolBackward` call from the pooling's
 * gradient (see {@link wantedGradients}).
 */
function convPoolGradient(
  dy: tf.Tensor,
  saved: tf.Tensor[],
  attrs: ForwardAttrs & ConvLayerGeometry,
) {
  const [x, filter, y] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const geometry = { strides: attrs.strides, pad: attrs.pad };
  return wantedGradients(
    attrs,
    { x: 'x', w: 'filter' },
    (want) =>
      tf.engine().runKernel(CONV_POOL_BACKWARD, { x, filter, y, dy }, {
        ...geometry,
        ...want,
      } as unknown as tf.NamedAttrMap) as tf.Tensor[],
  );
}

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
  const attrs = { ...forwardAttrs(x, filter, bias, activation, constantWeights), ...geometry };
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

/** The pooling layers the fused calls take: 2×2 windows at stride 2, no padding. */
const POOL_ATTRS = {
  filterSize: [2, 2],
  strides: [2, 2],
  pad: 'valid',
} as unknown as tf.NamedAttrMap;

/** 2×2 max pooling at stride 2 ('valid', NHWC) as `MedkitMaxPool` (see {@link maxPoolGradient}). @internal */
export function maxPoolOp(x: tf.Tensor4D): tf.Tensor4D {
  return tf.engine().runKernel(MAX_POOL_FORWARD, { x }, POOL_ATTRS) as tf.Tensor4D;
}

/** The engine's way of running an op with a gradient of its own (what `tf.customGrad` builds on). */
interface CustomOpEngine {
  runKernelFunc(params: {
    forwardFunc: (backend: unknown, save: (tensors: tf.Tensor[]) => void) => tf.Tensor;
    backwardsFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => Record<string, () => tf.Tensor>;
    inputs: tf.NamedTensorMap;
  }): tf.Tensor;
}

/**
 * relu(conv(x, filter) + b) (NHWC, dilation 1) and its 2×2 max pooling at stride 2, while a
 * gradient tape records: one `MedkitConv2DPoolForward` call, recorded as one op from x, filter
 * and bias to the pooling, whose gradient is one `MedkitConv2DPoolBackward` call (the filter and
 * bias gradients straight from the pooling's; no dx for the data). Returns [y, pooled]: y, the
 * ReLU output, comes out of a second recorded op from the same inputs, whose gradient (the
 * layer's `MedkitConv2DBackward`) runs only where something uses y besides the pooling layer
 * after (see {@link fusedCall}), which takes `pooled` and records nothing on y. Needs the
 * kernels registered for the current backend.
 *
 * @internal
 */
export function convPoolOp(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  bias: tf.Tensor1D | undefined,
  geometry: ConvLayerGeometry,
  constantWeights = false,
): [tf.Tensor4D, tf.Tensor4D] {
  const attrs = { ...forwardAttrs(x, filter, bias, 'relu', constantWeights), ...geometry };
  const inputs = { x, filter, ...(bias ? { bias } : {}) };
  // tfjs-core's custom-gradient op (what tf.customGrad builds): a recorded node whose one output
  // is the pooling (an output with no gradient would get one of zeros, as large as y, before the
  // gradient runs), named for profiles (its forward kernel is listed inside it)
  return tf.tidy('MedkitConv2DPool', () => {
    let y: tf.Tensor4D | undefined;
    const pooled = (tf.engine() as unknown as CustomOpEngine).runKernelFunc({
      forwardFunc: (_, save) => {
        const [relu, pool] = tf
          .engine()
          .runKernel(
            CONV_POOL_FORWARD,
            inputs,
            attrs as unknown as tf.NamedAttrMap,
          ) as unknown as tf.Tensor4D[];
        save([x, filter, relu!]);
        y = relu;
        return pool!;
      },
      backwardsFunc: (dy, saved) => convPoolGradient(dy, saved, attrs),
      inputs,
    }) as tf.Tensor4D;
    // y, the layer's output, as an op of its own from the same inputs: its data lives on in the
    // copy saved above; a new tensor of it (one more reference, as the Identity kernels make).
    // Its gradient (the layer's own backward kernel, through the ReLU) runs only where something
    // besides the pooling uses y: the pooling layer takes `pooled` and records nothing on y.
    const relu = tf.tidy('MedkitConv2DPoolRelu', () =>
      (tf.engine() as unknown as CustomOpEngine).runKernelFunc({
        forwardFunc: (_, save) => {
          const backend = tf.engine().backend;
          backend.incRef(y!.dataId);
          const out = tf.engine().makeTensorFromDataId(y!.dataId, y!.shape, 'float32', backend);
          save([x, filter, out]);
          return out;
        },
        backwardsFunc: (dy, saved) =>
          reluGradient(dy, saved, attrs as unknown as tf.NamedAttrMap) as Record<
            string,
            () => tf.Tensor
          >,
        inputs,
      }),
    ) as tf.Tensor4D;
    return [relu, pooled];
  }) as [tf.Tensor4D, tf.Tensor4D];
}

/**
 * The poolings made ahead by {@link convPoolOp}, by the data of the ReLU output they pooled: the
 * pooling layer after takes its own from here.
 */
const pooledAhead = new WeakMap<tf.DataId, tf.Tensor4D>();

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
  /** Where its output goes: the layers called on it. */
  outboundNodes?: { outboundLayer: LayerLike & { getClassName(): string } }[];
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
  exposed: ReadonlySet<unknown> = new Set(),
): { rank: number; kernel: string; run: (x: tf.Tensor) => tf.Tensor } | undefined {
  if (kind === 'MaxPooling2D') {
    if (!fusedPooling(layer)) return undefined;
    return {
      rank: 4,
      kernel: MAX_POOL_RELU_GRAD,
      run: (x) => {
        // made ahead with the convolution before it
        const ahead = pooledAhead.get(x.dataId);
        if (ahead && !ahead.isDisposed) {
          pooledAhead.delete(x.dataId);
          return ahead;
        }
        return maxPoolOp(x as tf.Tensor4D);
      },
    };
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
  // a ReLU output whose one use is a fused pooling: both in one op while gradients are recorded
  // (not for a model's output, whose gradient would then need a second backward pass)
  const next =
    layer.outboundNodes?.length === 1 ? layer.outboundNodes[0]!.outboundLayer : undefined;
  const poolsNext =
    activation === 'relu' &&
    !exposed.has(layer) &&
    next?.getClassName() === 'MaxPooling2D' &&
    fusedPooling(next);
  return geometry
    ? {
        rank: 4,
        kernel: CONV_BACKWARD,
        run: (x) => {
          const { w, bias } = weights();
          const args = [x as tf.Tensor4D, w as tf.Tensor4D, bias, geometry] as const;
          if (poolsNext && taping()) {
            const [y, pooled] = convPoolOp(...args, constant());
            pooledAhead.set(y.dataId, pooled);
            return y;
          }
          return conv2dOp(...args, activation, constant());
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

/** Whether a MaxPooling2D layer runs fused: 2×2 windows at stride 2, 'valid', channels last. */
function fusedPooling(layer: LayerLike): boolean {
  const { poolSize, strides, padding, dataFormat } = layer;
  const twos = (v?: number[]) => v?.length === 2 && v[0] === 2 && v[1] === 2;
  return twos(poolSize) && twos(strides) && padding === 'valid' && dataFormat === 'channelsLast';
}

/** True while a gradient tape records (a training step's forward pass). */
function taping(): boolean {
  return (tf.engine().state as unknown as { activeTape?: unknown }).activeTape != null;
}

/** The layers whose outputs are outputs of `model` or of a model nested in it. */
function outputLayers(model: tfl.LayersModel): Set<unknown> {
  const out = new Set<unknown>();
  const visit = (m: { outputs?: { sourceLayer?: unknown }[]; layers?: unknown[] }) => {
    for (const o of m.outputs ?? []) out.add(o.sourceLayer);
    for (const l of m.layers ?? [])
      if (Array.isArray((l as { layers?: unknown }).layers)) visit(l as never);
  };
  visit(model as never);
  return out;
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
  for (const model of models) {
    const exposed = outputLayers(model);
    for (const layer of flatLayers(model)) {
      const fused = layer as unknown as LayerLike;
      const plan = fusedCall(
        layer.getClassName(),
        fused,
        () => constantWeights.has(model),
        exposed,
      );
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
 * `MaxPooling2D` layer takes the ReLU gradient of the layer below along in its own (a `Conv2D`
 * layer with a ReLU whose one use is that pooling runs with it as one op, whose gradient goes
 * from the pooling's straight to the filter's and the bias's). A dense
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
