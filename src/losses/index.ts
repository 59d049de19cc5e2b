/**
 * `tfjs-medkit/losses`: the numerically stable cross-entropy family on logits and probabilities,
 * focal loss, class weights, and configurable losses for `model.compile`.
 *
 * @module
 */
export {
  type ClassWeightOptions,
  classBalancedWeights,
  computeClassWeights,
} from './class-weights.js';
export { sigmoidFocalLoss, softmaxFocalLoss, sparseSoftmaxFocalLoss } from './focal-loss.js';
export {
  createLoss,
  isMedkitLoss,
  type JsonValue,
  LOSS_NAMES,
  type LossConfig,
  type LossName,
  type LossOptions,
  type LossOptionsMap,
  lossFromConfig,
  type MedkitLoss,
} from './loss-config.js';
export type {
  CrossEntropyOptions,
  FocalOptions,
  ProbabilityCrossEntropyOptions,
  SigmoidCrossEntropyOptions,
  SparseCrossEntropyOptions,
} from './options.js';
export {
  binaryCrossEntropy,
  categoricalCrossEntropy,
  sparseCategoricalCrossEntropy,
} from './probability-cross-entropy.js';
export type { Reduction } from './reduction.js';
export { sigmoidCrossEntropy } from './sigmoid-cross-entropy.js';
export { softmaxCrossEntropy, sparseSoftmaxCrossEntropy } from './softmax-cross-entropy.js';
export { logSigmoid, logSoftmax } from './stable-math.js';
