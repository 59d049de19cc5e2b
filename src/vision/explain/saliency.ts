/**
 * Gradient saliency (Simonyan et al. 2014): how much each pixel's value moves the class score,
 * |∂s_c/∂x| (s_c: the class's log-odds against the others) maximised over channels; with `samples` > 1, SmoothGrad (Smilkov et al. 2017)
 * averages it over seeded noisy copies of the image for a less speckled map. 2D and 3D.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { Random, type Seed } from '../../core/random.js';
import { resolveOptions } from '../../core/validate.js';
import {
  checkExplainInput,
  classesToExplain,
  classLogOdds,
  returnedMap,
  toHeatmap,
} from './explain-inputs.js';

/** Options of {@link saliencyMap}. */
export interface SaliencyOptions {
  /** The class to explain. Defaults to each image's top predicted class. */
  classIndex?: number;
  /** Noisy copies averaged (SmoothGrad); 1 is the plain gradient. Defaults to 1. */
  samples?: number;
  /** The noise's standard deviation as a share of the image's value range. Defaults to 0.15. */
  noise?: number;
  /** The seed of the noise. Defaults to 0. */
  seed?: Seed;
}

/**
 * Gradient saliency maps in [0, 1], the input's spatial size.
 *
 * @param model - a tfjs-layers classifier.
 * @param image - one image `[h, w, c]` / volume `[d, h, w, c]`, or a batch.
 * @param options - see {@link SaliencyOptions}.
 * @returns a float32 tensor `[h, w]` / `[d, h, w]` (batch axis first for a batch of n > 1); the
 *   caller disposes it.
 * @throws {@link ArgumentError} for a class index out of range or NaN pixels;
 *   {@link ShapeError} for an image that does not fit the model.
 *
 * @example
 * ```ts
 * const map = await saliencyMap(model, image, { samples: 16, seed: 1 }); // SmoothGrad
 * ```
 */
export async function saliencyMap(
  model: tfl.LayersModel,
  image: tf.Tensor,
  options?: SaliencyOptions,
): Promise<tf.Tensor> {
  const fn = 'saliencyMap';
  const o = resolveOptions(fn, options, {
    classIndex: { constraint: { kind: 'number', integer: true, min: 0 } },
    samples: { constraint: { kind: 'number', integer: true, min: 1 }, default: 1 },
    noise: { constraint: { kind: 'number', min: 0 }, default: 0.15 },
    seed: { constraint: { kind: 'seed' }, default: 0 },
  });
  const input = await checkExplainInput(fn, model, image);
  try {
    const classes = await classesToExplain(fn, model, input.batch, input.numClasses, o.classIndex);
    const rng = new Random(o.seed);
    const samples = o.samples;
    const raw = tf.tidy(() => {
      const pick = tf.cast(tf.oneHot(tf.tensor1d(classes, 'int32'), input.numClasses), 'float32');
      const score = (x: tf.Tensor) =>
        classLogOdds(model.apply(x, { training: false }) as tf.Tensor, pick, input.probabilities);
      const gradient = tf.grad(score);
      const range = tf.sub(tf.max(input.batch), tf.min(input.batch));
      let total: tf.Tensor = tf.zerosLike(input.batch);
      for (let s = 0; s < samples; s++) {
        const x =
          samples === 1
            ? input.batch
            : tf.add(
                input.batch,
                tf.mul(
                  tf.randomNormal(input.batch.shape, 0, 1, 'float32', rng.nextUint32()),
                  tf.mul(range, o.noise),
                ),
              );
        total = tf.add(total, tf.abs(gradient(x)));
      }
      return tf.max(tf.div(total, samples), -1);
    });
    const map = toHeatmap(raw, input.spatial);
    raw.dispose();
    return await returnedMap(map, input, 'saliencyMap');
  } finally {
    input.batch.dispose();
  }
}
