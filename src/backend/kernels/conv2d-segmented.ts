/**
 * `Conv2D` for the wasm backend by the library's segmented product (one or two threads): the
 * input is copied once into a buffer with its padding written out (zeros), and
 * each output position's row of the im2row matrix, its taps' runs of input channels, is read from
 * there (`segmentGemm`: a segment per filter row, its run that row's taps' input channels, which
 * lie together in the input; per tap where the filter is dilated along the width) against the filter
 * as it lies in memory, [taps · in channels × out channels]. No panel is written, and the filter
 * is not packed (XNNPACK packs it again for every new filter, i.e. every training step). The
 * input gradient (`Conv2DBackpropInput`, a convolution of dy at stride 1) runs on it too, and so
 * do inputs of one to seven channels (a first layer on grey or RGB images: 1.3–1.7× XNNPACK's
 * time on one thread, about level on two, measured, and on the multi-threaded build XNNPACK's
 * worker then stays asleep instead of spinning on the core the helper thread needs). Filters not
 * in multiples of 8, output positions not in multiples of 4 and NCHW go to the backend's own
 * kernel (XNNPACK), with 'same' padding at stride > 1 given to it explicitly (its own 'same' is
 * wrong there for non-square filters).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';
import { type ConvAttrs, conv2dGeometry } from './conv-geometry.js';
import { winogradApplies, winogradConv2d } from './conv2d-winograd.js';
import { paddedInput, padImages } from './image-rows.js';
import { accessFor, heapOffset, wasmMemoryOf, wasmThreads } from './js-access.js';
import { explicitSamePadding } from './same-padding.js';
import { segmentProduct } from './segment-product.js';
import { simdFor } from './simd/modules.js';

/** Builds the kernel function for `backendName` (wasm). @internal */
export function conv2dSegmented(backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const b = backend as unknown as KernelBackend;
    const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = (attrs ?? {}) as ConvAttrs;
    const own = () =>
      callKernel(
        'Conv2D',
        backendName,
        b,
        inputs as never,
        (a.dataFormat === 'NCHW' ? attrs : explicitSamePadding(x.shape, filter.shape, a)) as never,
      );
    const loops = simdFor(backend);
    if (
      !loops ||
      a.dataFormat === 'NCHW' ||
      x.dtype !== 'float32' ||
      filter.dtype !== 'float32' ||
      wasmThreads(backend) > 2
    )
      return own();
    const info = conv2dGeometry(x.shape, filter.shape, attrs as never);
    if (winogradApplies(info)) return winogradConv2d(backendName, backend, loops, x, filter, info);
    const { filterHeight: fh, filterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
    const { inHeight: H, inWidth: W, outHeight: oh, outWidth: ow } = info;
    const { inChannels: ci, outChannels: co, batchSize: B } = info;
    const { strideHeight: sh, strideWidth: sw } = info;
    const { top, left } = info.padInfo;
    const M = B * oh * ow;
    if (ci === 0 || co % 8 || M % 4 || M === 0) return own();
    // the padded input: row r at r + top, column c at c + left; a tap's rows oy·sh + ky·dh
    const Hp = Math.max(H + top, (oh - 1) * sh + (fh - 1) * dh + 1);
    const Wp = Math.max(W + left, (ow - 1) * sw + (fw - 1) * dw + 1);
    const access = accessFor(backendName, backend);
    const padded = access.output([B * Hp * Wp * ci], [], false); // padImages writes every float
    const out = access.output([B, oh, ow, co], [], false);
    const pPad = heapOffset(backend, padded.out);
    padImages(
      loops,
      wasmMemoryOf(backend)!,
      heapOffset(backend, x),
      pPad,
      paddedInput(info, Hp, Wp),
    );
    const rowOffsets = new Int32Array(M);
    for (let bb = 0, i = 0; bb < B; bb++)
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++, i++)
          rowOffsets[i] = 4 * ((bb * Hp + oy * sh) * Wp + ox * sw) * ci;
    // a segment per filter tap, its run the input channels; without dilation along the width,
    // a segment per filter row, its run the row's taps' channels (contiguous in the input)
    const merged = dw === 1;
    const segmentOffsets = new Int32Array(merged ? fh : fh * fw);
    for (let ky = 0; ky < fh; ky++)
      for (let kx = 0; kx < (merged ? 1 : fw); kx++)
        segmentOffsets[ky * (merged ? 1 : fw) + kx] = 4 * (ky * dh * Wp + kx * dw) * ci;
    segmentProduct(backendName, backend, loops, {
      a: pPad,
      rowOffsets,
      segmentOffsets,
      run: merged ? fw * ci : ci,
      b: heapOffset(backend, filter),
      c: heapOffset(backend, out.out),
      N: co,
    });
    release(b, padded.out);
    return out.out;
  };
}
