/**
 * What the explanation methods share: checking an image against the model, choosing the class
 * to explain, and resizing a coarse map to the input's spatial size (bilinear in 2D, trilinear
 * in 3D) and scaling it to [0, 1].
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { precisionHint } from '../../backend/webgl-workarounds.js';
import { ArgumentError, BackendError, describeValue, ShapeError } from '../../core/errors.js';
import { checkFinite, formatShape, isTensor } from '../../core/tensors.js';

/** A checked image batch and what the model says about it. @internal */
export interface ExplainInput {
  /** The images as a batch `[n, ...inputShape]`. */
  batch: tf.Tensor;
  /** Whether the caller passed one image without a batch axis. */
  single: boolean;
  /** The spatial size of one image (`[h, w]` or `[d, h, w]`). */
  spatial: number[];
  /** The number of classes the model outputs. */
  numClasses: number;
  /** Whether the model ends in a softmax (outputs probabilities rather than logits). */
  probabilities: boolean;
}

/**
 * Checks the model (one input, one `[batch, classes]` output) and the image (`inputShape` or
 * `[n, ...inputShape]`, finite values), and returns the image as a batch (a new tensor the
 * caller disposes).
 *
 * @internal
 */
export async function checkExplainInput(
  fn: string,
  model: unknown,
  image: unknown,
): Promise<ExplainInput> {
  if (
    !(model instanceof tfl.LayersModel) ||
    model.inputs.length !== 1 ||
    model.outputs.length !== 1
  ) {
    throw new ArgumentError(
      `${fn}: \`model\` must be a tfjs-layers model with one input and one output. Received: ${describeValue(model)}.`,
    );
  }
  const out = model.outputs[0]!.shape;
  if (out.length !== 2 || typeof out[1] !== 'number') {
    throw new ArgumentError(
      `${fn}: the model's output must be [batch, classes]. Received: ${formatShape(out.map((d) => d ?? -1))}.`,
    );
  }
  if (!isTensor(image) || image.isDisposed) {
    throw new ArgumentError(
      `${fn}: \`image\` must be a tensor. Received: ${describeValue(image)}.`,
    );
  }
  const inputShape = model.inputs[0]!.shape.slice(1);
  const rank = inputShape.length;
  if (rank !== 3 && rank !== 4) {
    throw new ArgumentError(
      `${fn}: the model's input must be an image [h, w, c] or a volume [d, h, w, c]. Received: ${formatShape(inputShape.map((d) => d ?? -1))}.`,
    );
  }
  const single = image.rank === rank;
  if (!single && image.rank !== rank + 1) {
    throw new ShapeError(
      `${fn}: \`image\` must be ${formatShape(inputShape.map((d) => d ?? -1))} or a batch of them. Received: shape ${formatShape(image.shape)}.`,
    );
  }
  const shape = single ? image.shape : image.shape.slice(1);
  inputShape.forEach((d, i) => {
    if (d !== null && shape[i] !== d) {
      throw new ShapeError(
        `${fn}: \`image\` does not fit the model's input ${formatShape(inputShape.map((v) => v ?? -1))}. Received: shape ${formatShape(image.shape)}.`,
      );
    }
  });
  if (image.size === 0) throw new ShapeError(`${fn}: \`image\` must not be empty.`);
  await checkFinite(image, `${fn}: \`image\``);
  const batch = tf.tidy(() => {
    const f = image.dtype === 'float32' ? image : tf.cast(image, 'float32');
    return single ? tf.expandDims(f, 0) : tf.clone(f);
  });
  const last = model.layers[model.layers.length - 1];
  const activation = (last?.getConfig() as { activation?: unknown } | undefined)?.activation;
  return {
    batch,
    single,
    spatial: shape.slice(0, -1) as number[],
    numClasses: out[1],
    probabilities: activation === 'softmax',
  };
}

/**
 * The class to explain for each image: the given index (checked), or the model's top class.
 *
 * @internal
 */
export async function classesToExplain(
  fn: string,
  model: tfl.LayersModel,
  batch: tf.Tensor,
  numClasses: number,
  classIndex: number | undefined,
): Promise<number[]> {
  const n = batch.shape[0]!;
  if (classIndex !== undefined) {
    if (!Number.isInteger(classIndex) || classIndex < 0 || classIndex >= numClasses) {
      throw new ArgumentError(
        `${fn}: \`classIndex\` must be an integer in [0, ${numClasses - 1}]. Received: ${describeValue(classIndex)}.`,
      );
    }
    return new Array<number>(n).fill(classIndex);
  }
  const top = tf.tidy(() => tf.argMax(model.predict(batch) as tf.Tensor, -1));
  const values = Array.from(await top.data());
  top.dispose();
  return values;
}

/**
 * Resizes maps `[n, ...coarse]` to `[n, ...spatial]` (bilinear in 2D; in 3D bilinear over each
 * slice, then linear along depth) and scales each map to [0, 1] by its maximum (a map with no
 * positive value becomes all zeros). Negative values are clipped to 0 first.
 *
 * @internal
 */
export function toHeatmap(maps: tf.Tensor, spatial: number[]): tf.Tensor {
  return tf.tidy(() => {
    const n = maps.shape[0]!;
    let m = tf.relu(maps);
    if (spatial.length === 2) {
      const [h, w] = spatial as [number, number];
      m = tf.reshape(
        tf.image.resizeBilinear(tf.expandDims(m, -1) as tf.Tensor4D, [h, w], false, true),
        [n, h, w],
      );
    } else {
      const [d, h, w] = spatial as [number, number, number];
      const [, cd, ch, cw] = m.shape as number[];
      // slices: [n·cd, ch, cw, 1] → [n·cd, h, w]
      const slices = tf.image.resizeBilinear(
        tf.reshape(m, [n * cd!, ch!, cw!, 1]) as tf.Tensor4D,
        [h, w],
        false,
        true,
      );
      // depth: treat [n, cd, h·w] as images of height cd and resize the height only
      const depth = tf.image.resizeBilinear(
        tf.reshape(slices, [n, cd!, h * w, 1]) as tf.Tensor4D,
        [d, h * w],
        false,
        true,
      );
      m = tf.reshape(depth, [n, d, h, w]);
    }
    const axes = m.shape.slice(1).map((_, i) => i + 1);
    const max = tf.max(m, axes, true);
    // m ≥ 0, so an all-zero map stays zero
    return tf.div(m, tf.maximum(max, 1e-12));
  });
}

/**
 * The score whose gradient the explanations follow: the log-odds of the chosen class against
 * the others, s = z_c − log Σ_{j≠c} exp(z_j), summed over the batch (z: logits, or log
 * probabilities for a softmax model). Unlike the raw logit it measures evidence for c relative
 * to the other classes (a two-class model can raise both logits together), and unlike the
 * probability it does not saturate when the model is sure.
 *
 * @internal
 */
export function classLogOdds(
  output: tf.Tensor,
  pick: tf.Tensor,
  probabilities: boolean,
): tf.Scalar {
  return tf.tidy(() => {
    const z = probabilities ? tf.log(tf.add(output, 1e-30)) : output;
    const chosen = tf.sum(tf.mul(z, pick), -1);
    const others = tf.logSumExp(tf.add(z, tf.mul(pick, -1e30)), -1);
    return tf.sum(tf.sub(chosen, others)) as tf.Scalar;
  });
}

/**
 * The map to return: `[h, w]` (or `[d, h, w]`) for one image or a batch of one, the batch
 * otherwise. Disposes `map` when it squeezes it.
 *
 * @internal
 */
export async function returnedMap(
  map: tf.Tensor,
  input: ExplainInput,
  fn: string,
): Promise<tf.Tensor> {
  // a non-finite map (gradients that overflowed) is an error, never a picture of NaN
  const values = await map.data();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      map.dispose();
      throw new BackendError(
        `${fn}: the map came out non-finite (${values[i]}) on the ${tf.getBackend()} backend: the model's gradients overflowed${precisionHint()}.`,
      );
    }
  }
  if (!input.single && input.batch.shape[0]! > 1) return map;
  const one = tf.squeeze(map, [0]);
  map.dispose();
  return one;
}
