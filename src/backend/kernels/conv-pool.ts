/**
 * A 2D convolution layer with a ReLU whose output a 2×2, stride-2 max pooling takes (the first
 * layers of most image CNNs), forward and backward as one kernel call each (NHWC, float32).
 *
 * `MedkitConv2DPoolForward`: y = relu(conv(x, w) + b) by `MedkitConv2DForward` and its pooling
 * by the registered `MaxPool`; outputs [y, pooled].
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
import type * as tf from '@tensorflow/tfjs-core';
import { callRegistered, type KernelBackend, release } from '../kernel-calls.js';
import { passHelperFor } from '../pass-helper.js';
import { CONV_BACKWARD, CONV_FORWARD, type ConvBackwardAttrs } from './conv-layer.js';
import { CONV_POOL_PARAM_BYTES, CONV_POOL_PARAMS } from './conv-pool.loops.js';
import type { DenseWants } from './dense-backward.js';
import { accessFor, heapOffset, wasmMemoryOf } from './js-access.js';
import { MAX_POOL_RELU_GRAD } from './max-pool-grad.js';
import { simdFor } from './simd/modules.js';

/** The forward kernel's name. @internal */
export const CONV_POOL_FORWARD = 'MedkitConv2DPoolForward';
/** The backward kernel's name. @internal */
export const CONV_POOL_BACKWARD = 'MedkitConv2DPoolBackward';

/** The pooling: 2×2 windows at stride 2, no padding. */
const POOL = { filterSize: [2, 2], strides: [2, 2], pad: 'valid' };

/** Builds `MedkitConv2DPoolForward` for `backendName` (cpu or wasm): outputs [y, pooled]. @internal */
export function convPoolForwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
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
  const [B, H, W, C] = y.shape as [number, number, number, number];
  const [kh, kw, ci] = filter.shape as [number, number, number, number];
  const [, Hin, Win] = x.shape as [number, number, number, number];
  const loops = backendName === 'wasm' ? simdFor(backend) : undefined;
  const top = a.pad === 'same' ? 1 : 0;
  if (
    !loops ||
    kh !== 3 ||
    kw !== 3 ||
    a.strides[0] !== 1 ||
    a.strides[1] !== 1 ||
    ci > 4 ||
    C % 4 !== 0 ||
    H % 2 !== 0 ||
    W % 2 !== 0 ||
    B === 0 ||
    [x, filter, y, dy].some((t) => t.dtype !== 'float32')
  )
    return undefined;
  const k = backend as unknown as KernelBackend;
  const access = accessFor(backendName, backend);
  // x with its padding written out: rows [top, top + Hin) of Hp = H + 2 (zeros around)
  const [Hp, Wp] = [H + 2, W + 2];
  const padded = access.output([B * Hp * Wp * ci], []);
  // two halves' sums: 9 taps of ci·C, the bias row, a scratch row; then the parameter block
  const part = (9 * ci + 2) * C;
  const sums = access.output([2 * part + CONV_POOL_PARAM_BYTES / 4], []);
  const [px, x0, acc] = [
    heapOffset(backend, padded.out),
    heapOffset(backend, x),
    heapOffset(backend, sums.out),
  ];
  const xImage = 4 * Hin * Win * ci;
  for (let i = 0; i < B; i++)
    loops.copyRuns(
      x0 + i * xImage,
      4 * Win * ci,
      px + 4 * ((i * Hp + top) * Wp + top) * ci,
      4 * Wp * ci,
      Hin,
      Win * ci,
    );
  const params = acc + 8 * part;
  const block = new Int32Array(wasmMemoryOf(backend)!.buffer, params, CONV_POOL_PARAM_BYTES / 4);
  const P = CONV_POOL_PARAMS;
  const field = (offset: number, value: number) => {
    block[offset / 4] = value;
  };
  field(P.y, heapOffset(backend, y));
  field(P.dy, heapOffset(backend, dy));
  field(P.x, px);
  field(P.Ho, H / 2);
  field(P.Wo, W / 2);
  field(P.pixel, 4 * C);
  field(P.yRow, 4 * W * C);
  field(P.xPixel, 4 * ci);
  field(P.xRow, 4 * Wp * ci);
  field(P.xImage, 4 * Hp * Wp * ci);
  field(P.tap, 4 * ci * C);
  field(P.channels, ci);
  field(P.db, 4 * 9 * ci * C);
  field(P.scratch, 4 * (9 * ci + 1) * C);
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
