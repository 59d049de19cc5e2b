/**
 * The training layer under every trainer (`trainClassifier`, `GanTrainer`, `fitPropertyModel`):
 * named optimizers, seeded batching, per-step dropout seeds, guards, progress and abort, early
 * stopping, and the gradient-transform hook; and saving a model with what training needs to
 * resume (compile arguments, optimizer state) through any tfjs IOHandler or URL scheme. What is
 * public here is what a trainer's options take, and save/load.
 *
 * @module
 */
export { clipByGlobalNorm } from './clip.js';
export type { PrivacyOptions, PrivacyReport } from './dp-sgd.js';
export type { EarlyStoppingOptions } from './early-stopping.js';
export {
  freeze,
  type LayerSelector,
  type LearningRateGroup,
  type UnfreezeStep,
  unfreeze,
} from './freeze.js';
export type { GradientContext, GradientTransform } from './gradient-transform.js';
export {
  type LoadModelOptions,
  loadModel,
  type SavedModelInfo,
  type SaveModelOptions,
  saveModel,
} from './model-store.js';
export {
  type CreatedOptimizer,
  createOptimizer,
  type OptimizerChoice,
  type OptimizerName,
  type OptimizerSettings,
} from './optimizers.js';
export type {
  StoredLossOrMetric,
  StoredMedkitLoss,
  StoredOptimizer,
  StoredTrainingConfig,
} from './training-config.js';
export type { StopReason } from './training-loop.js';
