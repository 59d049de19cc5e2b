/**
 * 'same' padding made explicit for the wasm backend's own convolutions: its `Conv2D` and
 * `DepthwiseConv2dNative` pad 'same' wrongly at stride > 1 when the filter is not square (80 of
 * 576 small cases measured, errors up to the size of the outputs; explicit padding of the same
 * amounts is right in every one). The padding tfjs-core defines ('same': the output is the input
 * over the stride, rounded up, the extra row or column at the bottom and right) is computed here
 * and passed as numbers.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend } from '../kernel-calls.js';
import { type ConvAttrs, conv2dGeometry } from './conv-geometry.js';

/**
 * `attrs` with a 'same' padding at stride > 1 replaced by its explicit amounts (NHWC); other
 * attributes as they are. @internal
 */
export function explicitSamePadding(
  xShape: readonly number[],
  wShape: readonly number[],
  attrs: ConvAttrs,
  depthwise = false,
): ConvAttrs {
  if (attrs.pad !== 'same') return attrs;
  const info = conv2dGeometry(xShape, wShape, attrs, depthwise);
  if (info.strideHeight === 1 && info.strideWidth === 1) return attrs;
  const { top, bottom, left, right } = info.padInfo;
  return {
    ...attrs,
    pad: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
  };
}

/**
 * `DepthwiseConv2dNative` for the wasm backend: its own kernel, with 'same' padding at
 * stride > 1 made explicit. @internal
 */
export function depthwiseExplicitPadding(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = (attrs ?? {}) as ConvAttrs;
    const fixed = a.dataFormat === 'NCHW' ? a : explicitSamePadding(x.shape, filter.shape, a, true);
    return callKernel(
      'DepthwiseConv2dNative',
      backendName,
      backend as unknown as KernelBackend,
      inputs as never,
      fixed as never,
    );
  };
}
