/**
 * 3D convolutions on the wasm backend as 2D ones on a depth-unfolded input. tfjs-backend-wasm's
 * own `Conv3D` is a plain loop and its gradient kernels return wrong
 * values; XNNPACK has no 3D convolution. Unfolding the depth axis,
 *
 *   X'[b·Do + o, h, w, k·ci + c] = x[b, o·s_d + k·d_d − p_front, h, w, c]   (0 outside),
 *
 * turns y = conv3d(x, W) into y = conv2d(X', W') with W'[kh, kw, k·ci + c, co] = W[k, kh, kw, c, co]:
 * the heavy work runs in the backend's XNNPACK `Conv2D` (threaded under useWasmThreads). The
 * gradients follow: dW' is the 2D filter gradient of X' and dy (this library's im2row product),
 * and dx folds the 2D input gradient dX' back onto the depth axis (the adjoint of the unfolding).
 * The unfolding and folding are runs of `ci` floats moved by the SIMD loops of
 * `heap-runs.loops.ts` (docs/backends.md has what the stock `Conv3D` cost).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';
import { conv2dBackpropFilterGemm } from './conv2d-backprop-filter.js';
import { conv2dBackpropInputComposed } from './conv2d-backprop-input.js';
import { accessFor, heapOffset } from './js-access.js';
import { type SimdLoops, simdFor } from './simd/modules.js';

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

/**
 * The runs between x and X': for each (b, o, k) whose input plane d = o·s_d + k·d_d − p_front lies
 * inside x, `move` is called with the byte offsets of x's plane (b, d) and of X''s plane (b, o) at
 * tap k, and the shape of the runs: H·W runs of ci floats, ci·4 bytes apart in x and K·ci·4 in X'.
 */
function forEachTap(
  info: tf.backend_util.Conv3DInfo,
  move: (
    xPlane: number,
    xStride: number,
    uPlane: number,
    uStride: number,
    count: number,
    length: number,
  ) => void,
): void {
  const { batchSize: B, inDepth: D, outDepth: Do, filterDepth: K } = info;
  const { strideDepth: sd, dilationDepth: dd, inHeight: H, inWidth: W, inChannels: ci } = info;
  const { front } = info.padInfo;
  const plane = H * W;
  for (let b = 0; b < B; b++)
    for (let o = 0; o < Do; o++)
      for (let k = 0; k < K; k++) {
        const d = o * sd + k * dd - front;
        if (d < 0 || d >= D) continue;
        const xPlane = 4 * (b * D + d) * plane * ci;
        const uPlane = 4 * ((b * Do + o) * plane * K * ci + k * ci);
        move(xPlane, 4 * ci, uPlane, 4 * K * ci, plane, ci);
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
  const { out } = accessFor(backendName, backend).output([B * Do, H, W, K * ci], [x]);
  const runs = heapRuns(backend);
  const [x0, u0] = [heapOffset(backend, x), heapOffset(backend, out)];
  forEachTap(info, (xp, xs, up, us, count, length) =>
    runs.copy(x0 + xp, xs, u0 + up, us, count, length),
  );
  return out;
}

/** dy [B, Do, Ho, Wo, co] as the 2D convolution's dy [B·Do, Ho, Wo, co]. */
function dyAs2d(
  backendName: string,
  b: KernelBackend,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv3DInfo,
): tf.TensorInfo {
  const { batchSize: B, outDepth: Do, outHeight: Ho, outWidth: Wo, outChannels: co } = info;
  return callKernel('Reshape', backendName, b, { x: dy }, { shape: [B * Do, Ho, Wo, co] });
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
    const dy2 = dyAs2d(backendName, b, dy, info);
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
    const { batchSize: B, outDepth: Do, inHeight: H, inWidth: W, inChannels: ci } = info;
    const dy2 = dyAs2d(backendName, b, dy, info);
    const w2 = unfoldedFilter(backendName, b, filter);
    const dUnfolded = inputGrad2d({
      inputs: { dy: dy2, filter: w2 },
      backend,
      attrs: { ...attrs2d, inputShape: [B * Do, H, W, info.filterDepth * ci] },
    } as never) as tf.TensorInfo;
    release(b, dy2, w2);
    const { out } = accessFor(backendName, backend).output(inputShape, [dUnfolded]);
    const runs = heapRuns(backend);
    const [g0, x0] = [heapOffset(backend, dUnfolded), heapOffset(backend, out)];
    forEachTap(info, (xp, xs, up, us, count, length) =>
      runs.add(g0 + up, us, x0 + xp, xs, count, length),
    );
    release(b, dUnfolded);
    return out;
  };
}

/** Moving runs of floats on the wasm backend's heap: the SIMD loops, or JavaScript without SIMD. */
interface HeapRuns {
  /** {@link SimdLoops.copyRuns}. */
  copy: SimdLoops['copyRuns'];
  /** {@link SimdLoops.addRuns}. */
  add: SimdLoops['addRuns'];
}

/** Run movers for the wasm backend `backend`. */
function heapRuns(backend: unknown): HeapRuns {
  const loops = simdFor(backend);
  if (loops) return { copy: loops.copyRuns, add: loops.addRuns };
  const js =
    (add: boolean) =>
    (src: number, ss: number, dst: number, ds: number, count: number, length: number) => {
      const heap = (backend as { wasm: { HEAPF32: Float32Array } }).wasm.HEAPF32;
      for (let k = 0; k < count; k++) {
        const s = (src + k * ss) >> 2;
        const d = (dst + k * ds) >> 2;
        if (add) for (let j = 0; j < length; j++) heap[d + j]! += heap[s + j]!;
        else heap.copyWithin(d, s, s + length);
      }
    };
  return { copy: js(false), add: js(true) };
}
