/**
 * The geometry of a convolution (output size, padding, strides, dilations) from a kernel's
 * attributes, for every convolution kernel and gradient the library provides: one place that
 * reads tfjs's attribute conventions.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** The attributes tfjs's convolution kernels carry (backprop kernels omit `dilations`). */
export type ConvAttrs = Record<string, unknown>;

/**
 * Conv2DInfo for an input of `xShape` and a filter of `wShape`, from `attrs` (`strides`, `pad`,
 * `dimRoundingMode`, and `dilations`, 1 when absent or null).
 *
 * @internal
 */
export function conv2dGeometry(
  xShape: readonly number[],
  wShape: readonly number[],
  attrs: ConvAttrs,
  depthwise = false,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    wShape as [number, number, number, number],
    attrs.strides as [number, number] | number,
    (attrs.dilations as [number, number] | number | null | undefined) ?? 1,
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'floor' | undefined,
    depthwise,
  );
}

/**
 * The output positions o in [min, max) whose tap k reads inside the input along one axis:
 * 0 ≤ o·stride + k·dilation − padBefore < inSize.
 *
 * @internal
 */
export function tapRange(
  k: number,
  dilation: number,
  padBefore: number,
  stride: number,
  inSize: number,
  outSize: number,
): [number, number] {
  const shift = k * dilation - padBefore;
  return [
    Math.max(0, Math.ceil(-shift / stride)),
    Math.min(outSize, Math.floor((inSize - 1 - shift) / stride) + 1),
  ];
}

/** Whether a convolution's filter is 3×3 at stride 1 without dilation. @internal */
export function is3x3Stride1(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    info.filterHeight === 3 &&
    info.filterWidth === 3 &&
    info.strideHeight === 1 &&
    info.strideWidth === 1 &&
    info.dilationHeight === 1 &&
    info.dilationWidth === 1
  );
}
