/**
 * Float32 `Add`, `Sub`, `Multiply`, `RealDiv` and `Relu` on the wasm backend, bit for bit the
 * stock kernels' values (NaN, ±0, ±∞ and subnormals included):
 *
 * - Small ones (up to 16,384 elements) on the multi-threaded build, as plain loops on the calling
 *   thread. The stock kernels hand every operation, however small, to XNNPACK's thread pool, and
 *   waking its worker costs ~1 ms about one call in twenty here (a 64 × 128 `Add` measured: median
 *   34 µs, 30 of 400 calls over 0.5 ms, up to 2 ms; none on one thread): a training step's losses,
 *   biases and small activations are dozens of such calls. Each arithmetic result is computed in
 *   double precision and stored as float32 (the float32 operation's correctly rounded result).
 *   Operands of the same shape, one of a single element, a vector along the last axis, or a column
 *   ([m, 1] against [m, n]) are handled, either operand the larger.
 * - Large ones by the SIMD loops (`elementwise.loops.ts`) over the backend's heap: ReLU, and the
 *   four operations with a second operand of the same shape or a vector along the last axis (a
 *   layer's bias; a width that is a multiple of 4), the larger operand first (either way round
 *   for `Add` and `Multiply`). Where a helper thread runs (`useWasmThreads`) and the output has
 *   65,536 elements or more, the helper takes the first half of the rows (elementwise: the same
 *   values on one thread or two).
 *
 * `Relu` keeps a value whose sign bit is clear and gives +0 for any other, NaN with the sign bit
 * set included, as the stock kernel does. Other broadcasts and dtypes go to the stock kernels,
 * and so do small operations on the single-threaded build.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend } from '../kernel-calls.js';
import { inHalves, passHelperFor } from '../pass-helper.js';
import { accessFor, heapOffset, wasmMemoryOf, wasmThreads } from './js-access.js';
import { type SimdLoops, simdFor } from './simd/modules.js';
import { unaryLoop } from './unary-cpu.js';

/** The largest output (elements) computed here. */
const SMALL = 1 << 14;

/** The operations, by index in the loop (one loop for all, the operation chosen per element). */
const KINDS = ['Add', 'Sub', 'Multiply', 'RealDiv'];

/** The SIMD loop of each operation. */
const ROW_LOOPS = {
  Add: 'addRows4',
  Sub: 'subRows4',
  Multiply: 'mulRows4',
  RealDiv: 'divRows4',
} as const;

/** Output elements from which a large operation is shared with the helper thread. */
const SHARE_FROM = 1 << 16;

/** How b's elements line up with a's (a the larger). */
type Pattern = 'same' | 'scalar' | 'row' | 'column';

/** For each pattern, the steps in b's index per row and per column of a (of `width` columns). */
const STEPS: Record<Pattern, (width: number) => [number, number]> = {
  same: (width) => [width, 1],
  scalar: () => [0, 0],
  row: () => [0, 1],
  column: () => [1, 0],
};

/**
 * out = x op y (y op x where `swapped`) over rows × width elements of x, y's element for row r
 * and column c at r·rowStep + c·columnStep; each result computed in double precision and stored
 * as float32.
 */
function combine(
  kind: number,
  x: Float32Array,
  y: Float32Array,
  out: Float32Array,
  rows: number,
  width: number,
  rowStep: number,
  columnStep: number,
  swapped: boolean,
): void {
  for (let r = 0, i = 0; r < rows; r++)
    for (let c = 0; c < width; c++, i++) {
      const u = x[i]!;
      const v = y[r * rowStep + c * columnStep]!;
      const p = swapped ? v : u;
      const q = swapped ? u : v;
      out[i] = kind === 0 ? p + q : kind === 1 ? p - q : kind === 2 ? p * q : p / q;
    }
}

/** The broadcast of [a, b] (a the output's shape), or undefined for one not handled here. */
function patternOf(a: number[], b: number[]): Pattern | undefined {
  const sizeB = tf.util.sizeFromShape(b);
  if (tf.util.arraysEqual(a, b)) return 'same';
  if (sizeB === 1 && b.length <= a.length) return 'scalar';
  const last = a.at(-1);
  if (b.length === 1 && b[0] === last && a.length >= 2) return 'row';
  if (
    a.length === 2 &&
    b.length === 2 &&
    b[0] === a[0] &&
    b[1] === 1 &&
    last !== undefined &&
    last > 1
  )
    return 'column';
  return undefined;
}

/**
 * Builds `kernelName` (Add, Sub, Multiply or RealDiv) for `backendName` (wasm); with
 * `threadedOnly` false it computes small operations here on one thread too (for tests). @internal
 */
export function wasmBinaryKernel(
  kernelName: string,
  threadedOnly = true,
): (backendName: string) => tf.KernelFunc {
  return (backendName) =>
    ({ inputs, backend, attrs }) => {
      const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const stock = () =>
        callKernel(
          kernelName,
          backendName,
          backend as unknown as KernelBackend,
          inputs as never,
          attrs as never,
        );
      if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock();
      const sizeA = tf.util.sizeFromShape(a.shape);
      const sizeB = tf.util.sizeFromShape(b.shape);
      // the output's shape is the larger operand's; `swapped` when that is b
      const swapped = sizeB > sizeA || (sizeB === sizeA && b.shape.length > a.shape.length);
      const [big, small] = swapped ? [b, a] : [a, b];
      const pattern = patternOf(big.shape, small.shape);
      const n = Math.max(sizeA, sizeB);
      if (!pattern) return stock();
      const width = n === 0 ? 1 : (big.shape.at(-1) ?? 1);
      if (n > SMALL) {
        const loops = simdFor(backend);
        const commutes = kernelName === 'Add' || kernelName === 'Multiply';
        const rowWise = pattern === 'same' || (pattern === 'row' && width % 4 === 0);
        if (!loops || !rowWise || (swapped && !commutes)) return stock();
        return largeBinary(
          kernelName as keyof typeof ROW_LOOPS,
          backend,
          loops,
          big,
          small,
          pattern === 'row' ? width : 0,
        );
      }
      if (threadedOnly && wasmThreads(backend) < 2) return stock();
      const { out, outValues, values } = accessFor(backendName, backend).output(
        big.shape,
        [big, small],
        false,
      );
      const [x, y] = values as [Float32Array, Float32Array];
      // y's element for x's row r, column c: r·rowStep + c·columnStep
      const [rowStep, columnStep] = STEPS[pattern](width);
      combine(
        KINDS.indexOf(kernelName),
        x,
        y,
        outValues,
        n / width,
        width,
        rowStep,
        columnStep,
        swapped,
      );
      return out;
    };
}

/**
 * A large operation by the SIMD loop of `kernelName`: x (the larger operand) op y, y of x's shape
 * (`width` 0) or a vector of `width` floats (a multiple of 4) along x's last axis.
 */
function largeBinary(
  kernelName: keyof typeof ROW_LOOPS,
  backend: unknown,
  loops: SimdLoops,
  x: tf.TensorInfo,
  y: tf.TensorInfo,
  width: number,
): tf.TensorInfo {
  const { out, outValues, values } = accessFor('wasm', backend).output(x.shape, [x, y], false);
  const n = outValues.length;
  const [px, py, po] = [heapOffset(backend, x), heapOffset(backend, y), heapOffset(backend, out)];
  const loop = ROW_LOOPS[kernelName];
  const helper = n >= SHARE_FROM ? passHelperFor(wasmMemoryOf(backend)) : undefined;
  if (width > 0) {
    // rows of `width` floats, each with all of y
    const rowBytes = 4 * width;
    inHalves(helper, loop, loops[loop], n / width, (from, count) => [
      px + from * rowBytes,
      py,
      po + from * rowBytes,
      count,
      rowBytes,
      0,
    ]);
    return out;
  }
  // the same shape: one row of the first multiple of four (vectors of 16 bytes), the rest here
  const n4 = n - (n % 4);
  inHalves(helper, loop, loops[loop], n4 / 4, (from, count) => [
    px + 16 * from,
    py + 16 * from,
    po + 16 * from,
    1,
    16 * count,
    0,
  ]);
  const [xv, yv] = values as [Float32Array, Float32Array];
  combine(
    KINDS.indexOf(kernelName),
    xv.subarray(n4),
    yv.subarray(n4),
    outValues.subarray(n4),
    1,
    n - n4,
    0,
    1,
    false,
  );
  return out;
}

/** out = x where x's sign bit is clear, else +0 (by the bits: the larger as signed integers). */
function reluBits(x: Float32Array, out: Float32Array): void {
  const from = new Int32Array(x.buffer, x.byteOffset, x.length);
  const to = new Int32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < from.length; i++) to[i] = Math.max(from[i]!, 0); // +0 for a set sign bit
}

/**
 * Builds `Relu` for `backendName` (wasm): small inputs as {@link wasmBinaryKernel}'s, large ones
 * by the SIMD loop (shared with the helper thread as the binary operations are); x where its sign
 * bit is clear, else +0 (by the bits). @internal
 */
export function wasmReluKernel(threadedOnly = true): (backendName: string) => tf.KernelFunc {
  const small = unaryLoop(
    'Relu',
    reluBits,
    (x, backend) =>
      tf.util.sizeFromShape(x.shape) <= SMALL && (!threadedOnly || wasmThreads(backend) >= 2),
  );
  return (backendName) => {
    const smallKernel = small(backendName);
    return (args) => {
      const { inputs, backend } = args;
      const { x } = inputs as { x: tf.TensorInfo };
      const n = tf.util.sizeFromShape(x.shape);
      const loops = n > SMALL && x.dtype === 'float32' ? simdFor(backend) : undefined;
      if (!loops) return smallKernel(args);
      const { out, outValues, values } = accessFor('wasm', backend).output(x.shape, [x], false);
      const n4 = n - (n % 4);
      const [px, po] = [heapOffset(backend, x), heapOffset(backend, out)];
      const helper = n >= SHARE_FROM ? passHelperFor(wasmMemoryOf(backend)) : undefined;
      inHalves(helper, 'relu', loops.relu, n4 / 4, (from, count) => [
        px + 16 * from,
        0,
        po + 16 * from,
        16 * count,
        0,
      ]);
      reluBits(values[0]!.subarray(n4), outValues.subarray(n4));
      return out;
    };
  };
}
