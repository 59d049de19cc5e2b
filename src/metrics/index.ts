/**
 * `tfjs-medkit/metrics`: classification metrics as clinicians and scikit-learn define them:
 * the confusion matrix, sensitivity, specificity, predictive values, F1, (balanced) accuracy,
 * ROC and precision–recall curves with their areas, calibration, and bootstrap confidence
 * intervals. Plain arrays in, numbers out (synchronously); tensors in, a promise out.
 *
 * @module
 */

export type { MatrixInput, NumericArray, VectorInput } from '../core/tensors.js';
export {
  type BootstrapMetric,
  type BootstrapOptions,
  bootstrapCi,
  type ConfidenceInterval,
} from './bootstrap.js';
export {
  type BrierScoreOptions,
  brierScore,
  type CalibrationCurve,
  type CalibrationCurveOptions,
  type CalibrationErrorOptions,
  calibrationCurve,
  expectedCalibrationError,
} from './calibration.js';
export {
  type AccuracyOptions,
  type AveragedScores,
  accuracy,
  balancedAccuracy,
  type ClassificationReport,
  type ClassificationReportOptions,
  classificationReport,
  f1Score,
  negativePredictiveValue,
  precision,
  recall,
  type ScoreAverage,
  type ScoreOptions,
  sensitivity,
  specificity,
} from './classification-scores.js';
export { type ConfusionMatrixOptions, confusionMatrix } from './confusion-matrix.js';
export type { HostScores, MetricScores, MetricVector } from './inputs.js';
export {
  type AveragePrecisionOptions,
  averagePrecision,
  type PrecisionRecallCurve,
  type PrecisionRecallCurveOptions,
  precisionRecallCurve,
} from './precision-recall.js';
export {
  type RocAucOptions,
  type RocCurve,
  type RocCurveOptions,
  rocAuc,
  rocCurve,
} from './roc.js';
