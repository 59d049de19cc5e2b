/**
 * A new classification head on a trained network, for a new task.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../../core/errors.js';
import { Random, type Seed } from '../../core/random.js';
import { resolveOptions } from '../../core/validate.js';

/** Options of {@link replaceHead}. */
export interface ReplaceHeadOptions {
  /** The seed of the new head's initialiser. Defaults to 0. */
  seed?: Seed;
  /** The new head's output: `'logits'` or `'probabilities'`. Defaults to the old head's. */
  output?: 'logits' | 'probabilities';
}

/**
 * The model with its last dense layer (the classifier) replaced by a new one of `numClasses`
 * units (Glorot-uniform, seeded), under the same name so the PyTorch names still map (`fc`,
 * `classifier`). The new model shares every other layer, and so every backbone weight, with the
 * old one: train and keep the new model, and let the old one go without disposing it (disposing
 * either frees the shared layers' weights).
 *
 * @param model - a classifier whose output is a dense layer.
 * @param numClasses - the new task's classes, ≥ 2.
 * @param options - see {@link ReplaceHeadOptions}.
 * @throws {@link ArgumentError} for a model that does not end in a dense layer, or a bad option.
 * @example
 * ```ts
 * const pretrained = createResNet({ inputShape: [224, 224, 3], numClasses: 1000, depth: 18, layout: 'torchvision' });
 * await loadTorchWeights(pretrained, bytes);
 * const model = replaceHead(pretrained, 2); // the same backbone, a new 2-class head
 * ```
 */
export function replaceHead(
  model: tfl.LayersModel,
  numClasses: number,
  options?: ReplaceHeadOptions,
): tfl.LayersModel {
  const fn = 'replaceHead';
  if (!(model instanceof tfl.LayersModel)) {
    throw new ArgumentError(
      `${fn}: \`model\` must be a tfjs-layers model. Received: ${describeValue(model)}.`,
    );
  }
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new ArgumentError(
      `${fn}: \`numClasses\` must be an integer ≥ 2. Received: ${describeValue(numClasses)}.`,
    );
  }
  const o = resolveOptions(fn, options, {
    seed: { constraint: { kind: 'seed' }, default: 0 },
    output: { constraint: { kind: 'string', oneOf: ['logits', 'probabilities'] } },
  });
  const head = model.layers[model.layers.length - 1];
  if (head?.getClassName() !== 'Dense' || model.outputs.length !== 1) {
    throw new ArgumentError(
      `${fn}: the model must end in one dense layer (its classifier). Received: a last layer ${head ? head.getClassName() : 'none'}.`,
    );
  }
  const config = head!.getConfig() as { activation?: string; useBias?: boolean };
  const activation = o.output
    ? o.output === 'probabilities'
      ? 'softmax'
      : 'linear'
    : (config.activation ?? 'linear');
  const features = head!.input as tfl.SymbolicTensor;
  const out = tfl.layers
    .dense({
      name: head!.name,
      units: numClasses,
      activation: activation as 'softmax' | 'linear',
      useBias: config.useBias ?? true,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: new Random(o.seed).tfSeed() }),
    })
    .apply(features) as tfl.SymbolicTensor;
  return tfl.model({ inputs: model.inputs, outputs: out, name: model.name });
}
