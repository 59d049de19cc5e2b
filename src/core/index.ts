/**
 * The core utilities: errors, seeded randomness, progress events, tensor checks.
 *
 * @module
 */
export { ArgumentError, BackendError, FormatError, MedkitError, ShapeError } from './errors.js';
export {
  type ProgressCallback,
  ProgressClock,
  type ProgressEvent,
  type ProgressEventType,
  type ProgressUpdate,
} from './progress.js';
export { Random, type Seed } from './random.js';
export type { TensorInput, VectorInput } from './tensors.js';
