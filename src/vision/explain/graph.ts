/**
 * Evaluating part of a tfjs-layers graph on concrete tensors, with chosen intermediate tensors
 * supplied from outside. Explanations need "the model's output as a function of one layer's
 * activations": feeding that layer's output (and the image, for branches that bypass it) and
 * re-running the layers downstream gives exactly that function, differentiable with `tf.grad`,
 * for sequential and functional models alike (residual and dense connections included).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Computes `target` from the tensors in `feeds` (keyed by symbolic tensor id), applying each
 * layer on the way in inference mode.
 *
 * @internal
 */
export function evaluateSymbolic(
  target: tfl.SymbolicTensor,
  feeds: Map<number, tf.Tensor>,
): tf.Tensor {
  const memo = new Map<number, tf.Tensor>(feeds);
  const visit = (st: tfl.SymbolicTensor): tf.Tensor => {
    const known = memo.get(st.id);
    if (known) return known;
    const inputs = st.inputs.map(visit);
    const layer = st.sourceLayer as tfl.layers.Layer;
    const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs, {
      ...st.callArgs,
      training: false,
    }) as tf.Tensor | tf.Tensor[];
    const value = Array.isArray(out) ? out[st.outputTensorIndex ?? 0]! : out;
    memo.set(st.id, value);
    return value;
  };
  return visit(target);
}
