/**
 * A 2D convolution layer's forward and backward passes as one kernel call each (NHWC, float32).
 *
 * `MedkitConv2DForward`: act(conv(x, w) + b) by the registered `FusedConv2D` (convolution, bias
 * and relu in one pass: on wasm the library's Winograd convolution adds the bias and clamps as it
 * writes each output tile) and, for sigmoid and tanh, the registered activation kernel. These are
 * the kernels tfjs-core runs for a Conv2D layer at inference, so a trained layer's outputs are its
 * predictions' own; in training tfjs-core instead runs Conv2D, Add and the activation one after
 * another, whose sums may differ from the fused kernel's in the last bit.
 *
 * `MedkitConv2DBackward`: from the layer's input x [B, H, W, ci], filter w [kh, kw, ci, co],
 * output y (after the activation) and dy, it returns
 *   δ  = dy ⊙ act'(y),
 *   dx = the registered `Conv2DBackpropInput` of δ,  dw = the registered `Conv2DBackpropFilter`,
 *   db = the registered `Sum` of δ over the batch and the image (as tfjs's Add gradient sums it),
 * each only when asked for, called at the TensorInfo level: one engine dispatch where tfjs-core
 * issues seven to nine, and no dx for a layer whose input is the data. Example i's slice of δ
 * and of x are its own (the per-example pieces DP-SGD's norms are made of): nothing mixes
 * examples before the filter's gradient.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callRegistered, type KernelBackend, release } from '../kernel-calls.js';
import {
  activated,
  activationGradient,
  type DenseActivation,
  type DenseWants,
} from './dense-backward.js';

/** The forward kernel's name. @internal */
export const CONV_FORWARD = 'MedkitConv2DForward';
/** The backward kernel's name. @internal */
export const CONV_BACKWARD = 'MedkitConv2DBackward';

/** The geometry both kernels carry: strides and padding (dilation 1, NHWC). @internal */
export interface ConvLayerGeometry {
  strides: [number, number];
  pad: 'same' | 'valid';
}

/** The backward kernel's attributes. @internal */
export type ConvBackwardAttrs = ConvLayerGeometry & DenseWants & { activation: DenseActivation };

/** The geometry as tfjs's convolution kernels take it. */
const kernelGeometry = (g: ConvLayerGeometry) => ({
  strides: g.strides,
  pad: g.pad,
  dataFormat: 'NHWC',
  dimRoundingMode: undefined,
});

/** Builds `MedkitConv2DForward` for `backendName` (cpu or wasm). @internal */
export function convForwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter, bias } = inputs as Record<string, tf.TensorInfo | undefined>;
    const a = attrs as unknown as ConvLayerGeometry & { activation: DenseActivation };
    const z = callRegistered(
      'FusedConv2D',
      backendName,
      backend,
      { x: x!, filter: filter!, ...(bias ? { bias } : {}) },
      {
        ...kernelGeometry(a),
        dilations: [1, 1],
        activation: a.activation === 'relu' ? 'relu' : 'linear',
      },
    );
    return activated(backendName, backend, z, a.activation);
  };
}

/**
 * Builds `MedkitConv2DBackward` for `backendName` (cpu or wasm): outputs dx, dw and db, each only
 * when its attribute asks for it, in that order. @internal
 */
export function convBackwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter, dy, y } = inputs as Record<string, tf.TensorInfo>;
    const a = attrs as unknown as ConvBackwardAttrs;
    const delta =
      a.activation === 'linear'
        ? dy!
        : activationGradient(backendName, backend, a.activation, dy!, y!);
    const outs: tf.TensorInfo[] = [];
    if (a.dx)
      outs.push(
        callRegistered(
          'Conv2DBackpropInput',
          backendName,
          backend,
          { dy: delta, filter: filter! },
          { ...kernelGeometry(a), inputShape: x!.shape },
        ),
      );
    if (a.dw)
      outs.push(
        callRegistered(
          'Conv2DBackpropFilter',
          backendName,
          backend,
          { x: x!, dy: delta },
          { ...kernelGeometry(a), filterShape: filter!.shape },
        ),
      );
    if (a.db)
      outs.push(callRegistered('Sum', backendName, backend, { x: delta }, { axis: [0, 1, 2] }));
    if (delta !== dy) release(backend as unknown as KernelBackend, delta);
    return outs;
  };
}
