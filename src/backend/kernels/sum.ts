/**
 * `Sum` over leading or trailing axes for the cpu and wasm backends, without the transpose that
 * both perform before a reduction over leading axes (on wasm, column sums by WebAssembly SIMD
 * into float64 accumulators). Bias gradients reduce dy [b, h, w, c] over its
 * leading axes, a large share of a CNN training step on cpu. Float64 accumulation. Other
 * axis patterns and non-float dtypes go to the backend's own kernel.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { callKernel } from '../kernel-calls.js';
import { accessFor, heapOffset } from './js-access.js';
import { simdFor } from './simd/modules.js';

/** Builds the kernel function for `backendName`. @internal */
export function sumLeadingOrTrailing(backendName: string): tf.KernelFunc {
  return (args) => {
    const { inputs, backend } = args;
    const attrs = args.attrs ?? {};
    const { x } = inputs as { x: tf.TensorInfo };
    const rank = x.shape.length;
    const axes = tf.util
      .parseAxisParam(attrs.axis as number | number[], x.shape)
      .sort((a, b) => a - b);
    const keepDims = Boolean(attrs.keepDims);
    const contiguous = axes.every((a, i) => i === 0 || a === axes[i - 1]! + 1);
    const leading = contiguous && axes[0] === 0;
    const trailing = contiguous && axes.at(-1) === rank - 1;
    // wasm reduces innermost axes well by itself; it transposes first for leading ones
    const own = backendName === 'wasm' ? !leading : !(leading || trailing);
    if (x.dtype !== 'float32' || axes.length === 0 || own) {
      return callKernel('Sum', backendName, backend as never, inputs as never, attrs as never);
    }
    const reduced = axes.reduce((p, a) => p * x.shape[a]!, 1);
    const kept = x.shape.reduce((p, d) => p * d, 1) / Math.max(1, reduced);
    const outShape = keepDims
      ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d))
      : x.shape.filter((_, i) => !axes.includes(i));
    const access = accessFor(backendName, backend);
    const loops =
      backendName === 'wasm' && leading && kept % 4 === 0 ? simdFor(backend) : undefined;
    if (loops) {
      // float64 accumulators in a scratch tensor on the heap, summed row by row by SIMD
      const scratch = access.output([2 * kept], []);
      const at = heapOffset(backend, scratch.out);
      let result: tf.TensorInfo | undefined;
      if (at % 8 === 0) {
        loops.addRows(heapOffset(backend, x), at, reduced, 4 * kept);
        const { out, outValues } = access.output(outShape, [], false);
        // the second allocation may have grown the heap: view the accumulators through the new buffer
        outValues.set(new Float64Array(outValues.buffer, at, kept));
        result = out;
      }
      (backend as tf.KernelBackend).disposeData(scratch.out.dataId);
      if (result) return result;
    }
    const { out, outValues, values } = access.output(outShape, [x], false); // set whole below
    const xv = values[0]!;
    const acc = new Float64Array(kept);
    if (leading) {
      // x viewed as [reduced, kept]: column sums
      for (let r = 0; r < reduced; r++) {
        const o = r * kept;
        for (let k = 0; k < kept; k++) acc[k]! += xv[o + k]!;
      }
    } else {
      // x viewed as [kept, reduced]: row sums
      for (let k = 0; k < kept; k++) {
        let s = 0;
        const o = k * reduced;
        for (let r = 0; r < reduced; r++) s += xv[o + r]!;
        acc[k] = s;
      }
    }
    outValues.set(acc);
    return out;
  };
}
