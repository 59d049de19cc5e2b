/**
 * Learning-rate schedules: constant, step decay, cosine annealing, each with an optional linear
 * warm-up, or any function of the training position. Shared by the library's trainers.
 *
 * @module
 */
import { ArgumentError, describeValue } from './errors.js';

/** Where training stands, for a schedule. */
export interface SchedulePosition {
  /** The current epoch, 1-based. */
  epoch: number;
  /** Steps completed before the current one, over the whole run. */
  step: number;
  /** Steps planned over the whole run (0 when unknown). */
  totalSteps: number;
  /** Steps per epoch (0 when unknown). */
  stepsPerEpoch: number;
}

/** Step decay: the rate times `gamma` every `everyEpochs` epochs. */
export interface StepSchedule {
  /** The kind of schedule. */
  type: 'step';
  /** Epochs between decays (≥ 1). */
  everyEpochs: number;
  /** The factor of each decay. Defaults to 0.1. */
  gamma?: number;
}

/** Cosine annealing from the base rate to `minLearningRate` over the run. */
export interface CosineSchedule {
  /** The kind of schedule. */
  type: 'cosine';
  /** The rate at the end of the run. Defaults to 0. */
  minLearningRate?: number;
}

/**
 * A learning-rate schedule: a name, an object with its parameters, or a function of the base
 * rate and the position.
 *
 * - `'constant'`: the base rate throughout.
 * - `{ type: 'step', everyEpochs, gamma }`: multiply by `gamma` (default 0.1) every
 *   `everyEpochs` epochs.
 * - `'cosine'` / `{ type: 'cosine', minLearningRate }`: from the base rate down to
 *   `minLearningRate` (default 0) along half a cosine over the run (Loshchilov & Hutter 2017).
 * - a function `(baseRate, position) => rate`.
 */
export type LearningRateSchedule =
  | 'constant'
  | 'cosine'
  | StepSchedule
  | CosineSchedule
  | ((baseRate: number, position: SchedulePosition) => number);

/**
 * The learning rate at `position`: the schedule's rate, scaled linearly from 1/(w+1) up to 1
 * over the first `warmupSteps` steps (Goyal et al. 2017).
 *
 * @param schedule - see {@link LearningRateSchedule}.
 * @param baseRate - the base learning rate.
 * @param position - where training stands.
 * @param warmupSteps - steps of linear warm-up. Defaults to 0.
 * @returns the rate to use for the next step.
 * @throws {@link ArgumentError} for an unknown schedule or a rate that is not a finite number ≥ 0.
 *
 * @example
 * ```ts
 * learningRateAt('cosine', 1e-3, { epoch: 1, step: 50, totalSteps: 100, stepsPerEpoch: 10 }); // 5e-4
 * learningRateAt({ type: 'step', everyEpochs: 10 }, 1e-3, { epoch: 11, step: 100, totalSteps: 0, stepsPerEpoch: 10 }); // 1e-4
 * ```
 */
export function learningRateAt(
  schedule: LearningRateSchedule,
  baseRate: number,
  position: SchedulePosition,
  warmupSteps = 0,
): number {
  let rate: number;
  if (typeof schedule === 'function') {
    rate = schedule(baseRate, position);
  } else if (schedule === 'constant') {
    rate = baseRate;
  } else if (
    schedule === 'cosine' ||
    (typeof schedule === 'object' && schedule.type === 'cosine')
  ) {
    const min = typeof schedule === 'object' ? (schedule.minLearningRate ?? 0) : 0;
    const span = Math.max(1, position.totalSteps - warmupSteps);
    // Unknown run length (a streamed dataset's first epoch): hold the base rate.
    const t =
      position.totalSteps > 0 ? Math.min(1, Math.max(0, (position.step - warmupSteps) / span)) : 0;
    rate = min + ((baseRate - min) * (1 + Math.cos(Math.PI * t))) / 2;
  } else if (typeof schedule === 'object' && schedule.type === 'step') {
    const every = schedule.everyEpochs;
    if (!Number.isInteger(every) || every < 1) {
      throw new ArgumentError(
        `learning-rate schedule: \`everyEpochs\` must be an integer ≥ 1. Received: ${describeValue(every)}.`,
      );
    }
    rate = baseRate * (schedule.gamma ?? 0.1) ** Math.floor((position.epoch - 1) / every);
  } else {
    throw new ArgumentError(
      `learning-rate schedule must be 'constant', 'cosine', { type: 'step', … }, { type: 'cosine', … } or a function. Received: ${describeValue(schedule)}.`,
    );
  }
  if (warmupSteps > 0 && position.step < warmupSteps) {
    rate *= (position.step + 1) / (warmupSteps + 1);
  }
  if (!Number.isFinite(rate) || rate < 0) {
    throw new ArgumentError(
      `learning-rate schedule gave ${describeValue(rate)} at epoch ${position.epoch}, step ${position.step}; a rate must be a finite number ≥ 0.`,
    );
  }
  return rate;
}
