/**
 * `Conv2DBackpropFilter` for the wasm backend (which has none) as one matrix product: the
 * library's SIMD gemm on one thread (the seed CNN's second layer in 12.9 ms against XNNPACK's
 * 18.5), and on two where it is the relaxed-SIMD gemm (the seed CNN's step: both layers 15 ms
 * against 22 for XNNPACK's product split over the two threads, Node 24); XNNPACK's `BatchMatMul`
 * on two threads with the plain gemm (12.0 against 14.4) and on more than two (not measured
 * here: a 2-core machine). The filter gradient of y = conv(x, W; stride s, dilation d, padding p) is
 *
 *   dW[kh, kw, ci, co] = Σ_{b, oh, ow} x[b, oh·s + kh·d − p_top, ow·s + kw·d − p_left, ci] · dy[b, oh, ow, co]
 *
 * that is P · dy, with P's rows the (kh, kw, ci) taps and its columns the (b, oh, ow) output
 * positions ("im2row", zero where the tap falls in the padding) and dy read as
 * [(b, oh, ow) × co] as it lies in memory. The product's rows are already in the filter's
 * [kh, kw, ci, co] order. P is filled from x transposed to [ci, b, H, W], so each of its rows is
 * contiguous runs of x's rows; batches too large for one P (more than 4M values) are summed in
 * chunks. At stride 1 on wasm (one or two threads; output channels in multiples of 8, output rows
 * of 4 or more) P is not written at all: `segmentGemm` reads each of its rows as runs of x
 * transposed with its padding written out (the seed CNN's second layer on two threads, Node 24:
 * 9.5–10 → 5.8 ms; writing the 14.5 MB panel, zeroing it first, was half of that). (The obvious composition, a `Conv2D` with batch and channels swapped, leaves XNNPACK a
 * kernel as large as the image and a handful of output rows: an order of magnitude slower;
 * docs/backends.md.)
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, callRegistered, type KernelBackend, release } from '../kernel-calls.js';
import { conv2dGeometry, tapRange } from './conv-geometry.js';
import { winogradApplies, winogradFilterGradient } from './conv2d-winograd.js';
import { accessFor, heapOffset, wasmMemoryOf, wasmThreads } from './js-access.js';
import { segmentProduct } from './segment-product.js';
import { type SimdLoops, simdFor } from './simd/modules.js';

/** The largest P (values) one product takes; larger batches are summed in chunks. */
const MAX_PANEL = 1 << 22;

/** Builds the kernel function for `backendName`. @internal */
export function conv2dBackpropFilterGemm(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as KernelBackend;
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = attrs as unknown as {
      dataFormat: 'NHWC' | 'NCHW';
      filterShape: [number, number, number, number];
    };
    if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: only NHWC is supported');
    const info = conv2dGeometry(x.shape, a.filterShape, attrs as never);
    const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
    const { dilationHeight: dh, dilationWidth: dw, inHeight: H, inWidth: W } = info;
    const { outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co, batchSize: B } = info;
    const { top, left } = info.padInfo;
    const rows = fh * fw * ci;
    const perSample = oh * ow;
    const simdLoops = backendName === 'wasm' ? simdFor(backend) : undefined;
    const threads = wasmThreads(backend);
    // stride 1 on one or two threads: no panel (more threads: XNNPACK's product below)
    const segmented = simdLoops && threads <= 2 && sh === 1 && sw === 1 && co % 8 === 0 && ow >= 4;
    const float32 = x.dtype === 'float32' && dy.dtype === 'float32';
    // 3×3 at stride 1 on one or two threads: Winograd F(2×2, 3×3)
    if (simdLoops && threads <= 2 && float32 && winogradApplies(info))
      return winogradFilterGradient(backendName, backend, simdLoops, x, dy, info);
    if (segmented && float32) return bySegments(backendName, backend, simdLoops, x, dy, info);
    const chunk = Math.max(1, Math.min(B, Math.floor(MAX_PANEL / (rows * perSample))));
    const access = accessFor(backendName, backend);
    const xT = callKernel('Transpose', backendName, b, { x }, { perm: [3, 0, 1, 2] });
    // Runs of x's rows are contiguous when the stride along width is 1: copied by WebAssembly
    // SIMD on the wasm backend, element by element otherwise.
    const simd = simdLoops;
    const loops = sw === 1 ? simd : undefined;
    const xt0 = loops ? heapOffset(backend, xT) : 0;
    const useXnnpack = threads > 2 || (threads === 2 && !simd?.relaxed);

    let sum: tf.TensorInfo | undefined;
    for (let b0 = 0; b0 < B; b0 += chunk) {
      const nb = Math.min(chunk, B - b0);
      const n = nb * perSample;
      const panel = access.output([1, rows, n], [xT]);
      const p = panel.outValues;
      const xt = panel.values[0]!;
      const p0 = loops ? heapOffset(backend, panel.out) : 0;
      for (let kh = 0; kh < fh; kh++) {
        // Output rows whose tap lies inside the input: 0 ≤ i·sh + kh·dh − top < H.
        const [iMin, iMax] = tapRange(kh, dh, top, sh, H, oh);
        for (let kw = 0; kw < fw; kw++) {
          const shift = kw * dw - left;
          const [jMin, jMax] = tapRange(kw, dw, left, sw, W, ow);
          if (iMax <= iMin || jMax <= jMin) continue;
          for (let c = 0; c < ci; c++) {
            const row = ((kh * fw + kw) * ci + c) * n;
            for (let bb = 0; bb < nb; bb++) {
              const plane = (c * B + b0 + bb) * H * W;
              const src = plane + (iMin * sh + kh * dh - top) * W + shift;
              const dst = row + (bb * oh + iMin) * ow;
              if (loops) {
                loops.copyRuns(
                  xt0 + 4 * (src + jMin),
                  4 * sh * W,
                  p0 + 4 * (dst + jMin),
                  4 * ow,
                  iMax - iMin,
                  jMax - jMin,
                );
                continue;
              }
              for (let i = 0; i < iMax - iMin; i++) {
                const s0 = src + i * sh * W;
                const d0 = dst + i * ow;
                for (let j = jMin; j < jMax; j++) p[d0 + j] = xt[s0 + j * sw]!;
              }
            }
          }
        }
      }
      // dy's rows of this chunk: dy itself, reshaped, when one chunk takes the whole batch.
      let dyPart: tf.TensorInfo;
      if (nb === B)
        dyPart = callKernel('Reshape', backendName, b, { x: dy }, { shape: [1, n, co] });
      else {
        const part = access.output([1, n, co], [dy], false);
        part.outValues.set(
          part.values[0]!.subarray(b0 * perSample * co, (b0 + nb) * perSample * co),
        );
        dyPart = part.out;
      }
      // the library's gemm (K, the output positions, in cache-sized chunks), or the backend's
      // own product, XNNPACK's, which splits the work over the backend's threads (see above)
      const product = (useXnnpack ? callKernel : callRegistered)(
        'BatchMatMul',
        backendName,
        b,
        { a: panel.out, b: dyPart },
        { transposeA: false, transposeB: false },
      );
      release(b, panel.out, dyPart);
      if (sum) {
        const next = callKernel('Add', backendName, b, { a: sum, b: product });
        release(b, sum, product);
        sum = next;
      } else sum = product;
    }
    release(b, xT);
    const out = callKernel('Reshape', backendName, b, { x: sum! }, { shape: [fh, fw, ci, co] });
    release(b, sum);
    return out;
  };
}

/**
 * The filter gradient for stride 1 on wasm without the im2row panel: x transposed to [ci, batch,
 * rows, columns] with its padding written out (zeros), so that a tap's run over an output row is
 * contiguous, and {@link segmentProduct} reads each row of P (a tap and an input channel) as those
 * runs (a segment: one output row of one image) straight from there. Every entry is Σ over the
 * output positions in order, as from the panel.
 */
function bySegments(
  backendName: string,
  backend: unknown,
  loops: SimdLoops,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: ReturnType<typeof conv2dGeometry>,
): tf.TensorInfo {
  const b = backend as KernelBackend;
  const { filterHeight: fh, filterWidth: fw, dilationHeight: dh, dilationWidth: dw } = info;
  const { inHeight: H, inWidth: W, outHeight: oh, outWidth: ow } = info;
  const { inChannels: ci, outChannels: co, batchSize: B } = info;
  const { top, left } = info.padInfo;
  // the padded planes: input row r at r + top; a tap's rows oy + ky·dh for oy < oh
  const Hp = Math.max(H + top, oh + (fh - 1) * dh);
  const Wp = Math.max(W + left, ow + (fw - 1) * dw);
  const plane = B * Hp * Wp;
  const access = accessFor(backendName, backend);
  const xT = callKernel('Transpose', backendName, b, { x }, { perm: [3, 0, 1, 2] });
  const padded = access.output([ci * plane], []); // zeroed: the padding
  const out = access.output([fh, fw, ci, co], [], false);
  // the product's rows: the taps' and channels', in fours (the last ones, if any, read the
  // input's start and are dropped)
  const rows = fh * fw * ci;
  const M = Math.ceil(rows / 4) * 4;
  const product = M > rows ? access.output([M, co], [], false) : out;
  const [pxT, pPad] = [heapOffset(backend, xT), heapOffset(backend, padded.out)];
  for (let p = 0; p < ci * B; p++)
    loops.copyRuns(
      pxT + 4 * p * H * W,
      4 * W,
      pPad + 4 * (p * Hp * Wp + top * Wp + left),
      4 * Wp,
      H,
      W,
    );
  release(b, xT);
  const rowOffsets = new Int32Array(M);
  for (let ky = 0; ky < fh; ky++)
    for (let kx = 0; kx < fw; kx++)
      for (let c = 0; c < ci; c++)
        rowOffsets[(ky * fw + kx) * ci + c] = 4 * (c * plane + ky * dh * Wp + kx * dw);
  const segmentOffsets = new Int32Array(B * oh);
  for (let bb = 0; bb < B; bb++)
    for (let oy = 0; oy < oh; oy++) segmentOffsets[bb * oh + oy] = 4 * (bb * Hp + oy) * Wp;
  segmentProduct(backendName, backend, loops, {
    a: pPad,
    rowOffsets,
    segmentOffsets,
    run: ow,
    b: heapOffset(backend, dy),
    c: heapOffset(backend, product.out),
    N: co,
  });
  release(b, padded.out);
  if (product !== out) {
    const heap = wasmMemoryOf(backend)!.buffer;
    const from = new Float32Array(heap, heapOffset(backend, product.out), rows * co);
    new Float32Array(heap, heapOffset(backend, out.out), rows * co).set(from);
    release(b, product.out);
  }
  return out.out;
}
