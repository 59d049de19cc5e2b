/**
 * Grad-CAM (Selvaraju et al. 2017): which regions of the image drove the prediction. The
 * feature maps A of a convolutional layer are weighted by the spatially averaged gradient of
 * the class score with respect to them, summed over channels and rectified:
 * L = ReLU(Σ_k α_k·A_k) with α_k = mean over positions of ∂s_c/∂A_k, then resized to the input
 * and scaled to [0, 1]. For networks whose convolutions feed flatten and dense layers (the
 * classic CNN), the position-wise weighting of LayerCAM is used instead (option `weighting`). The score s_c is the class's log-odds against the other classes,
 * z_c − log Σ_{j≠c} exp(z_j): evidence for c relative to the rest that does not saturate when
 * the model is sure. 2D and 3D models.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../../core/errors.js';
import { resolveOptions } from '../../core/validate.js';
import {
  checkExplainInput,
  classesToExplain,
  classLogOdds,
  returnedMap,
  toHeatmap,
} from './explain-inputs.js';
import { evaluateSymbolic } from './graph.js';

/** Options of {@link gradCam}. */
export interface GradCamOptions {
  /** The convolutional layer whose feature maps are weighted. Defaults to the last one. */
  layerName?: string;
  /** The class to explain. Defaults to each image's top predicted class. */
  classIndex?: number;
  /**
   * How the gradients weight the feature maps. `'global'`: one weight per channel, the
   * spatially averaged gradient (Grad-CAM as published; exact for networks that end in global
   * pooling, where it equals CAM). `'local'`: every position weighted by its own positive
   * gradient, ReLU(Σ_k ReLU(∂s/∂A_k)·A_k) (LayerCAM, Jiang et al. 2021), faithful when a flatten
   * and dense layers follow, whose weights differ by position. `'auto'`: `'global'` when the
   * model has a global pooling layer, else `'local'`. Defaults to `'auto'`.
   */
  weighting?: 'auto' | 'global' | 'local';
}

const CONV = /^(Conv2D|Conv3D|DepthwiseConv2D|SeparableConv2D|Conv2DTranspose)$/;

function targetLayer(
  fn: string,
  model: tfl.LayersModel,
  name: string | undefined,
): tfl.layers.Layer {
  if (name !== undefined) {
    const layer = model.layers.find((l) => l.name === name);
    if (!layer) {
      const convs = model.layers.filter((l) => CONV.test(l.getClassName())).map((l) => l.name);
      throw new ArgumentError(
        `${fn}: the model has no layer named ${describeValue(name)}. Its convolutional layers: ${convs.join(', ') || 'none'}.`,
      );
    }
    const out = layer.output;
    if (Array.isArray(out) || (out.rank !== 4 && out.rank !== 5)) {
      throw new ArgumentError(
        `${fn}: layer ${describeValue(name)} does not output feature maps ([batch, …spatial, channels]); choose a convolutional layer.`,
      );
    }
    return layer;
  }
  const convs = model.layers.filter((l) => CONV.test(l.getClassName()));
  const last = convs[convs.length - 1];
  if (!last) {
    throw new ArgumentError(
      `${fn}: the model has no convolutional layer; pass \`layerName\` of a layer with feature maps.`,
    );
  }
  return last;
}

/**
 * Grad-CAM heatmaps: where in the image the evidence for a class lies.
 *
 * @param model - a tfjs-layers classifier (one input, `[batch, classes]` output, logits or
 *   probabilities; logits give the sharper maps).
 * @param image - one image `[h, w, c]` / volume `[d, h, w, c]`, or a batch of them.
 * @param options - see {@link GradCamOptions}.
 * @returns a float32 tensor of the input's spatial size (`[h, w]` or `[d, h, w]`; for a batch of
 *   n > 1 images `[n, h, w]` / `[n, d, h, w]`) with values in [0, 1]; the caller disposes it.
 * @throws {@link ArgumentError} for an unknown layer or one without feature maps, a class index
 *   out of range, NaN pixels; {@link ShapeError} for an image that does not fit the model.
 *
 * @example
 * ```ts
 * const heatmap = await gradCam(model, image); // [h, w] in [0, 1]
 * const rgba = await overlayHeatmap(image, heatmap); // for a canvas
 * ```
 */
export async function gradCam(
  model: tfl.LayersModel,
  image: tf.Tensor,
  options?: GradCamOptions,
): Promise<tf.Tensor> {
  const fn = 'gradCam';
  const o = resolveOptions(fn, options, {
    layerName: { constraint: { kind: 'any' } },
    classIndex: { constraint: { kind: 'number', integer: true, min: 0 } },
    weighting: {
      constraint: { kind: 'string', oneOf: ['auto', 'global', 'local'] },
      default: 'auto',
    },
  });
  const input = await checkExplainInput(fn, model, image);
  try {
    const layer = targetLayer(fn, model, o.layerName);
    const weighting =
      o.weighting === 'auto' || o.weighting === undefined
        ? model.layers.some((l) => /^Global(Average|Max)Pooling/.test(l.getClassName()))
          ? 'global'
          : 'local'
        : o.weighting;
    const classes = await classesToExplain(fn, model, input.batch, input.numClasses, o.classIndex);
    const feature = layer.output as tfl.SymbolicTensor;
    const modelInput = model.inputs[0]!;
    const modelOutput = model.outputs[0]!;
    const heat = tf.tidy(() => {
      const activations = evaluateSymbolic(feature, new Map([[modelInput.id, input.batch]]));
      const pick = tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), input.numClasses), 'float32');
      const score = (a: tf.Tensor) => {
        const out = evaluateSymbolic(
          modelOutput,
          new Map([
            [modelInput.id, input.batch],
            [feature.id, a],
          ]),
        );
        return classLogOdds(out, pick, input.probabilities);
      };
      const grads = tf.grad(score)(activations);
      if (weighting === 'local') return tf.sum(tf.mul(activations, tf.relu(grads)), -1);
      const spatialAxes = activations.shape.slice(1, -1).map((_, i) => i + 1);
      const alpha = tf.mean(grads, spatialAxes, true);
      return tf.sum(tf.mul(activations, alpha), -1);
    });
    const map = toHeatmap(heat, input.spatial);
    heat.dispose();
    return await returnedMap(map, input, 'gradCam');
  } finally {
    input.batch.dispose();
  }
}
