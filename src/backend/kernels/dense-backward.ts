/**
 * A dense layer's forward and backward passes as one kernel call each.
 *
 * `MedkitDenseBackward`: the whole backward pass as one kernel call. From the
 * layer's input x [M, K], weights w [K, N], output y [M, N] (after the activation) and the
 * gradient dy [M, N] of the loss with respect to y, it returns
 *   δ  = dy ⊙ act'(y)   (the activation's gradient, from y),
 *   dx = δ · wᵀ,  dw = xᵀ · δ,  db = Σ_rows δ   (db only when the layer has a bias).
 * The products and the sum are the backend's registered `BatchMatMul` and `Sum` (the library's,
 * after registerTrainingKernels), called at the TensorInfo level, and δ is tfjs-core's gradient
 * arithmetic in float32, so every value is bit for bit that of tfjs's own composition of five
 * to eight engine calls (tested); only the dispatch goes. Row i of δ and of x are example i's
 * own (the per-example pieces DP-SGD's norms are made of): the kernel does not mix examples
 * until the products.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callRegistered, type KernelBackend, release } from '../kernel-calls.js';
import { accessFor } from './js-access.js';
import { RELU_GRAD } from './leaky-relu.js';

/** The kernel's name. @internal */
export const DENSE_BACKWARD = 'MedkitDenseBackward';

/** The activations whose gradient the kernel computes from the layer's output. @internal */
export const DENSE_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;
/** One of {@link DENSE_ACTIVATIONS}. @internal */
export type DenseActivation = (typeof DENSE_ACTIVATIONS)[number];

/**
 * δ = dy ⊙ act'(y), rounded as tfjs-core's gradients round each op: relu dy·step(y) (the
 * registered `MedkitReluGrad`: SIMD on wasm, the same products); sigmoid dy·(y·(1 − y)); tanh
 * (1 − y²)·dy. @internal
 */
export function activationGradient(
  backendName: string,
  backend: unknown,
  activation: Exclude<DenseActivation, 'linear'>,
  dy: tf.TensorInfo,
  y: tf.TensorInfo,
): tf.TensorInfo {
  if (activation === 'relu') return callRegistered(RELU_GRAD, backendName, backend, { dy, x: y });
  const { out, outValues, values } = accessFor(backendName, backend).output(
    dy.shape,
    [dy, y],
    false,
  );
  const [d, v] = values as [Float32Array, Float32Array];
  const f = Math.fround;
  const n = outValues.length;
  if (activation === 'sigmoid')
    for (let i = 0; i < n; i++) outValues[i] = d[i]! * f(v[i]! * f(1 - v[i]!));
  else for (let i = 0; i < n; i++) outValues[i] = f(1 - f(v[i]! * v[i]!)) * d[i]!;
  return out;
}

/**
 * The same data seen with another shape of the same size (as `Reshape` gives it, without a
 * kernel call): a view for reading, or an output renamed before it is returned. @internal
 */
export const view = (info: tf.TensorInfo, shape: number[]): tf.TensorInfo => ({ ...info, shape });

/** A product by the registered `BatchMatMul`, on rank-3 views as tfjs-core's matMul passes them. */
function product(
  backendName: string,
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo {
  const out = callRegistered(
    'BatchMatMul',
    backendName,
    backend,
    { a: view(a, [1, ...a.shape]), b: view(b, [1, ...b.shape]) },
    { transposeA, transposeB },
  );
  return view(out, out.shape.slice(1));
}

/** Which gradients a backward call computes. @internal */
export interface DenseWants {
  /** dx (the layer's input takes part in the gradient). */
  dx: boolean;
  /** dw. */
  dw: boolean;
  /** db (the layer has a bias that takes part). */
  db: boolean;
}

/**
 * Builds the backward kernel's function for `backendName` (cpu or wasm): outputs dx, dw and db,
 * each only when its attribute asks for it, in that order. @internal
 */
export function denseBackwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, w, dy, y } = inputs as Record<string, tf.TensorInfo>;
    const { activation, ...want } = attrs as unknown as DenseWants & {
      activation: DenseActivation;
    };
    const delta =
      activation === 'linear' ? dy! : activationGradient(backendName, backend, activation, dy!, y!);
    const outs: tf.TensorInfo[] = [];
    if (want.dx) outs.push(product(backendName, backend, delta, w!, false, true));
    if (want.dw) outs.push(product(backendName, backend, x!, delta, true, false));
    if (want.db)
      outs.push(callRegistered('Sum', backendName, backend, { x: delta }, { axis: [0] }));
    if (delta !== dy) release(backend as unknown as KernelBackend, delta);
    return outs;
  };
}

/** The forward kernel's name. @internal */
export const DENSE_FORWARD = 'MedkitDenseForward';

/**
 * `MedkitDenseForward`: act(x · w + b) as one kernel call, by the registered `_FusedMatMul`
 * (product, bias, and relu when asked) on rank-3 views and, for sigmoid and tanh, the registered
 * activation kernel: the kernels, and so the values, of tfjs-layers' Dense. @internal
 */
export function denseForwardKernel(backendName: string): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, w, bias } = inputs as Record<string, tf.TensorInfo | undefined>;
    const { activation } = attrs as unknown as { activation: DenseActivation };
    const fused = callRegistered(
      '_FusedMatMul',
      backendName,
      backend,
      { a: view(x!, [1, ...x!.shape]), b: view(w!, [1, ...w!.shape]), ...(bias ? { bias } : {}) },
      {
        transposeA: false,
        transposeB: false,
        activation: activation === 'relu' ? 'relu' : 'linear',
      },
    );
    return activated(backendName, backend, view(fused, fused.shape.slice(1)), activation);
  };
}

/**
 * act(z) for an output `z` of a fused kernel that applied relu or nothing: sigmoid and tanh by the
 * registered kernel (`z` then released), anything else `z` itself. @internal
 */
export function activated(
  backendName: string,
  backend: unknown,
  z: tf.TensorInfo,
  activation: DenseActivation,
): tf.TensorInfo {
  if (activation !== 'sigmoid' && activation !== 'tanh') return z;
  const y = callRegistered(
    activation === 'tanh' ? 'Tanh' : 'Sigmoid',
    backendName,
    backend,
    { x: z },
    {},
  );
  release(backend as unknown as KernelBackend, z);
  return y;
}
