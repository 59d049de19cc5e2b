/**
 * Convolution kernels for the cpu backend. The cpu backend's own convolutions index through
 * buffer objects, hundreds of times slower than a matrix product (docs/backends.md). These run as
 * WebAssembly SIMD matrix products on a private heap ({@link conv2dForwardGemm} and its two
 * gradients, `conv2d-gemm-cpu.ts`) and, where that heap cannot be had (no WebAssembly
 * SIMD, or more than it holds), as tight JavaScript loops that keep every inner loop
 * contiguous over channels (NHWC), skip zero inputs (common after ReLU), and accumulate the filter
 * gradient in float64 (one iterator, `forEachTap`, walks the taps for all three).
 *
 *   y[b, oh, ow, co]  = Σ_{kh, kw, ci} x[b, ih, iw, ci] · W[kh, kw, ci, co]
 *   dx[b, ih, iw, ci] = Σ_{oh, ow, kh, kw, co} dy[b, oh, ow, co] · W[kh, kw, ci, co]
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, ih, iw, ci] · dy[b, oh, ow, co]
 *   with ih = oh·s_h + kh·d_h − p_top, iw = ow·s_w + kw·d_w − p_left
 *
 * NCHW input falls back to the backend's own kernels.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend } from '../kernel-calls.js';
import { conv2dGeometry } from './conv-geometry.js';
import {
  conv2dFilterGradientGemm,
  conv2dForwardGemm,
  conv2dInputGradientGemm,
} from './conv2d-gemm-cpu.js';
import { activate, knownActivation } from './fused-activation.js';
import { accessFor } from './js-access.js';

type Info = tf.backend_util.Conv2DInfo;

/**
 * Calls `visit(yo, xo, wo)` for every output position and every filter tap that reads inside the
 * input, in (b, oh, ow, kh, kw) order: the offsets of the position's channels in y, of the tap's
 * input channels in x, and of the tap's filter rows (CI rows of CO) in W.
 */
function forEachTap(info: Info, visit: (yo: number, xo: number, wo: number) => void): void {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: CI, outChannels: CO } = info;
  const { outHeight: OH, outWidth: OW, filterHeight: KH, filterWidth: KW } = info;
  const { strideHeight: SH, strideWidth: SW, dilationHeight: DH, dilationWidth: DW } = info;
  const { top, left } = info.padInfo;
  for (let b = 0; b < B; b++)
    for (let oh = 0; oh < OH; oh++)
      for (let ow = 0; ow < OW; ow++) {
        const yo = ((b * OH + oh) * OW + ow) * CO;
        for (let kh = 0; kh < KH; kh++) {
          const ih = oh * SH + kh * DH - top;
          if (ih < 0 || ih >= H) continue;
          for (let kw = 0; kw < KW; kw++) {
            const iw = ow * SW + kw * DW - left;
            if (iw < 0 || iw >= W) continue;
            visit(yo, ((b * H + ih) * W + iw) * CI, (kh * KW + kw) * CI * CO);
          }
        }
      }
}

/** y = conv(x, W) (+ bias), written into `y`. */
function forward(
  info: Info,
  x: Float32Array,
  w: Float32Array,
  y: Float32Array,
  bias?: Float32Array,
): void {
  if (conv2dForwardGemm(info, x, w, y, bias)) return;
  const { inChannels: CI, outChannels: CO } = info;
  if (bias) for (let o = 0; o < y.length; o += CO) y.set(bias.subarray(0, CO), o);
  else y.fill(0);
  forEachTap(info, (yo, xo, wo) => {
    for (let ci = 0; ci < CI; ci++) {
      const xv = x[xo + ci]!;
      if (xv === 0) continue;
      const wr = wo + ci * CO;
      for (let co = 0; co < CO; co++) y[yo + co]! += xv * w[wr + co]!;
    }
  });
}

/** Conv2D. @internal */
export function conv2dJs(backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    if (attrs.dataFormat === 'NCHW')
      return callKernel('Conv2D', backendName, backend as never, inputs as never, attrs as never);
    const info = conv2dGeometry(x.shape, filter.shape, attrs as Record<string, unknown>);
    const { out, outValues, values } = accessFor(backendName, backend).output(info.outShape, [
      x,
      filter,
    ]);
    forward(info, values[0]!, values[1]!, outValues);
    return out;
  };
}

/** FusedConv2D: conv + bias in one pass, then the activation by the backend's own kernel. @internal */
export function fusedConv2dJs(backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const b = backend as unknown as KernelBackend;
    const { x, filter, bias, preluActivationWeights } = inputs as Record<
      string,
      tf.TensorInfo | undefined
    >;
    const activation = (attrs.activation as string | undefined) ?? 'linear';
    const biasShapeOk =
      !bias ||
      bias.shape.length === 0 ||
      (bias.shape.length === 1 && bias.shape[0] === filter!.shape[3]);
    if (attrs.dataFormat === 'NCHW' || !biasShapeOk || !knownActivation(activation)) {
      return callKernel('FusedConv2D', backendName, b, inputs as never, attrs as never);
    }
    const info = conv2dGeometry(x!.shape, filter!.shape, attrs as Record<string, unknown>);
    const given = bias ? [x!, filter!, bias] : [x!, filter!];
    const { out, outValues, values } = accessFor(backendName, backend).output(info.outShape, given);
    let biasValues: Float32Array | undefined;
    if (bias) {
      biasValues =
        bias.shape.length === 0
          ? new Float32Array(info.outChannels).fill(values[2]![0]!)
          : values[2]!;
    }
    forward(info, values[0]!, values[1]!, outValues, biasValues);
    return activate(backendName, b, out, activation, attrs.leakyreluAlpha, preluActivationWeights);
  };
}

/** Conv2DBackpropInput. @internal */
export function conv2dBackpropInputJs(backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    if (attrs.dataFormat === 'NCHW') {
      return callKernel(
        'Conv2DBackpropInput',
        backendName,
        backend as never,
        inputs as never,
        attrs as never,
      );
    }
    const inputShape = attrs.inputShape as [number, number, number, number];
    const info = conv2dGeometry(inputShape, filter.shape, { ...attrs, dilations: 1 });
    const {
      out,
      outValues: dx,
      values,
    } = accessFor(backendName, backend).output(inputShape, [dy, filter]);
    const [dyv, w] = values as [Float32Array, Float32Array];
    if (conv2dInputGradientGemm(info, dyv, w, dx)) return out;
    const { inChannels: CI, outChannels: CO } = info;
    forEachTap(info, (yo, xo, wo) => {
      for (let ci = 0; ci < CI; ci++) {
        const wr = wo + ci * CO;
        let s = 0;
        for (let co = 0; co < CO; co++) s += dyv[yo + co]! * w[wr + co]!;
        dx[xo + ci]! += s;
      }
    });
    return out;
  };
}

/** Conv2DBackpropFilter (float64 accumulation). @internal */
export function conv2dBackpropFilterJs(backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    if (attrs.dataFormat === 'NCHW') {
      return callKernel(
        'Conv2DBackpropFilter',
        backendName,
        backend as never,
        inputs as never,
        attrs as never,
      );
    }
    const filterShape = attrs.filterShape as [number, number, number, number];
    const info = conv2dGeometry(x.shape, filterShape, { ...attrs, dilations: 1 });
    const {
      out,
      outValues: dw,
      values,
    } = accessFor(backendName, backend).output(filterShape, [x, dy]);
    const [xv, dyv] = values as [Float32Array, Float32Array];
    if (conv2dFilterGradientGemm(info, xv, dyv, dw)) return out;
    const { inChannels: CI, outChannels: CO } = info;
    const acc = new Float64Array(dw.length);
    forEachTap(info, (yo, xo, wo) => {
      for (let ci = 0; ci < CI; ci++) {
        const v = xv[xo + ci]!;
        if (v === 0) continue;
        const wr = wo + ci * CO;
        for (let co = 0; co < CO; co++) acc[wr + co]! += v * dyv[yo + co]!;
      }
    });
    dw.set(acc);
    return out;
  };
}
