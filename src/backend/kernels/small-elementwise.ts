/**
 * Small elementwise kernels on the multi-threaded wasm backend as plain loops on the calling
 * thread: `Add`, `Sub`, `Multiply`, `RealDiv` and `Relu` of float32 tensors of up to 16,384
 * elements. The stock kernels hand every operation, however small, to XNNPACK's thread pool, and
 * waking its worker costs ~1 ms about one call in twenty here (a 64 × 128 `Add` measured: median
 * 34 µs, 30 of 400 calls over 0.5 ms, up to 2 ms; none on one thread): a training step's losses,
 * biases and small activations are dozens of such calls. The values are the stock kernels', bit
 * for bit: each arithmetic result is computed in double precision and stored as float32 (the
 * float32 operation's correctly rounded result), and `Relu` keeps a value whose sign bit is clear
 * and gives +0 for any other, NaN with the sign bit set included, as the stock kernel does.
 * Operands of the same shape, one of a single element, a vector along the last axis, or a column
 * ([m, 1] against [m, n]) are handled; larger outputs, other broadcasts and dtypes, and the
 * single-threaded build go to the stock kernels.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend } from '../kernel-calls.js';
import { accessFor, wasmThreads } from './js-access.js';
import { unaryLoop } from './unary-cpu.js';

/** The largest output (elements) computed here. */
const SMALL = 1 << 14;

/** The operations, by index in the loop (one loop for all, the operation chosen per element). */
const KINDS = ['Add', 'Sub', 'Multiply', 'RealDiv'];

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
export function smallBinaryKernel(
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
      if (threadedOnly && wasmThreads(backend) < 2) return stock();
      const sizeA = tf.util.sizeFromShape(a.shape);
      const sizeB = tf.util.sizeFromShape(b.shape);
      // the output's shape is the larger operand's; `swapped` when that is b
      const swapped = sizeB > sizeA || (sizeB === sizeA && b.shape.length > a.shape.length);
      const [big, small] = swapped ? [b, a] : [a, b];
      const pattern = patternOf(big.shape, small.shape);
      const n = Math.max(sizeA, sizeB);
      if (!pattern || n > SMALL) return stock();
      const { out, outValues, values } = accessFor(backendName, backend).output(
        big.shape,
        [big, small],
        false,
      );
      const [x, y] = values as [Float32Array, Float32Array];
      const width = n === 0 ? 1 : (big.shape.at(-1) ?? 1);
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
 * Builds `Relu` for `backendName` (wasm), as {@link smallBinaryKernel}: x where its sign bit is
 * clear, else +0 (by the bits). @internal
 */
export function smallReluKernel(threadedOnly = true): (backendName: string) => tf.KernelFunc {
  return unaryLoop(
    'Relu',
    (x, out) => {
      const from = new Int32Array(x.buffer, x.byteOffset, x.length);
      const to = new Int32Array(out.buffer, out.byteOffset, out.length);
      for (let i = 0; i < from.length; i++) to[i] = Math.max(from[i]!, 0); // +0 for a set sign bit
    },
    (x, backend) =>
      tf.util.sizeFromShape(x.shape) <= SMALL && (!threadedOnly || wasmThreads(backend) >= 2),
  );
}
