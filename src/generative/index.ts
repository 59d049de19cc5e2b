/**
 * `tfjs-medkit/generative`: the drug-discovery workload's GAN building blocks: the adversarial
 * losses and the gradient penalties.
 *
 * @module
 */
export {
  ADVERSARIAL_LOSS_KINDS,
  type AdversarialLoss,
  type AdversarialLossKind,
  type AdversarialLossOptions,
  adversarialLoss,
} from './adversarial-losses.js';
export {
  type AppliesToTensors,
  type Critic,
  type GradientPenaltyOptions,
  gradientPenalty,
  r1Penalty,
} from './gradient-penalty.js';
export * from './molecules/index.js';
export {
  type GanData,
  type GanFitOptions,
  type GanFitResult,
  type GanHistory,
  GanTrainer,
  type GanTrainerOptions,
  type GanTrainerState,
  type NamedWeight,
} from './trainer.js';
