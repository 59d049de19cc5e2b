/**
 * The training layer under every trainer (`trainClassifier`, `GanTrainer`, `fitPropertyModel`):
 * named optimizers, seeded batching, per-step dropout seeds, guards, progress and abort, early
 * stopping, and the gradient-transform hook. What is public here is what a trainer's options
 * take.
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
  type CreatedOptimizer,
  createOptimizer,
  type OptimizerChoice,
  type OptimizerName,
  type OptimizerSettings,
} from './optimizers.js';
export type { StopReason } from './training-loop.js';
