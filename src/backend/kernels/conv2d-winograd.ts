/**
 * 3×3 convolutions at stride 1 on the wasm backend by Winograd's F(2×2, 3×3)
 * (`winograd.loops.ts`): 16 multiply-adds per input and output channel for each 2×2 block of
 * outputs instead of 36, for `Conv2D` (and so `Conv2DBackpropInput`, a convolution of dy) and for
 * `Conv2DBackpropFilter`. The input is copied once with its padding written out (zeros), and the
 * tiles run in blocks whose transforms and products stay in a core's cache; the helper thread,
 * where `useWasmThreads` started one, takes the first half of the blocks and runs the same loop
 * as this thread. Output sizes that are odd are computed on the even grid around them.
 *
 * Every result is the same on one thread or two: each output of the convolution comes from one
 * tile, and the filter gradient always sums the two halves of the blocks apart, then adds them.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend, release } from '../kernel-calls.js';
import { type HelperLoop, passHelperFor } from '../pass-helper.js';
import { conv2dGeometry, is3x3Stride1 } from './conv-geometry.js';
import { fusedConvLoops, smallConv, smallConvApplies } from './conv-pool.js';
import { copyImageRows, type ImageLayout, paddedInput, padImages } from './image-rows.js';
import { accessFor, heapOffset, wasmMemoryOf } from './js-access.js';
import { explicitSamePadding } from './same-padding.js';
import type { SimdLoops } from './simd/modules.js';
import { WINOGRAD_PARAM_BYTES, WINOGRAD_PARAMS, WINOGRAD_PLANE_PAD } from './winograd.loops.js';

/**
 * Tiles a block of the convolution, and of its filter gradient: multiples of 12 (the relaxed
 * gemm's blocks of 6 rows, the plain one's of 4), whose transforms and products (16 · block ·
 * (in + out) floats: 288 KB for 32 → 64 channels at 48) stay in a core's cache between the steps
 * (24–192 measured for the convolution: 48 best; the gradient's products load and store their
 * accumulators once a block, so it takes larger ones, though 48, 96 and 144 measured alike:
 * 2.7–2.9 ms for the seed CNN's second layer on two threads, Node 24).
 */
const BLOCK = 48;
const GRADIENT_BLOCK = 96;

/**
 * Whether the Winograd kernels compute this convolution (or its filter gradient): a 3×3 filter at
 * stride 1 without dilation, input channels a multiple of 4 and at least 8 (fewer leave the
 * products too short to gain), output channels a multiple of 8. @internal
 */
export function winogradApplies(info: tf.backend_util.Conv2DInfo): boolean {
  return (
    is3x3Stride1(info) &&
    info.inChannels % 4 === 0 &&
    info.inChannels >= 8 &&
    info.outChannels % 8 === 0 &&
    info.batchSize * info.outHeight * info.outWidth > 0
  );
}

/** The tiling of one convolution: its padded input and the parameter block with its tables. */
interface Plan {
  /** The backend's memory. */
  memory: WebAssembly.Memory;
  /** Tiles in whole blocks (the last block's extra tiles read zeros). */
  count: number;
  /** The padded input (zeros around x), and the scratch tensor, to release. */
  padded: tf.TensorInfo;
  scratch: tf.TensorInfo;
  /** The parameter block's address (its tables follow it), and `extra` floats after the tables. */
  params: number;
  extra: number;
  /** Where the second table points: the even grid of tiles' outputs (or dy). */
  grid: number;
  /** The helper thread that takes the first half of the blocks, if one does. */
  helper: ReturnType<typeof passHelperFor>;
  /** The first tile of the second half of the blocks. */
  split: number;
}

/**
 * Pads x, allocates `extra` floats of scratch after the parameter block and its tables, and fills
 * the block (tiles of `block`; the channels of what the second table addresses: the output, or
 * dy) and both tables: the first with each tile's top-left input, the second with its top-left
 * output in the even grid ([batch, 2·th, 2·tw, channels]) at `side(extraAt).grid` (given the
 * extra floats' address), the last block's extra tiles at `side(extraAt).spare`.
 */
function plan(
  backendName: string,
  backend: unknown,
  loops: SimdLoops,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  block: number,
  sideChannels: number,
  extra: number,
  side: (extraAt: number) => { grid: number; spare: number },
): Plan {
  const { inHeight: H, inWidth: W } = info;
  const { inChannels: ci, batchSize: B } = info;
  const { top, left } = info.padInfo;
  const { th, tw } = tileGrid(info);
  const tiles = B * th * tw;
  const blocks = Math.ceil(tiles / block);
  const count = blocks * block;
  // input row r at r + top, column c at c + left; tile (ty, tx) reads rows 2ty … 2ty + 3 and
  // columns 2tx … 2tx + 3
  const Hp = Math.max(H + top, 2 * th + 2);
  const Wp = Math.max(W + left, 2 * tw + 2);
  const access = accessFor(backendName, backend);
  const padded = access.output([B * Hp * Wp * ci], [], false); // padImages writes every float
  const words = WINOGRAD_PARAM_BYTES / 4 + 2 * count;
  const scratch = access.output([words + extra], [], false);
  const memory = wasmMemoryOf(backend)!;
  const at = heapOffset(backend, scratch.out);
  const pPad = heapOffset(backend, padded.out);
  padImages(loops, memory, heapOffset(backend, x), pPad, paddedInput(info, Hp, Wp));
  const table = new Int32Array(memory.buffer, at, words);
  const inputs = WINOGRAD_PARAM_BYTES / 4;
  const outputs = inputs + count;
  const { grid, spare } = side(at + 4 * words);
  for (let b = 0, t = 0; b < B; b++)
    for (let ty = 0; ty < th; ty++)
      for (let tx = 0; tx < tw; tx++, t++) {
        table[inputs + t] = pPad + 4 * ((b * Hp + 2 * ty) * Wp + 2 * tx) * ci;
        table[outputs + t] = grid + 4 * ((b * 2 * th + 2 * ty) * 2 * tw + 2 * tx) * sideChannels;
      }
  table.fill(pPad, inputs + tiles, inputs + count);
  table.fill(spare, outputs + tiles, outputs + count);
  // the helper runs the same loop as this thread (the relaxed one where this thread's is), or none
  const helper = passHelperFor(memory);
  const shared = helper && (!loops.relaxed || helper.relaxed) ? helper : undefined;
  const p: Plan = {
    memory,
    count,
    padded: padded.out,
    scratch: scratch.out,
    params: at,
    extra: at + 4 * words,
    grid,
    helper: shared,
    split: Math.floor(blocks / 2) * block,
  };
  field(p, 'tiles', at + WINOGRAD_PARAM_BYTES);
  field(p, 'count', count);
  field(p, 'inChannels', ci);
  field(p, 'inRowBytes', 4 * Wp * ci);
  field(p, 'outChannels', sideChannels);
  field(p, 'outRowBytes', 4 * 2 * tw * sideChannels);
  field(p, 'block', block);
  field(p, 'epilogue', 0);
  return p;
}

/** Tiles along the output's height and width, and whether they cover it exactly. */
function tileGrid(info: tf.backend_util.Conv2DInfo) {
  const [th, tw] = [Math.ceil(info.outHeight / 2), Math.ceil(info.outWidth / 2)];
  return { th, tw, even: info.outHeight === 2 * th && info.outWidth === 2 * tw };
}

/** [B, h, w, c] at `at`. */
const denseLayout = (at: number, h: number, w: number, c: number): ImageLayout => ({
  at,
  imageBytes: 4 * h * w * c,
  rowBytes: 4 * w * c,
});
/** The even grid of `th` × `tw` tiles around an output ([B, 2·th, 2·tw, c]) at `at`. */
const gridLayout = (at: number, th: number, tw: number, c: number) =>
  denseLayout(at, 2 * th, 2 * tw, c);

/** Floats of one thread's V and M (or Ŷ) for a block of `block` tiles. */
const threadScratch = (block: number, ci: number, co: number) =>
  16 * (block * (ci + co) + (2 * WINOGRAD_PLANE_PAD) / 4);

/**
 * Runs `run` over the two halves of the blocks, the first on the helper thread (running `loop`)
 * while this thread runs the second, or both here one after the other: `args(from, to, half)`
 * gives the call's arguments for tiles [from, to), half 0 or 1.
 */
function byHalves(
  p: Plan,
  loop: HelperLoop,
  run: (...args: number[]) => void,
  args: (from: number, to: number, half: number) => number[],
): void {
  const [first, second] = [args(0, p.split, 0), args(p.split, p.count, 1)];
  if (p.helper && p.split > 0) {
    p.helper.start(loop, first);
    run(...second);
    p.helper.wait();
  } else {
    run(...first);
    run(...second);
  }
}

/**
 * The convolution of `x` ([batch, height, width, in], float32) with the 3×3 `filter` ([3, 3, in,
 * out]) that `info` describes (see {@link winogradApplies}), as a new tensor of the backend's;
 * with `bias` (out floats) added and ReLU after it where given (a fused convolution's epilogue).
 * @internal
 */
export function winogradConv2d(
  backendName: string,
  backend: unknown,
  loops: SimdLoops,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  epilogue: { bias?: tf.TensorInfo; relu?: boolean } = {},
): tf.TensorInfo {
  const { outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co, batchSize: B } = info;
  const { th, tw, even } = tileGrid(info);
  const out = accessFor(backendName, backend).output([B, oh, ow, co], [], false);
  const pOut = heapOffset(backend, out.out);
  const perThread = threadScratch(BLOCK, ci, co);
  // after the tables: U, each thread's V and M, the extra tiles' outputs (all at one place), and
  // the even grid's outputs when the output is not that grid
  const spare = 2 * (2 * tw * co) + 8;
  const extra = 16 * ci * co + 2 * perThread + spare + (even ? 0 : B * 2 * th * 2 * tw * co);
  const p = plan(backendName, backend, loops, x, info, BLOCK, co, extra, (at) => {
    const pSpare = at + 4 * (16 * ci * co + 2 * perThread);
    return { grid: even ? pOut : pSpare + 4 * spare, spare: pSpare };
  });
  const pU = p.extra;
  const pScratch = pU + 64 * ci * co;
  field(p, 'u', pU);
  const { bias, relu } = epilogue;
  field(p, 'epilogue', (bias ? heapOffset(backend, bias) : 0) + (relu ? 1 : 0));
  loops.winogradFilter(heapOffset(backend, filter), pU, 4 * ci * co);
  byHalves(p, loops.relaxed ? 'winograd6' : 'winograd', loops.winograd, (from, to, half) => [
    p.params,
    from,
    to,
    pScratch + 4 * perThread * half,
  ]);
  if (!even)
    copyImageRows(
      loops,
      B,
      oh,
      ow * co,
      gridLayout(p.grid, th, tw, co),
      denseLayout(pOut, oh, ow, co),
    );
  release(backend as KernelBackend, p.padded, p.scratch);
  return out.out;
}

/**
 * The filter gradient ([3, 3, in, out]) of the convolution that `info` describes (see
 * {@link winogradApplies}) from its input `x` and output gradient `dy` (float32): dW = Gᵀ (Σ over
 * tiles of V_ξ ⊙ Ŷ_ξ) G, with V the tiles' transformed input and Ŷ = A dy Aᵀ their transformed
 * output gradient (the forward's Aᵀ [U ⊙ V] A differentiated through U = G g Gᵀ). @internal
 */
export function winogradFilterGradient(
  backendName: string,
  backend: unknown,
  loops: SimdLoops,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const { outHeight: oh, outWidth: ow, inChannels: ci, outChannels: co, batchSize: B } = info;
  const { th, tw, even } = tileGrid(info);
  const access = accessFor(backendName, backend);
  const dw = access.output([3, 3, ci, co], [], false);
  // the two halves' sums (zeroed), and dy on the even grid (zeros around it) when it is not
  // that grid; the extra tiles read zeros past the sums
  const rowBytes = 4 * 2 * tw * co;
  const zeros = (rowBytes + 8 * co) / 4;
  const sums = access.output(
    [2 * 16 * ci * co + zeros + (even ? 0 : B * 2 * th * 2 * tw * co)],
    [],
  );
  const pSums = heapOffset(backend, sums.out);
  const pZeros = pSums + 4 * 2 * 16 * ci * co;
  const pGrid = even ? heapOffset(backend, dy) : pZeros + 4 * zeros;
  if (!even)
    copyImageRows(
      loops,
      B,
      oh,
      ow * co,
      denseLayout(heapOffset(backend, dy), oh, ow, co),
      gridLayout(pGrid, th, tw, co),
    );
  const perThread = threadScratch(GRADIENT_BLOCK, ci, co);
  const p = plan(backendName, backend, loops, x, info, GRADIENT_BLOCK, co, 2 * perThread, () => ({
    grid: pGrid,
    spare: pZeros,
  }));
  const pScratch = p.extra;
  const plane = 4 * ci * co;
  // each half of the blocks into its own sums (the same on one thread or two)
  const loop = loops.relaxed ? 'winogradGradient6' : 'winogradGradient';
  byHalves(p, loop, loops.winogradGradient, (from, to, half) => [
    p.params,
    from,
    to,
    pScratch + 4 * perThread * half,
    pSums + 16 * plane * half,
  ]);
  // the halves added, then transformed back
  loops.addRows4(pSums, pSums + 16 * plane, pSums, 1, 16 * plane, 0);
  loops.winogradFilterGradient(pSums, heapOffset(backend, dw.out), plane);
  release(backend as KernelBackend, p.padded, p.scratch, sums.out);
  return dw.out;
}

/** Sets a field of a plan's parameter block. */
function field(p: Plan, name: keyof typeof WINOGRAD_PARAMS, value: number): void {
  new Int32Array(p.memory.buffer, p.params + WINOGRAD_PARAMS[name], 1)[0] = value;
}

/** A fused convolution's attributes read here (the geometry's are read by conv2dGeometry). */
interface FusedAttrs extends Record<string, unknown> {
  dataFormat?: 'NHWC' | 'NCHW';
  activation?: string;
}

/**
 * `FusedConv2D` for the wasm backend: 3×3 filters at stride 1 (see {@link winogradApplies}) with
 * no bias or a float32 bias of one value per output channel, and a linear or ReLU activation, on
 * Winograd with the bias and ReLU applied as each tile's outputs are written (inference runs its
 * convolutions fused: the seed CNN's second layer 3.2–3.3 → ~1.6 ms for 32 images on two threads,
 * Node 24); with four input channels or fewer (a first layer on grey or colour images, output of
 * even height and width) on the direct SIMD loop `convSmall` (see conv-pool.ts: the seed CNN's
 * first layer 1.0 → ~0.75 ms on two threads with its pooling in the same pass). Anything else
 * goes to the backend's own kernel (XNNPACK), with 'same' padding at
 * stride > 1 given to it explicitly (its own is wrong there for non-square filters, as its
 * `Conv2D`'s). @internal
 */
export function fusedConv2dWinograd(backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args;
    const { x, filter, bias, preluActivationWeights } = inputs as Record<string, tf.TensorInfo>;
    const a = (attrs ?? {}) as FusedAttrs;
    const activation = a.activation ?? 'linear';
    const loops =
      a.dataFormat !== 'NCHW' &&
      preluActivationWeights === undefined &&
      (activation === 'linear' || activation === 'relu')
        ? fusedConvLoops(backend, x!, filter!, bias)
        : undefined;
    if (loops) {
      const info = conv2dGeometry(x!.shape, filter!.shape, attrs as never);
      const relu = activation === 'relu';
      // few input channels (a first layer): the direct SIMD convolution
      if (smallConvApplies(info))
        return smallConv(backendName, backend, loops, x!, filter!, bias, info, relu, false)[0]!;
      if (winogradApplies(info))
        return winogradConv2d(backendName, backend, loops, x!, filter!, info, { bias, relu });
    }
    // the backend's own pads 'same' wrongly at stride > 1 with non-square filters, as its Conv2D
    const own = a.dataFormat === 'NCHW' ? attrs : explicitSamePadding(x!.shape, filter!.shape, a);
    return callKernel(
      'FusedConv2D',
      backendName,
      backend as unknown as KernelBackend,
      inputs as never,
      own as never,
    );
  };
}
