/**
 * 3D convolutions on the wasm backend as 2D ones on a depth-unfolded input. tfjs-backend-wasm's
 * own `Conv3D` is a plain loop (about 0.3 GFLOP/s here) and its gradient kernels return wrong
 * values; XNNPACK has no 3D convolution. Unfolding the depth axis,
 *
 *   X'[b·Do + o, h, w, k·ci + c] = x[b, o·s_d + k·d_d − p_front, h, w, c]   (0 outside),
 *
 * turns y = conv3d(x, W) into y = conv2d(X', W') with W'[kh, kw, k·ci + c, co] = W[k, kh, kw, c, co]:
 * the heavy work runs in the backend's XNNPACK `Conv2D` (threaded under useWasmThreads). The
 * gradients follow: dW' is the 2D filter gradient of X' and dy (this library's im2row product),
 * and dx folds the 2D input gradient dX' back onto the depth axis (the adjoint of the unfolding).
 * The unfolding and folding are runs of `ci` floats moved by the SIMD loops of `simd.ts`.
 *
 * Measured on the 3D CNN of bench/cnn-variants (batch 8, 32³, two threads): the stock `Conv3D`
 * took 759 ms of a 1.3 s training step.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';
import { conv2dBackpropFilterGemm } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputComposed } from './conv2d-backprop-input.js';
import { accessFor } from './js-access.js';
import { heapRuns } from './simd.js';

type Shape5 = [number, number, number, number, number];

/** The 3D geometry, with the 2D attributes of the unfolded convolution. */
function geometry(xShape: number[], wShape: number[], attrs: Record<string, unknown>) {
  const info = tf.backend_util.computeConv3DInfo(
    xShape as Shape5,
    wShape as Shape5,
    attrs.strides as [number, number, number] | number,
    (attrs.dilations as [number, number, number] | number | undefined) ?? 1,
    attrs.pad as 'same' | 'valid',
  );
  const { top, bottom, left, right } = info.padInfo;
  const attrs2d = {
    strides: [info.strideHeight, info.strideWidth],
    dilations: [info.dilationHeight, info.dilationWidth],
    pad: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
    dataFormat: 'NHWC',
  };
  return { info, attrs2d };
}

/** The runs that map x's (b, d) planes to X''s (b, o) planes at tap k, for unfolding and folding. */
function forEachTap(
  info: tf.backend_util.Conv3DInfo,
  visit: (xPlane: number, unfoldedPlane: number, k: number) => void,
): void {
  const { batchSize: B, inDepth: D, outDepth: Do, filterDepth: K } = info;
  const { strideDepth: sd, dilationDepth: dd } = info;
  const { front } = info.padInfo;
  for (let b = 0; b < B; b++)
    for (let o = 0; o < Do; o++)
      for (let k = 0; k < K; k++) {
        const d = o * sd + k * dd - front;
        if (d >= 0 && d < D) visit(b * D + d, b * Do + o, k);
      }
}

/** X' (zero where a tap falls in the depth padding). */
function unfold(
  backendName: string,
  backend: unknown,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv3DInfo,
): tf.TensorInfo {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: ci } = info;
  const { outDepth: Do, filterDepth: K } = info;
  const plane = H * W;
  const { out } = accessFor(backendName, backend).output([B * Do, H, W, K * ci], [x]);
  const runs = heapRuns(backend);
  const x0 = runs.offset(x);
  const u0 = runs.offset(out);
  forEachTap(info, (xp, up, k) =>
    runs.copy(
      x0 + 4 * xp * plane * ci,
      4 * ci,
      u0 + 4 * (up * plane * K * ci + k * ci),
      4 * K * ci,
      plane,
      ci,
    ),
  );
  return out;
}

/** W [kd, kh, kw, ci, co] as W' [kh, kw, kd·ci, co]. */
function unfoldedFilter(
  backendName: string,
  b: KernelBackend,
  filter: tf.TensorInfo,
): tf.TensorInfo {
  const [kd, kh, kw, ci, co] = filter.shape as Shape5;
  const t = callKernel('Transpose', backendName, b, { x: filter }, { perm: [1, 2, 0, 3, 4] });
  const out = callKernel('Reshape', backendName, b, { x: t }, { shape: [kh, kw, kd * ci, co] });
  release(b, t);
  return out;
}

/** `Conv3D` (NDHWC, any stride, dilation, 'same' or 'valid'). @internal */
export function conv3dUnfolded(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as KernelBackend;
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const { info, attrs2d } = geometry(x.shape, filter.shape, attrs as never);
    const unfolded = unfold(backendName, backend, x, info);
    const w2 = unfoldedFilter(backendName, b, filter);
    const y2 = callKernel('Conv2D', backendName, b, { x: unfolded, filter: w2 }, attrs2d);
    release(b, unfolded, w2);
    const out = callKernel('Reshape', backendName, b, { x: y2 }, { shape: info.outShape });
    release(b, y2);
    return out;
  };
}

/** `Conv3DBackpropFilterV2`: the 2D filter gradient of X' and dy, back to [kd, kh, kw, ci, co]. @internal */
export function conv3dBackpropFilterUnfolded(backendName: string): tf.KernelFunc {
  const filterGrad2d = conv2dBackpropFilterGemm(backendName);
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as KernelBackend;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = (attrs as { filterShape: Shape5 }).filterShape;
    const { info, attrs2d } = geometry(x.shape, filterShape, attrs as never);
    const [kd, kh, kw, ci, co] = filterShape;
    const unfolded = unfold(backendName, backend, x, info);
    const { batchSize: B, outDepth: Do, outHeight: Ho, outWidth: Wo } = info;
    const dy2 = callKernel('Reshape', backendName, b, { x: dy }, { shape: [B * Do, Ho, Wo, co] });
    const dw2 = filterGrad2d({
      inputs: { x: unfolded, dy: dy2 },
      backend,
      attrs: { ...attrs2d, filterShape: [kh, kw, kd * ci, co] },
    } as never) as tf.TensorInfo;
    release(b, unfolded, dy2);
    const r = callKernel('Reshape', backendName, b, { x: dw2 }, { shape: [kh, kw, kd, ci, co] });
    const out = callKernel('Transpose', backendName, b, { x: r }, { perm: [2, 0, 1, 3, 4] });
    release(b, dw2, r);
    return out;
  };
}

/** `Conv3DBackpropInputV2`: the 2D input gradient dX', folded back onto x's depth axis. @internal */
export function conv3dBackpropInputUnfolded(backendName: string): tf.KernelFunc {
  const inputGrad2d = conv2dBackpropInputComposed(backendName);
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as KernelBackend;
    const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const inputShape = (attrs as { inputShape: Shape5 }).inputShape;
    const { info, attrs2d } = geometry(inputShape, filter.shape, attrs as never);
    const { batchSize: B, outDepth: Do, outHeight: Ho, outWidth: Wo, outChannels: co } = info;
    const { inHeight: H, inWidth: W, inChannels: ci, filterDepth: K } = info;
    const dy2 = callKernel('Reshape', backendName, b, { x: dy }, { shape: [B * Do, Ho, Wo, co] });
    const w2 = unfoldedFilter(backendName, b, filter);
    const dUnfolded = inputGrad2d({
      inputs: { dy: dy2, filter: w2 },
      backend,
      attrs: { ...attrs2d, inputShape: [B * Do, H, W, K * ci] },
    } as never) as tf.TensorInfo;
    release(b, dy2, w2);
    const { out } = accessFor(backendName, backend).output(inputShape, [dUnfolded]);
    const runs = heapRuns(backend);
    const g0 = runs.offset(dUnfolded);
    const x0 = runs.offset(out);
    const plane = H * W;
    forEachTap(info, (xp, up, k) =>
      runs.add(
        g0 + 4 * (up * plane * K * ci + k * ci),
        4 * K * ci,
        x0 + 4 * xp * plane * ci,
        4 * ci,
        plane,
        ci,
      ),
    );
    release(b, dUnfolded);
    return out;
  };
}
