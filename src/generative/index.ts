/**
 * `tfjs-medkit/generative`: the drug-discovery workload: the adversarial losses and gradient
 * penalties, the GAN trainer, SMILES representations and the molecule metrics (RDKit).
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
export {
  createDcgan,
  createMlpGan,
  createMoleculeGan,
  type DcganOptions,
  type GanModels,
  type GeneratorOutput,
  type MlpGanOptions,
  type MoleculeGanOptions,
} from './models.js';
export * from './molecules/index.js';
export {
  type GanData,
  type GanFitOptions,
  type GanFitResult,
  type GanHistory,
  type GanPrivacyReport,
  type GanSampleOptions,
  GanTrainer,
  type GanTrainerOptions,
  type GanTrainerState,
  type NamedWeight,
} from './trainer.js';
