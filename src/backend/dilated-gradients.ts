/**
 * Gradients for dilated convolutions, which tfjs-core refuses ("dilation rates greater than 1
 * are not yet supported in gradients"). Registered with `tf.registerGradient`, so they serve
 * every backend; undilated convolutions keep tfjs-core's own gradient.
 *
 * Conv2D (tfjs allows dilation > 1 only with stride 1), as compositions of `conv2d`:
 *   dx = conv(dy padded by (f − 1)·d − p, W rotated 180° with channel axes swapped; dilation d)
 *   dW = conv(xᵀ [ci, H, W, b], dyᵀ [oh, ow, b, co]; stride d), transposed to [fh, fw, ci, co]
 * DepthwiseConv2dNative: tfjs's two backprop kernels with the `dilations` attribute passed on;
 * the library registers dilation-aware versions of both for the cpu and wasm backends.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { BackendError } from '../core/errors.js';
import { conv2dGeometry } from './kernels/conv-geometry.js';

type GradFunc = tf.GradConfig['gradFunc'];
const stock = new Map<string, tf.GradConfig>();
let registered = false;

/** Backends whose depthwise backprop kernels (the library's) honour dilation. */
export const DILATION_AWARE_DEPTHWISE_BACKENDS: readonly string[] = ['cpu', 'wasm'];

function pair(v: number | [number, number] | null | undefined): [number, number] {
  if (v === undefined || v === null) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

/** dx of a dilated, stride-1 conv2d. */
function dilatedConvInputGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  attrs: tf.NamedAttrMap,
): tf.Tensor4D {
  const info = conv2dGeometry(x.shape, w.shape, attrs);
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const [, H, W] = x.shape;
  const [fh, fw] = w.shape;
  let top = (fh - 1) * dh - info.padInfo.top;
  let left = (fw - 1) * dw - info.padInfo.left;
  let g = dy;
  // explicit padding wider than the dilated kernel: drop the dy rows that never reach x
  if (top < 0 || left < 0) {
    g = tf.slice(g, [0, Math.max(0, -top), Math.max(0, -left), 0]);
    top = Math.max(0, top);
    left = Math.max(0, left);
  }
  let bottom = H + (fh - 1) * dh - g.shape[1] - top;
  let right = W + (fw - 1) * dw - g.shape[2] - left;
  if (bottom < 0 || right < 0) {
    g = tf.slice(
      g,
      [0, 0, 0, 0],
      [-1, g.shape[1] + Math.min(0, bottom), g.shape[2] + Math.min(0, right), -1],
    );
    bottom = Math.max(0, bottom);
    right = Math.max(0, right);
  }
  const kernel = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
  return tf.conv2d(
    g,
    kernel,
    1,
    [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    'NHWC',
    [dh, dw],
  );
}

/** dW of a dilated, stride-1 conv2d. */
function dilatedConvFilterGrad(
  dy: tf.Tensor4D,
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  attrs: tf.NamedAttrMap,
): tf.Tensor4D {
  const info = conv2dGeometry(x.shape, w.shape, attrs);
  const { dilationHeight: dh, dilationWidth: dw } = info;
  const [fh, fw] = w.shape;
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, (fh - 1) * dh + info.outHeight - info.inHeight - top);
  const right = Math.max(0, (fw - 1) * dw + info.outWidth - info.inWidth - left);
  const conv = tf.conv2d(
    tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D,
    tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D,
    [dh, dw],
    [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
  );
  return tf.transpose(tf.slice(conv, [0, 0, 0, 0], [-1, fh, fw, -1]), [1, 2, 0, 3]) as tf.Tensor4D;
}

const conv2dGrad: GradFunc = (dy, saved, attrs) => {
  const [dh, dw] = pair(attrs.dilations as [number, number]);
  if (dh === 1 && dw === 1) return stock.get('Conv2D')!.gradFunc(dy, saved, attrs);
  const [x, w] = saved as [tf.Tensor4D, tf.Tensor4D];
  if ((attrs.dataFormat ?? 'NHWC') !== 'NHWC')
    throw new BackendError('gradient of dilated conv2d: only NHWC is supported');
  return {
    x: () => dilatedConvInputGrad(dy as tf.Tensor4D, x, w, attrs),
    filter: () => dilatedConvFilterGrad(dy as tf.Tensor4D, x, w, attrs),
  };
};

const depthwiseGrad: GradFunc = (dy, saved, attrs) => {
  const dilations = pair(attrs.dilations as [number, number]);
  if (dilations[0] === 1 && dilations[1] === 1)
    return stock.get('DepthwiseConv2dNative')!.gradFunc(dy, saved, attrs);
  if (!DILATION_AWARE_DEPTHWISE_BACKENDS.includes(tf.getBackend())) {
    throw new BackendError(
      `gradient of dilated depthwiseConv2d: the ${tf.getBackend()} backend's kernels ignore dilation; train on ${DILATION_AWARE_DEPTHWISE_BACKENDS.join(' or ')}`,
    );
  }
  const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
  const common = {
    strides: attrs.strides,
    dilations,
    pad: attrs.pad,
    dimRoundingMode: attrs.dimRoundingMode,
  };
  return {
    x: () =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy as tf.Tensor, filter }, {
        ...common,
        inputShape: x.shape,
      } as never) as unknown as tf.Tensor,
    filter: () =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dy as tf.Tensor }, {
        ...common,
        filterShape: filter.shape,
      } as never) as unknown as tf.Tensor,
  };
};

/** Registers the dilation-aware gradients (once). @internal */
export function registerDilatedGradients(): string[] {
  const names = ['Conv2D', 'DepthwiseConv2dNative'];
  if (registered) return names;
  for (const [name, gradFunc] of [
    ['Conv2D', conv2dGrad],
    ['DepthwiseConv2dNative', depthwiseGrad],
  ] as const) {
    const original = tf.getGradient(name);
    if (!original) continue;
    stock.set(name, original);
    tf.registerGradient({ ...original, gradFunc });
  }
  registered = true;
  return names;
}

/** True once {@link registerDilatedGradients} ran. @internal */
export function dilatedGradientsRegistered(): boolean {
  return registered;
}
