/**
 * A 2D convolution layer with a ReLU whose output a 2×2, stride-2 max pooling takes (the first
 * layers of most image CNNs), forward and backward as one kernel call each (NHWC, float32).
 *
 * `MedkitConv2DPoolForward`: y = relu(conv(x, w) + b) by `MedkitConv2DForward` and its pooling
 * by the registered `MaxPool`; outputs [y, pooled]. On wasm a 3×3 filter at stride 1 over four
 * input channels or fewer (output channels a multiple of 4, y of even height and width) runs as
 * one SIMD pass (`convSmall`) that writes y and its pooling together, the same bits as the wasm
 * `FusedConv2D` (which runs the same loop for such convolutions) and `MaxPool`: the seed CNN's
 * first layer 1.4 ms (XNNPACK's fused convolution, then the pooling) → 0.75 ms on two threads.
 *
 * `MedkitConv2DPoolBackward`: from x, w, y and the pooling's gradient dy, the layer's dx, dw and
 * db (each only when asked for) through the pooling and the ReLU: δ = `MedkitMaxPoolReluGrad`
 * of dy, then `MedkitConv2DBackward` of δ. On wasm a 3×3 filter at stride 1 (four input channels
 * or fewer, output channels a multiple of 4, windows tiling y) takes dw and db straight from dy
 * (`convPoolGradient`): δ, three zeros in four, is never written, and the filter gradient reads
 * only the places the pooling passed a gradient to; the seed CNN's first layer spent 2.8 ms of a
 * training step on the pooling's gradient, the filter gradient and the bias sum, each a pass over
 * the 6.4 MB δ. The images go in two halves, each summed apart (the first on the helper thread
 * where there is one) and then added, so one thread or two give the same bits. Example i's δ
 * and x are its own: nothing mixes examples before the filter's gradient.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callRegistered, type KernelBackend, release } from '../kernel-calls.js';
import { inHalves, passHelperFor } from '../pass-helper.js';
import { conv2dGeometry, is3x3Stride1 } from './conv-geometry.js';
import {
  CONV_BACKWARD,
  CONV_FORWARD,
  type ConvBackwardAttrs,
  type ConvLayerGeometry,
} from './conv-layer.js';
import {
  CONV_POOL_PARAM_BYTES,
  CONV_POOL_PARAMS,
  CONV_SMALL_PARAM_BYTES,
  CONV_SMALL_PARAMS,
} from './conv-pool.loops.js';
import type { DenseWants } from './dense-backward.js';
import { paddedInput, padImages } from './image-rows.js';
import { accessFor, heapOffset, wasmMemoryOf, wasmThreads } from './js-access.js';
import { MAX_POOL_RELU_GRAD } from './max-pool-grad.js';
import { type SimdLoops, simdFor } from './simd/modules.js';

/** The forward kernel's name. @internal */
export const CONV_POOL_FORWARD = 'MedkitConv2DPoolForward';
/** The backward kernel's name. @internal */
export const CONV_POOL_BACKWARD = 'MedkitConv2DPoolBackward';

/** The pooling: 2×2 windows at stride 2, no padding. */
const POOL = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };

/** Builds `MedkitConv2DPoolForward` for `backendName` (cpu or wasm): outputs [y, pooled]. @internal */
export function convPoolForwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter, bias } = inputs as Record<string, tf.TensorInfo | undefined>;
    const a = attrs as unknown as ConvLayerGeometry;
    const loops = backendName === 'wasm' ? fusedConvLoops(backend, x!, filter!, bias) : undefined;
    if (loops) {
      const info = conv2dGeometry(x!.shape, filter!.shape, { ...a, dilations: [1, 1] });
      // the convolution and its pooling in one pass
      if (smallConvApplies(info))
        return smallConv(backendName, backend, loops, x!, filter!, bias, info, true, true);
    }
    const y = callRegistered(CONV_FORWARD, backendName, backend, inputs as never, {
      ...attrs,
      activation: 'relu',
    });
    return [y, callRegistered('MaxPool', backendName, backend, { x: y }, POOL)];
  };
}

/**
 * Builds `MedkitConv2DPoolBackward` for `backendName` (cpu or wasm): outputs dx, dw and db, each
 * only when its attribute asks for it, in that order. @internal
 */
export function convPoolBackwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, filter, y, dy } = inputs as Record<'x' | 'filter' | 'y' | 'dy', tf.TensorInfo>;
    const a = attrs as unknown as Omit<ConvBackwardAttrs, 'activation'>;
    const b = backend as unknown as KernelBackend;
    const direct = (a.dw || a.db) && directGradients(backendName, backend, x, filter, y, dy, a);
    const rest: DenseWants = direct ? { dx: a.dx, dw: false, db: false } : a;
    const outs: tf.TensorInfo[] = [];
    if (rest.dx || rest.dw || rest.db) {
      const delta = callRegistered(
        MAX_POOL_RELU_GRAD,
        backendName,
        backend,
        { dy, input: y },
        POOL,
      );
      const got = callRegistered(
        CONV_BACKWARD,
        backendName,
        backend,
        { x, filter, dy: delta },
        { strides: a.strides, pad: a.pad, activation: 'linear', ...rest },
      ) as unknown as tf.TensorInfo[];
      release(b, delta);
      outs.push(...got);
    }
    if (direct) outs.push(...direct);
    return outs;
  };
}

/**
 * dw and db (as asked) by `convPoolGradient` where it applies (see the module comment), else
 * undefined.
 */
function directGradients(
  backendName: string,
  backend: unknown,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  y: tf.TensorInfo,
  dy: tf.TensorInfo,
  a: Omit<ConvBackwardAttrs, 'activation'>,
): tf.TensorInfo[] | undefined {
  const loops = backendName === 'wasm' ? fusedConvLoops(backend, x, filter, undefined) : undefined;
  if (!loops || y.dtype !== 'float32' || dy.dtype !== 'float32') return undefined;
  const info = conv2dGeometry(x.shape, filter.shape, { ...a, dilations: [1, 1] });
  if (!smallConvApplies(info)) return undefined;
  const { batchSize: B, outHeight: H, outWidth: W, outChannels: C, inChannels: ci } = info;
  const k = backend as unknown as KernelBackend;
  const access = accessFor(backendName, backend);
  // x with its padding written out, as the forward pass reads it
  const [Hp, Wp] = [H + 2, W + 2];
  const padded = access.output([B * Hp * Wp * ci], [], false);
  // two halves' sums: 9 taps of ci·C, the bias row, a scratch row; then the parameter block
  const part = (9 * ci + 2) * C;
  const sums = access.output([2 * part + CONV_POOL_PARAM_BYTES / 4], []);
  const [px, acc] = [heapOffset(backend, padded.out), heapOffset(backend, sums.out)];
  padImages(loops, wasmMemoryOf(backend)!, heapOffset(backend, x), px, paddedInput(info, Hp, Wp));
  const params = acc + 8 * part;
  const P = CONV_POOL_PARAMS;
  writeParams(backend, params, CONV_POOL_PARAM_BYTES, [
    [P.y, heapOffset(backend, y)],
    [P.dy, heapOffset(backend, dy)],
    [P.x, px],
    ...windowFields(P, H, W, C, ci),
    [P.tap, 4 * ci * C],
    [P.db, 4 * 9 * ci * C],
    [P.scratch, 4 * (9 * ci + 1) * C],
  ]);
  // the first half on the helper where it runs the same loop (relaxed or not), else here too
  const half = B >> 1;
  const helper = passHelperFor(wasmMemoryOf(backend));
  const shared = half > 0 && helper?.relaxed === loops.relaxed ? helper : undefined;
  if (shared) shared.start('convPoolGradient', [params, 0, half, acc, 0, 0, 0]);
  else if (half > 0) loops.convPoolGradient(params, 0, half, acc);
  loops.convPoolGradient(params, half, B - half, acc + 4 * part);
  shared?.wait();
  release(k, padded.out);
  const outs: tf.TensorInfo[] = [];
  const add = (shape: number[], from: number, n: number) => {
    // a fresh view of the sums after the allocation (which may grow the heap)
    const { out, outValues: v, values } = access.output(shape, [sums.out], false);
    const halves = values[0]!;
    for (let i = 0; i < n; i++) v[i] = halves[from + i]! + halves[part + from + i]!;
    outs.push(out);
  };
  if (a.dw) add([3, 3, ci, C], 0, 9 * ci * C);
  if (a.db) add([C], 9 * ci * C, C);
  release(k, sums.out);
  return outs;
}

/**
 * The SIMD loops where the library's fused convolutions ({@link smallConv}, the Winograd ones)
 * may run on `backend` (wasm, one or two threads, float32 operands, a bias of one value per
 * output channel or none), else undefined. @internal
 */
export function fusedConvLoops(
  backend: unknown,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  bias: tf.TensorInfo | undefined,
): SimdLoops | undefined {
  const float32 = [x, filter, bias].every((t) => t === undefined || t.dtype === 'float32');
  const biasFits = bias === undefined || tf.util.sizeFromShape(bias.shape) === filter.shape[3];
  return float32 && biasFits && wasmThreads(backend) <= 2 ? simdFor(backend) : undefined;
}

/**
 * Whether {@link smallConv} takes a convolution of this geometry: a 3×3 filter at stride 1 with
 * no dilation over at most four input channels, output channels a multiple of 4, an output of
 * even height and width (whole pooling windows), float32. @internal
 */
export function smallConvApplies(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    is3x3Stride1(info) &&
    info.inChannels <= 4 &&
    info.outChannels % 4 === 0 &&
    info.outHeight % 2 === 0 &&
    info.outWidth % 2 === 0 &&
    info.batchSize * info.outHeight * info.outWidth > 0
  );
}

/**
 * act(conv(x, filter) + bias) by `convSmall` (see {@link smallConvApplies}), and with `pool` its
 * 2×2, stride-2 max pooling from the same pass: [y] or [y, pooled]. The images go in two halves,
 * the first on the helper thread where there is one (the halves write apart: the same values).
 * @internal
 */
export function smallConv(
  backendName: string,
  backend: unknown,
  loops: SimdLoops,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  bias: tf.TensorInfo | undefined,
  info: tf.backend_util.Conv2DInfo,
  relu: boolean,
  pool: boolean,
): tf.TensorInfo[] {
  const { batchSize: B, inChannels: ci } = info;
  const { outHeight: H, outWidth: W, outChannels: C } = info;
  const k = backend as unknown as KernelBackend;
  const access = accessFor(backendName, backend);
  const y = access.output([B, H, W, C], [], false);
  const pooled = pool ? access.output([B, H / 2, W / 2, C], [], false) : undefined;
  const [Hp, Wp] = [H + 2, W + 2];
  const padded = access.output([B * Hp * Wp * ci], [], false);
  // the packed filter [ci][C/4][9][4], the bias (or zeros), the parameter block
  const packedSize = 9 * ci * C;
  const scratch = access.output(
    [packedSize + C + CONV_SMALL_PARAM_BYTES / 4],
    bias ? [filter, bias] : [filter],
  );
  const [w, s] = [scratch.values[0]!, scratch.outValues];
  for (let c = 0; c < ci; c++)
    for (let cv = 0; cv < C / 4; cv++)
      for (let t = 0; t < 9; t++)
        for (let lane = 0; lane < 4; lane++)
          s[((c * (C / 4) + cv) * 9 + t) * 4 + lane] = w[(t * ci + c) * C + 4 * cv + lane]!;
  if (bias) s.set(scratch.values[1]!.subarray(0, C), packedSize);
  const [px, base] = [heapOffset(backend, padded.out), heapOffset(backend, scratch.out)];
  padImages(loops, wasmMemoryOf(backend)!, heapOffset(backend, x), px, paddedInput(info, Hp, Wp));
  const params = base + 4 * (packedSize + C);
  const P = CONV_SMALL_PARAMS;
  writeParams(backend, params, CONV_SMALL_PARAM_BYTES, [
    [P.x, px],
    [P.w, base],
    [P.bias, base + 4 * packedSize],
    [P.y, heapOffset(backend, y.out)],
    [P.pooled, pooled ? heapOffset(backend, pooled.out) : 0],
    ...windowFields(P, H, W, C, ci),
    [P.relu, relu ? 1 : 0],
    [P.wChannel, (C / 4) * 9 * 16],
  ]);
  const helper = passHelperFor(wasmMemoryOf(backend));
  // the helper where it runs the same loop (relaxed or not)
  inHalves(
    B >= 2 && helper?.relaxed === loops.relaxed ? helper : undefined,
    'convSmall',
    loops.convSmall,
    B,
    (from, count) => [params, from, count, 0, 0, 0, 0],
  );
  release(k, padded.out, scratch.out);
  return pooled ? [y.out, pooled.out] : [y.out];
}

/**
 * The fields both loops' parameter blocks share, for y of H × W × C (whole 2×2 windows) over
 * ci input channels padded to (H + 2) × (W + 2).
 */
function windowFields(
  P: Record<'Ho' | 'Wo' | 'pixel' | 'yRow' | 'xPixel' | 'xRow' | 'xImage' | 'channels', number>,
  H: number,
  W: number,
  C: number,
  ci: number,
): [number, number][] {
  return [
    [P.Ho, H / 2],
    [P.Wo, W / 2],
    [P.pixel, 4 * C],
    [P.yRow, 4 * W * C],
    [P.xPixel, 4 * ci],
    [P.xRow, 4 * (W + 2) * ci],
    [P.xImage, 4 * (H + 2) * (W + 2) * ci],
    [P.channels, ci],
  ];
}

/** Writes a loop's parameter block (i32 fields: [byte offset, value]) at `at` on the heap. */
function writeParams(
  backend: unknown,
  at: number,
  bytes: number,
  fields: [number, number][],
): void {
  const block = new Int32Array(wasmMemoryOf(backend)!.buffer, at, bytes / 4);
  for (const [offset, value] of fields) block[offset / 4] = value;
}
