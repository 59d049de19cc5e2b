/**
 * Leaky ReLU and its gradient, one pass each, and ReLU's gradient. Forward: the wasm backend's
 * `LeakyRelu` is a scalar loop; this one is WebAssembly SIMD with the same rule (x < 0 ? α·x : x
 * in float32; NaN, ±0 and ±∞ included). Gradients: tfjs-core composes leaky ReLU's of three
 * kernels, Greater, Multiply and Select (where(x > 0, dy, α·dy)), and ReLU's of three, Step, Cast
 * and Multiply (dy · step(x), step NaN for NaN); `MedkitLeakyReluGrad` and `MedkitReluGrad`
 * compute the same values in one pass (SIMD on wasm, a loop on cpu).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, type KernelBackend } from '../kernel-calls.js';
import { inHalves, passHelperFor } from '../pass-helper.js';
import { accessFor, heapOffset, wasmMemoryOf } from './js-access.js';
import { simdFor } from './simd/modules.js';

/** The gradient kernel's name. @internal */
export const LEAKY_RELU_GRAD = 'MedkitLeakyReluGrad';
/** ReLU's gradient kernel's name. @internal */
export const RELU_GRAD = 'MedkitReluGrad';

/** The wasm `LeakyRelu` by SIMD (the backend's own without SIMD or for other dtypes). @internal */
export function leakyReluSimd(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const alpha = (attrs as { alpha: number }).alpha;
    const loops = x.dtype === 'float32' ? simdFor(backend) : undefined;
    if (!loops)
      return callKernel(
        'LeakyRelu',
        backendName,
        backend as KernelBackend,
        inputs as never,
        attrs as never,
      );
    const { out, outValues, values } = accessFor(backendName, backend).output(x.shape, [x], false);
    const xv = values[0]!;
    const n = xv.length;
    const n4 = n - (n % 4);
    loops.leakyRelu(heapOffset(backend, x), 0, heapOffset(backend, out), 4 * n4, alpha);
    const a = Math.fround(alpha);
    for (let i = n4; i < n; i++) outValues[i] = xv[i]! < 0 ? a * xv[i]! : xv[i]!;
    return out;
  };
}

/** Elements from which ReLU's gradient is shared with the helper thread. */
const SHARE_FROM = 1 << 16;

/**
 * A gradient kernel dx = f(dy, x) for cpu and wasm: the SIMD loop `loop` over the first multiple
 * of four elements on wasm, `scalar` (float32 results) over the rest, or all of them on cpu.
 */
function activationGradKernel(
  backendName: string,
  loop: 'leakyReluGrad' | 'reluGrad',
  scalar: (dy: number, x: number, alpha: number) => number,
): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
    const alpha = (attrs as { alpha?: number } | undefined)?.alpha ?? 0;
    const { out, outValues, values } = accessFor(backendName, backend).output(
      x.shape,
      [dy, x],
      false,
    );
    const [dv, xv] = values as [Float32Array, Float32Array];
    const n = xv.length;
    const loops = backendName === 'wasm' ? simdFor(backend) : undefined;
    const n4 = loops ? n - (n % 4) : 0;
    if (loops) {
      const [px, pdy, pout] = [
        heapOffset(backend, x),
        heapOffset(backend, dy),
        heapOffset(backend, out),
      ];
      // ReLU's gradient over a large activation: the helper thread takes the first half
      // (elementwise: the same values); α goes to it as an integer, so leaky ReLU's stays here
      const helper =
        loop === 'reluGrad' && n4 >= SHARE_FROM ? passHelperFor(wasmMemoryOf(backend)) : undefined;
      inHalves(helper, 'reluGrad', loops[loop], n4 / 4, (from, count) => [
        px + 16 * from,
        pdy + 16 * from,
        pout + 16 * from,
        16 * count,
        alpha,
      ]);
    }
    const a = Math.fround(alpha);
    for (let i = n4; i < n; i++) outValues[i] = scalar(dv[i]!, xv[i]!, a);
    return out;
  };
}

/** `MedkitLeakyReluGrad`: dx = x > 0 ? dy : α·dy, for cpu and wasm. @internal */
export function leakyReluGradKernel(backendName: string): tf.KernelFunc {
  // the float32 product α·dy, as tfjs-core's Multiply gives it
  return activationGradKernel(backendName, 'leakyReluGrad', (dy, x, a) => (x > 0 ? dy : a * dy));
}

/**
 * `MedkitReluGrad`: dx = dy · step(x), step(x) 1 above 0, NaN for NaN, else 0: the float32
 * products of tfjs-core's composition (dy·0 is −0 for negative dy, NaN for infinite dy), for cpu
 * and wasm. @internal
 */
export function reluGradKernel(backendName: string): tf.KernelFunc {
  return activationGradKernel(
    backendName,
    'reluGrad',
    (dy, x) => dy * (x > 0 ? 1 : Number.isNaN(x) ? Number.NaN : 0),
  );
}
