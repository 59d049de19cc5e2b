/**
 * The core utilities: errors, seeded randomness, progress events, tensor checks.
 *
 * @module
 */

export { chiSquareSf, normalTwoSidedP, normalTwoSidedZ } from './distributions.js';
export { ArgumentError, BackendError, FormatError, MedkitError, ShapeError } from './errors.js';
export {
  type ProgressCallback,
  ProgressClock,
  type ProgressEvent,
  type ProgressEventType,
  type ProgressUpdate,
} from './progress.js';
export { Random, type Seed } from './random.js';
export {
  type CosineSchedule,
  type LearningRateSchedule,
  learningRateAt,
  type SchedulePosition,
  type StepSchedule,
} from './schedule.js';
export { type Split, type SplitOptions, splitIndices, stratifiedFolds } from './split.js';
export type { MatrixInput, NumericArray, TensorInput, VectorInput } from './tensors.js';
