/**
 * `checkTrainingSupport()`: before training starts, lists every kernel and gradient a model's
 * training step needs that the backend lacks, instead of tfjs's error in the middle of the first
 * batch.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, BackendError, describeValue } from '../core/errors.js';
import { flatLayers } from '../core/model-layers.js';
import {
  DILATION_AWARE_DEPTHWISE_BACKENDS,
  dilatedGradientsRegistered,
} from './dilated-gradients.js';

/** Forward kernels of a layer class and the kernels their gradients call. */
interface LayerNeeds {
  forward: string[];
  backward: string[];
}

const CONV2D: LayerNeeds = {
  forward: ['Conv2D'],
  backward: ['Conv2DBackpropInput', 'Conv2DBackpropFilter'],
};
const DEPTHWISE: LayerNeeds = {
  forward: ['DepthwiseConv2dNative'],
  backward: ['DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter'],
};

/** What tfjs-layers' layers run, from tfjs-core's gradient definitions. */
const LAYER_KERNELS: Record<string, LayerNeeds> = {
  Dense: { forward: ['BatchMatMul'], backward: ['BatchMatMul'] },
  Conv1D: CONV2D,
  Conv2D: CONV2D,
  Conv2DTranspose: {
    forward: ['Conv2DBackpropInput'],
    backward: ['Conv2D', 'Conv2DBackpropFilter'],
  },
  Conv3D: { forward: ['Conv3D'], backward: ['Conv3DBackpropInputV2', 'Conv3DBackpropFilterV2'] },
  Conv3DTranspose: {
    forward: ['Conv3DBackpropInputV2'],
    backward: ['Conv3D', 'Conv3DBackpropFilterV2'],
  },
  DepthwiseConv2D: DEPTHWISE,
  SeparableConv2D: {
    forward: [...DEPTHWISE.forward, ...CONV2D.forward],
    backward: [...DEPTHWISE.backward, ...CONV2D.backward],
  },
  MaxPooling1D: { forward: ['MaxPool'], backward: ['MaxPoolGrad'] },
  MaxPooling2D: { forward: ['MaxPool'], backward: ['MaxPoolGrad'] },
  MaxPooling3D: { forward: ['MaxPool3D'], backward: ['MaxPool3DGrad'] },
  AveragePooling1D: { forward: ['AvgPool'], backward: ['AvgPoolGrad'] },
  AveragePooling2D: { forward: ['AvgPool'], backward: ['AvgPoolGrad'] },
  AveragePooling3D: { forward: ['AvgPool3D'], backward: ['AvgPool3DGrad'] },
  Flatten: { forward: ['Reshape'], backward: [] },
  GlobalAveragePooling1D: { forward: ['Mean'], backward: [] },
  GlobalAveragePooling2D: { forward: ['Mean'], backward: [] },
  GlobalMaxPooling1D: { forward: ['Max'], backward: [] },
  GlobalMaxPooling2D: { forward: ['Max'], backward: [] },
  Embedding: { forward: ['GatherV2'], backward: ['UnsortedSegmentSum'] },
  BatchNormalization: { forward: ['FusedBatchNorm'], backward: [] },
  UpSampling2D: { forward: ['ResizeNearestNeighbor'], backward: ['ResizeNearestNeighborGrad'] },
  ZeroPadding2D: { forward: ['PadV2'], backward: ['Slice'] },
  Cropping2D: { forward: ['Slice'], backward: ['PadV2'] },
};

function dilated(layer: tfl.layers.Layer): boolean {
  const rate = (layer.getConfig() as { dilationRate?: number | number[] }).dilationRate;
  return rate !== undefined && (Array.isArray(rate) ? rate.some((r) => r !== 1) : rate !== 1);
}

/**
 * Checks that `backend` has every kernel and gradient a training step of `model` needs, and
 * throws one error listing all that are missing.
 *
 * Looks at each layer (nested models too): its forward kernels, the gradients of those, and the
 * kernels the gradients call (Conv2D → Conv2DBackpropInput and Conv2DBackpropFilter, MaxPooling2D →
 * MaxPoolGrad, Embedding → UnsortedSegmentSum, …), plus the dilated-convolution gradients tfjs-core
 * lacks. Layers it does not know are built from elementwise and reduction kernels every backend
 * has. The backend need not be active; its module must have been imported.
 *
 * @param model - a tfjs-layers model.
 * @param backend - the backend name. Defaults to `tf.getBackend()`.
 * @throws {@link BackendError} naming each missing kernel or gradient and the layers that need it
 *   (call {@link registerTrainingKernels} first for the wasm backend);
 *   {@link ArgumentError} when `model` is not a model or the backend is unknown.
 *
 * @example
 * ```ts
 * registerTrainingKernels();
 * checkTrainingSupport(model, 'wasm'); // throws before training if anything is missing
 * ```
 */
export function checkTrainingSupport(
  model: tfl.LayersModel,
  backend: string = tf.getBackend(),
): void {
  const fn = 'checkTrainingSupport';
  if (!model || !Array.isArray((model as { layers?: unknown }).layers)) {
    throw new ArgumentError(
      `${fn}: \`model\` must be a tfjs-layers model. Received: ${describeValue(model)}.`,
    );
  }
  if (typeof backend !== 'string' || tf.getKernelsForBackend(backend).length === 0) {
    throw new ArgumentError(
      `${fn}: \`backend\` must name a backend whose module is imported. Received: ${describeValue(backend)}.`,
    );
  }
  const missing = new Map<string, Set<string>>(); // what → layers
  const need = (what: string, layer: string) => {
    if (!missing.has(what)) missing.set(what, new Set());
    missing.get(what)!.add(layer);
  };
  for (const layer of flatLayers(model)) {
    const needs = LAYER_KERNELS[layer.getClassName()];
    if (!needs) continue;
    for (const k of needs.forward) {
      if (!tf.getKernel(k, backend)) need(`kernel ${k}`, layer.name);
      if (!tf.getGradient(k)) need(`gradient of ${k}`, layer.name);
    }
    for (const k of needs.backward) {
      if (!tf.getKernel(k, backend)) need(`kernel ${k}`, layer.name);
    }
    if (dilated(layer)) {
      if (!dilatedGradientsRegistered())
        need('gradient of a dilated convolution (tfjs-core has none)', layer.name);
      const cls = layer.getClassName();
      if (
        (cls === 'DepthwiseConv2D' || cls === 'SeparableConv2D') &&
        !DILATION_AWARE_DEPTHWISE_BACKENDS.includes(backend)
      ) {
        need(
          `dilation-aware depthwise backprop kernels (the ${backend} backend's ignore dilation)`,
          layer.name,
        );
      }
    }
  }
  if (missing.size === 0) return;
  const lines = [...missing].map(([what, layers]) => `  - ${what} (for ${[...layers].join(', ')})`);
  throw new BackendError(
    `${fn}: the ${backend} backend lacks what training this model needs:\n${lines.join('\n')}\n` +
      `Call registerTrainingKernels() before training (it adds what the wasm and cpu backends lack), or pick another backend.`,
  );
}
