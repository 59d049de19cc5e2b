/**
 * `tfjs-medkit/vision`: image diagnosis on CT, MRI and X-ray: classifier factories (2D and 3D),
 * the classifier trainer, and explanations.
 *
 * @module
 */

export {
  clipByGlobalNorm,
  type EarlyStoppingOptions,
  freeze,
  type GradientContext,
  type GradientTransform,
  type LayerSelector,
  type LearningRateGroup,
  type OptimizerChoice,
  type OptimizerName,
  type PrivacyOptions,
  type PrivacyReport,
  type StopReason,
  type UnfreezeStep,
  unfreeze,
} from '../training/index.js';
export * from './augment/index.js';
export {
  type DeidentificationChange,
  type DeidentifiedDicom,
  type DeidentifyOptions,
  deidentifyDicom,
  type PrivateAttribute,
} from './deid/deidentify.js';
export * from './explain/index.js';
export * from './io/index.js';
export * from './models/index.js';
export * from './preprocess/index.js';
export {
  type AugmentContext,
  type AugmentHook,
  type ClassifierData,
  type ClassLabels,
  type StreamedData,
  type TrainClassifierOptions,
  type TrainHistory,
  type TrainMetricName,
  type TrainResult,
  trainClassifier,
} from './train.js';
