/**
 * The activations of tfjs's fused kernels (`FusedConv2D`, `_FusedMatMul`), applied after the
 * library's own product by the backend's activation kernels: one place for the names tfjs uses;
 * and `_FusedMatMul` itself as the library's product, the bias and the activation.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import { callKernel, callRegistered, type KernelBackend, release } from '../kernel-calls.js';

/** tfjs's fused activation names and the kernels that compute them. */
const ACTIVATION_KERNELS: Record<string, string> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

/** True for `linear` (or none) and the activations {@link activate} applies. @internal */
export function knownActivation(activation: unknown): boolean {
  return (
    activation === undefined ||
    activation === 'linear' ||
    (typeof activation === 'string' && activation in ACTIVATION_KERNELS)
  );
}

/**
 * `activation` applied to `x` by the backend's registered kernel (the library's where it replaced
 * the backend's, with the same values; x itself for `linear`; x released otherwise). @internal
 */
export function activate(
  backendName: string,
  backend: KernelBackend,
  x: tf.TensorInfo,
  activation: string | undefined,
  leakyreluAlpha: unknown,
  preluActivationWeights?: tf.TensorInfo,
): tf.TensorInfo {
  if (activation === undefined || activation === 'linear') return x;
  const kernel = ACTIVATION_KERNELS[activation]!;
  const out =
    activation === 'prelu'
      ? callRegistered(kernel, backendName, backend, { x, alpha: preluActivationWeights! })
      : callRegistered(
          kernel,
          backendName,
          backend,
          { x },
          activation === 'leakyrelu' ? { alpha: leakyreluAlpha } : {},
        );
  release(backend, x);
  return out;
}

/**
 * `_FusedMatMul` (every dense layer with a bias or an activation) as `product` (the library's
 * `BatchMatMul` for the backend), then the bias by the backend's `Add` and the activation by its
 * own kernel. The stock cpu kernel's product is its slow blocked loop; the stock wasm kernel packs the weights for XNNPACK for every new weights tensor,
 * which a training step pays for every layer (the weights change every step). With
 * `stockAfter`, weights used that many times already go to the stock kernel: inference, where
 * XNNPACK keeps the packed copy and runs on the backend's threads. Activations tfjs does not name
 * go to the stock kernel too. @internal
 */
export function fusedMatMulComposed(
  product: (backendName: string) => tf.KernelFunc,
  { stockAfter = Number.POSITIVE_INFINITY } = {},
): (backendName: string) => tf.KernelFunc {
  return (backendName) => {
    const multiply = product(backendName);
    // uses of each right operand so far (the weights, in a dense layer)
    const uses = new WeakMap<object, number>();
    return (args) => {
      const { inputs, backend } = args;
      const attrs = (args.attrs ?? {}) as Record<string, unknown>;
      const { a, b, bias, preluActivationWeights } = inputs as Record<
        string,
        tf.TensorInfo | undefined
      >;
      const kb = backend as unknown as KernelBackend;
      const activation = attrs.activation as string | undefined;
      const { transposeA, transposeB } = attrs;
      let used = 0;
      if (stockAfter < Number.POSITIVE_INFINITY) {
        used = uses.get(b!.dataId) ?? 0;
        uses.set(b!.dataId, used + 1);
      }
      // the stock wasm kernel adds a bias along the wrong axis when an operand is transposed,
      // and refuses a bias of rank 2 or more
      const stockRight = !bias || (bias.shape.length <= 1 && !transposeA && !transposeB);
      if (!knownActivation(activation) || (used >= stockAfter && stockRight))
        return callKernel('_FusedMatMul', backendName, kb, inputs as never, attrs as never);
      let out = multiply({
        inputs: { a: a!, b: b! },
        backend,
        attrs: { transposeA, transposeB },
      } as never) as tf.TensorInfo;
      if (bias) {
        const sum = callRegistered('Add', backendName, kb, { a: out, b: bias });
        release(kb, out);
        out = sum;
      }
      return activate(
        backendName,
        kb,
        out,
        activation,
        attrs.leakyreluAlpha,
        preluActivationWeights,
      );
    };
  };
}
