/**
 * `GanTrainer`: trains a generator and a discriminator (any tfjs-layers models) against each
 * other with its own loop over explicit variable lists, one optimizer per network (the Keras
 * `trainable`-flag recipe silently fails to train the discriminator in tfjs): n critic steps per
 * generator step, any adversarial loss, WGAN-GP or R1 penalties, conditional GANs (a label or
 * property vector fed to both networks), an exponential moving average of the generator's
 * weights, typed progress events, an AbortSignal, and seeded noise and dropout so a run repeats.
 * Its fit is a step on the library's training loop (`src/training`).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkTrainingSupport } from '../backend/check-training-support.js';
import { withoutWeightGradients } from '../backend/fused-layers.js';
import { requireSecondOrderGradients } from '../backend/second-order-gradients.js';
import { ArgumentError, type BackendError, describeValue, ShapeError } from '../core/errors.js';
import type { ProgressCallback } from '../core/progress.js';
import { Random, type Seed } from '../core/random.js';
import { checkFinite, formatShape, isTensor } from '../core/tensors.js';
import { type OptionSpecs, type Resolved, resolveOptions } from '../core/validate.js';
import { type BatchPlan, epochBatches, gatherRows, stepsPerEpoch } from '../training/batches.js';
import {
  epsilonSpent,
  type PerExamplePlan,
  type PrivacyOptions,
  type PrivacyPlan,
  type PrivacyReport,
  planPerExample,
  planPrivacy,
  poissonBatches,
  privacyReport,
  privateGradients,
} from '../training/dp-sgd.js';
import { noiseLayers, reseedNoise, type SeededLayer } from '../training/noise-seeds.js';
import { createOptimizer, type OptimizerChoice } from '../training/optimizers.js';
import { runTrainingLoop, type StopReason } from '../training/training-loop.js';
import {
  type AdversarialLoss,
  type AdversarialLossKind,
  adversarialLoss,
} from './adversarial-losses.js';
import { gradientPenalty, r1Penalty } from './gradient-penalty.js';

/** Options of {@link GanTrainer}. */
export interface GanTrainerOptions {
  /** Maps noise `[n, latentDim]` (and a condition `[n, c]` when conditional) to samples. */
  generator: tfl.LayersModel;
  /** Maps samples (and the condition) to one logit per sample `[n, 1]` or `[n]`. */
  discriminator: tfl.LayersModel;
  /** The adversarial loss: a kind or an {@link adversarialLoss} pair. Defaults to `'non-saturating'`. */
  loss?: AdversarialLossKind | AdversarialLoss;
  /** Critic (discriminator) steps per generator step. Defaults to 1 (5 is usual for WGAN-GP). */
  criticSteps?: number;
  /** λ of WGAN-GP's gradient penalty (10 in the paper). Defaults to 0 (none). */
  gradientPenaltyWeight?: number;
  /** γ of the R1 penalty (added as γ/2·R1). Defaults to 0 (none). */
  r1Weight?: number;
  /**
   * The generator's optimizer: a tfjs optimizer (the trainer does not dispose it) or a name
   * (`'adam'`, `'sgd'`, `'momentum'`, `'rmsprop'`) built with `learningRate` (and β1 0.5 for
   * Adam). Defaults to Adam(2e-4, β1 0.5, β2 0.999), DCGAN's.
   */
  generatorOptimizer?: OptimizerChoice;
  /** The discriminator's optimizer, as `generatorOptimizer`. Defaults to Adam(2e-4, β1 0.5, β2 0.999). */
  discriminatorOptimizer?: OptimizerChoice;
  /** The learning rate of named optimizers. Defaults to 2e-4. */
  learningRate?: number;
  /** Decay of the moving average of the generator's weights (e.g. 0.999); 0 for none. Defaults to 0. */
  emaDecay?: number;
  /**
   * The seed of the batches, the noise, dropout and the penalties' interpolates (a safe integer
   * or a bigint). Defaults to 0, a seed like any other: two runs with the default repeat.
   */
  seed?: Seed;
  /**
   * A differentiable reward of generated samples (and the condition), one value per sample, e.g.
   * a property model's prediction (MolGAN's reward network): the generator's loss becomes
   * `loss − rewardWeight · mean(reward)`, steering generation towards high rewards.
   */
  reward?: (samples: tf.Tensor, condition?: tf.Tensor) => tf.Tensor;
  /** The weight of `reward` in the generator's loss. Defaults to 1. */
  rewardWeight?: number;
  /**
   * Differentially private training of the discriminator (DP-GAN): each critic step's real-data
   * term is clipped per real sample to `maxGradNorm` and noised (DP-SGD, Poisson-sampled real
   * batches, one per critic step), the generated-data term added unclipped; the generator only
   * ever sees the discriminator, so it inherits the guarantee. Needs a loss whose discriminator
   * terms separate (not `'relativistic-average'`), an unconditional GAN, and no gradient
   * penalty or R1. See docs/privacy.md. Defaults to off.
   */
  privacy?: PrivacyOptions;
}

/** Options of {@link GanTrainer.sample}. */
export interface GanSampleOptions {
  /** The seed of the noise. Defaults to 0. */
  seed?: Seed;
  /** Conditions `[n, c]`, one row per sample, for a conditional GAN. */
  condition?: tf.Tensor;
  /** Use the moving-average weights, when the trainer keeps them. Defaults to `true`. */
  useEma?: boolean;
}

/** Training data: real samples, with a condition per sample for a conditional GAN. */
export interface GanData {
  /** Real samples `[n, …]`. */
  x: tf.Tensor;
  /** Conditions `[n, c]` (one-hot labels or property values), for a conditional GAN. */
  condition?: tf.Tensor;
}

/** A named weight of an optimizer (tfjs's `NamedTensor`). */
export interface NamedWeight {
  /** The weight's name. */
  name: string;
  /** Its value. */
  tensor: tf.Tensor;
}

/**
 * A snapshot of a trainer's own state, for checkpoints: the optimizers' slots, the moving
 * averages, the generator of noise and the step count (the networks' weights are saved with the
 * models). Its tensors are copies the holder disposes.
 */
export interface GanTrainerState {
  /** Generator steps taken. */
  step: number;
  /** The noise generator's state. */
  random: number[];
  /** The generator optimizer's weights. */
  generatorOptimizer: NamedWeight[];
  /** The discriminator optimizer's weights. */
  discriminatorOptimizer: NamedWeight[];
  /** The moving averages of the generator's weights, when kept. */
  ema?: tf.Tensor[];
}

/** Options of {@link GanTrainer.fit}. */
export interface GanFitOptions {
  /** Passes over the data. Defaults to 10. */
  epochs?: number;
  /** Real samples per step. Defaults to 64. */
  batchSize?: number;
  /** Receives typed progress events. */
  onProgress?: ProgressCallback;
  /** Stops at the next step when aborted. */
  signal?: AbortSignal;
}

/** What {@link GanTrainer.fit} resolves to. */
export interface GanFitResult {
  /** Per-step losses, by name. */
  history: GanHistory;
  /** Epochs completed. */
  epochs: number;
  /** Why training ended (`'earlyStopping'` never happens here). */
  stopReason: StopReason;
  /** With `privacy`: the guarantee for each real sample, and ε by the end of each epoch. */
  privacy?: GanPrivacyReport;
}

/** The differential-privacy guarantee of a private GAN fit. */
export interface GanPrivacyReport extends PrivacyReport {
  /** ε spent by the end of each epoch. */
  epsilonByEpoch: number[];
}

/** Per-step losses of a fit. */
export interface GanHistory {
  /** The discriminator's loss (penalties included) after each generator step. */
  discriminatorLoss: number[];
  /** The generator's loss of each generator step (the reward term included). */
  generatorLoss: number[];
  /** The mean reward of each generator step's samples, when there is a `reward`. */
  reward?: number[];
}

const FN = 'GanTrainer';

const TRAINER_SPECS = {
  generator: { constraint: { kind: 'object' } },
  discriminator: { constraint: { kind: 'object' } },
  loss: { constraint: { kind: 'any' }, default: 'non-saturating' },
  criticSteps: { constraint: { kind: 'number', integer: true, min: 1 }, default: 1 },
  gradientPenaltyWeight: { constraint: { kind: 'number', min: 0 }, default: 0 },
  r1Weight: { constraint: { kind: 'number', min: 0 }, default: 0 },
  generatorOptimizer: { constraint: { kind: 'any' } },
  discriminatorOptimizer: { constraint: { kind: 'any' } },
  learningRate: { constraint: { kind: 'number', min: 0, minExclusive: true }, default: 2e-4 },
  emaDecay: { constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true }, default: 0 },
  seed: { constraint: { kind: 'seed' }, default: 0 },
  reward: { constraint: { kind: 'function' } },
  rewardWeight: { constraint: { kind: 'number', min: 0 }, default: 1 },
  privacy: { constraint: { kind: 'object' } },
} as const satisfies OptionSpecs<GanTrainerOptions>;

/**
 * Adversarial training of a generator and a discriminator.
 *
 * Each step draws a batch of real samples (a seeded permutation per epoch), then `criticSteps`
 * times minimises the discriminator's loss (plus λ·GP and γ/2·R1) over the discriminator's
 * variables with fresh seeded noise, then once the generator's loss (less the weighted mean
 * reward, when there is a `reward`) over the generator's variables, then updates the moving average of the generator's weights.
 *
 * @example
 * ```ts
 * registerSecondOrderGradients(); // the penalty differentiates a gradient
 * const trainer = new GanTrainer({ generator, discriminator, loss: 'wasserstein', criticSteps: 5, gradientPenaltyWeight: 10, seed: 1 });
 * const { history } = await trainer.fit({ x: molecules }, { epochs: 50, batchSize: 64 });
 * const samples = trainer.sample(100, { seed: 7 });
 * trainer.dispose();
 * ```
 */
export class GanTrainer {
  /** The generator. */
  readonly generator: tfl.LayersModel;
  /** The discriminator. */
  readonly discriminator: tfl.LayersModel;
  /** The noise dimension (the generator's first input's size). */
  readonly latentDim: number;
  /** Whether both networks take a condition as their second input. */
  readonly conditional: boolean;
  private readonly loss: AdversarialLoss;
  private readonly options: Resolved<GanTrainerOptions, typeof TRAINER_SPECS>;
  private readonly gOpt: tf.Optimizer;
  private readonly dOpt: tf.Optimizer;
  private readonly ownOptimizers: tf.Optimizer[] = [];
  private readonly noisy: SeededLayer[];
  /** DP-GAN's plan and the critic steps it has taken, during a private fit. */
  private privateRun?: { plan: PrivacyPlan; per: PerExamplePlan; steps: number };
  private rng: Random;
  private ema?: tf.Variable[];
  private steps = 0;

  /**
   * @param options - see {@link GanTrainerOptions}.
   * @throws {@link ArgumentError} for models that are not tfjs-layers models, a generator whose
   *   output does not fit the discriminator's input, an unknown loss, or bad weights;
   *   {@link BackendError} for a penalty weight before `registerSecondOrderGradients()` has run.
   */
  constructor(options: GanTrainerOptions) {
    const o = resolveOptions(FN, options, TRAINER_SPECS);
    const { generator: G, discriminator: D } = o;
    if (!(G instanceof tfl.LayersModel) || !(D instanceof tfl.LayersModel)) {
      throw new ArgumentError(
        `${FN}: \`generator\` and \`discriminator\` must be tfjs-layers models.`,
      );
    }
    this.conditional = G.inputs.length === 2;
    if (G.inputs.length !== D.inputs.length || G.inputs.length > 2) {
      throw new ArgumentError(
        `${FN}: the generator and discriminator must both take one input, or both two (samples or noise, and a condition). Received: ${G.inputs.length} and ${D.inputs.length}.`,
      );
    }
    const latent = G.inputs[0]!.shape;
    if (latent.length !== 2 || typeof latent[1] !== 'number') {
      throw new ArgumentError(
        `${FN}: the generator's first input must be noise [batch, latentDim]. Received: ${formatShape(latent.map((d) => d ?? -1))}.`,
      );
    }
    this.latentDim = latent[1];
    const gOut = G.outputs[0]!.shape.slice(1);
    const dIn = D.inputs[0]!.shape.slice(1);
    if (gOut.length !== dIn.length || gOut.some((d, i) => d !== dIn[i])) {
      throw new ShapeError(
        `${FN}: the generator's output ${formatShape(gOut.map((d) => d ?? -1))} does not fit the discriminator's input ${formatShape(dIn.map((d) => d ?? -1))}.`,
      );
    }
    this.loss = typeof o.loss === 'string' ? adversarialLoss(o.loss) : (o.loss as AdversarialLoss);
    if (!this.loss || typeof this.loss.discriminator !== 'function') {
      throw new ArgumentError(
        `${FN}: \`loss\` must be an adversarial loss kind or adversarialLoss(...). Received: ${describeValue(o.loss)}.`,
      );
    }
    const build = (choice: OptimizerChoice | undefined) => {
      const { optimizer, owned } = createOptimizer(FN, choice, {
        learningRate: o.learningRate,
        beta1: 0.5,
      });
      if (owned) this.ownOptimizers.push(optimizer);
      return optimizer;
    };
    this.gOpt = build(o.generatorOptimizer);
    this.dOpt = build(o.discriminatorOptimizer);
    this.generator = G;
    this.discriminator = D;
    this.options = o;
    this.rng = new Random(o.seed);
    this.noisy = noiseLayers(G, D);
    if (o.privacy) {
      if (o.gradientPenaltyWeight > 0 || o.r1Weight > 0) {
        throw new ArgumentError(
          `${FN}: a gradient penalty or R1 differentiates the discriminator at each real sample outside the per-sample clipping, so it cannot be combined with \`privacy\`; train without it (a Wasserstein critic needs it: use another loss).`,
        );
      }
      if (!this.loss.discriminatorTerms) {
        throw new ArgumentError(
          `${FN}: the '${this.loss.kind}' loss mixes real and generated samples in every term, so a real sample's gradient cannot be clipped alone; use another loss with \`privacy\`.`,
        );
      }
      if (this.conditional) {
        throw new ArgumentError(
          `${FN}: \`privacy\` trains unconditional GANs (a condition is a private label too); drop the condition.`,
        );
      }
    }
    if (o.gradientPenaltyWeight > 0) requireSecondOrderGradients(FN);
    if (o.r1Weight > 0) requireSecondOrderGradients(FN);
  }

  private noise(n: number, seed: number): tf.Tensor {
    return tf.randomNormal([n, this.latentDim], 0, 1, 'float32', seed);
  }

  private run(
    model: tfl.LayersModel,
    x: tf.Tensor,
    condition: tf.Tensor | undefined,
    training: boolean,
  ): tf.Tensor {
    const out = model.apply(this.conditional ? [x, condition!] : x, { training }) as tf.Tensor;
    // the discriminator's [n, 1] logits as [n]; the generator's samples as they are
    return model === this.discriminator && out.rank === 2 && out.shape[1] === 1
      ? tf.reshape(out, [-1])
      : out;
  }

  /** One step on a real batch; returns [discriminator loss, generator loss]. */
  private async trainStep(
    reals: readonly tf.Tensor[],
    condition: tf.Tensor | undefined,
    n: number,
  ): Promise<[number, number, number?]> {
    const dVars = this.discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
    const gVars = this.generator.trainableWeights.map((w) => w.read() as tf.Variable);
    const o = this.options;
    let dLoss: tf.Scalar | null = null;
    let privateLoss = 0;
    for (let k = 0; k < o.criticSteps; k++) {
      const real = reals[k]!;
      if (this.privateRun) {
        privateLoss = await this.privateCriticStep(real, n, dVars);
        continue;
      }
      const seed = this.rng.tfSeed();
      const gpSeed = this.rng.nextUint32();
      reseedNoise(this.noisy, this.rng);
      tf.dispose(dLoss ?? []);
      // the fake batch is data to the critic: made before the gradient scope, it records no
      // generator ops and asks no product for its gradient
      const fake = tf.tidy(() => this.run(this.generator, this.noise(n, seed), condition, true));
      dLoss = this.dOpt.minimize(
        () => {
          const critic = (x: tf.Tensor) => this.run(this.discriminator, x, condition, true);
          let total = this.loss.discriminator(critic(real), critic(fake));
          if (o.gradientPenaltyWeight)
            total = tf.add(
              total,
              tf.mul(
                o.gradientPenaltyWeight,
                gradientPenalty(critic, real, fake, { seed: gpSeed }),
              ),
            );
          if (o.r1Weight) total = tf.add(total, tf.mul(o.r1Weight / 2, r1Penalty(critic, real)));
          return total as tf.Scalar;
        },
        true,
        dVars,
      );
      fake.dispose();
    }
    const real = reals[reals.length - 1]!;
    const seed = this.rng.tfSeed();
    reseedNoise(this.noisy, this.rng);
    let meanReward: tf.Tensor | undefined;
    // the critic's weights are constants of the generator's step: no products for their gradients
    const gLoss = this.gOpt.minimize(
      () => {
        const fake = this.run(this.generator, this.noise(n, seed), condition, true);
        const critic = (x: tf.Tensor) =>
          withoutWeightGradients(this.discriminator, () =>
            this.run(this.discriminator, x, condition, true),
          );
        const fakeLogits = critic(fake);
        const realLogits = this.loss.kind === 'relativistic-average' ? critic(real) : undefined;
        const adversarial = this.loss.generator(fakeLogits, realLogits);
        if (!o.reward) return adversarial;
        meanReward = tf.keep(tf.mean(o.reward(fake, condition)));
        return tf.sub(adversarial, tf.mul(o.rewardWeight, meanReward)) as tf.Scalar;
      },
      true,
      gVars,
    );
    this.updateEma();
    this.steps++;
    const [d, g, r] = await Promise.all([
      dLoss ? dLoss.data() : [privateLoss],
      gLoss!.data(),
      meanReward ? meanReward.data() : undefined,
    ]);
    tf.dispose([dLoss ?? [], gLoss!, meanReward ?? []]);
    return r ? [d[0]!, g[0]!, r[0]!] : [d[0]!, g[0]!];
  }

  /**
   * One private critic step (DP-GAN): the real-data term's gradient per real sample, clipped and
   * noised, plus the generated-data term's gradient; returns the discriminator's loss (the
   * generated-data term alone for an empty Poisson batch).
   */
  private async privateCriticStep(
    real: tf.Tensor,
    n: number,
    dVars: readonly tf.Variable[],
  ): Promise<number> {
    const run = this.privateRun!;
    const terms = this.loss.discriminatorTerms!;
    const seed = this.rng.tfSeed();
    reseedNoise(this.noisy, this.rng);
    const fake = tf.tidy(() => this.run(this.generator, this.noise(n, seed), undefined, true));
    const step = await privateGradients(
      this.discriminator,
      dVars,
      run.per,
      run.plan,
      real,
      { perExample: (out) => terms.real(tf.reshape(out, [-1])) },
      this.rng,
    );
    const { value, grads } = tf.variableGrads(
      () => tf.mean(terms.fake(this.run(this.discriminator, fake, undefined, true))) as tf.Scalar,
      [...dVars],
    );
    const combined: tf.NamedTensorMap = {};
    for (const v of dVars) {
      const g = grads[v.name];
      combined[v.name] = g ? tf.add(step.gradients[v.name]!, g) : step.gradients[v.name]!.clone();
    }
    tf.dispose([...Object.values(step.gradients), ...Object.values(grads), fake]);
    this.dOpt.applyGradients(combined);
    tf.dispose(Object.values(combined));
    const fakeTerm = (await value.data())[0]!;
    value.dispose();
    run.steps++;
    return (Number.isNaN(step.loss) ? 0 : step.loss) + fakeTerm;
  }

  /** DP-GAN: each step's real batches, one Poisson sample a critic step. */
  private *poissonBatches(plan: PrivacyPlan, x: tf.Tensor): Generator<tf.Tensor[]> {
    const n = x.shape[0]!;
    for (let s = 0; s < plan.stepsPerEpoch; s++) {
      const draws = [...poissonBatches(n, plan.sampleRate, this.options.criticSteps, this.rng)];
      yield draws.map((idx) => gatherRows([x], idx)[0]!);
    }
  }

  /** The real batches of one epoch (and their conditions), in a seeded order. */
  private *batches(plan: BatchPlan, sources: tf.Tensor[]): Generator<tf.Tensor[]> {
    for (const idx of epochBatches(plan, this.rng)) yield gatherRows(sources, idx);
  }

  /** Calls the reward on two generated samples and checks it gives one value per sample. */
  private checkReward(data: GanData): void {
    const reward = this.options.reward;
    if (!reward) return;
    tf.tidy(() => {
      const n = Math.min(2, data.x.shape[0]!);
      const condition = this.conditional ? tf.slice(data.condition!, 0, n) : undefined;
      const r = reward(this.run(this.generator, this.noise(n, 1), condition, false), condition);
      if (!isTensor(r) || r.size !== n) {
        throw new ShapeError(
          `${FN}: \`reward\` must return one value per sample ([n] or [n, 1]); for ${n} samples it returned ${isTensor(r) ? formatShape(r.shape) : describeValue(r)}.`,
        );
      }
    });
  }

  private updateEma(): void {
    const decay = this.options.emaDecay;
    if (decay <= 0) return;
    const weights = this.generator.getWeights();
    if (!this.ema) {
      this.ema = weights.map((w) => tf.variable(w.clone(), false));
      return;
    }
    tf.tidy(() => {
      for (const [i, e] of this.ema!.entries()) {
        e.assign(tf.add(tf.mul(e, decay), tf.mul(weights[i]!, 1 - decay)));
      }
    });
  }

  /**
   * Trains on real samples.
   *
   * @param data - `{ x }`, or `{ x, condition }` for a conditional GAN.
   * @param options - see {@link GanFitOptions}.
   * @returns the per-step losses and why it stopped.
   * @throws {@link ShapeError} when `x` does not fit the discriminator or the condition does not
   *   fit the networks; {@link ArgumentError} for NaN samples or a missing condition.
   */
  async fit(data: GanData, options?: GanFitOptions): Promise<GanFitResult> {
    const o = resolveOptions(`${FN}.fit`, options, {
      epochs: { constraint: { kind: 'number', integer: true, min: 1 }, default: 10 },
      batchSize: { constraint: { kind: 'number', integer: true, min: 1 }, default: 64 },
      onProgress: { constraint: { kind: 'function' } },
      signal: { constraint: { kind: 'object' } },
    });
    const x = data?.x;
    if (!isTensor(x) || x.shape[0] === 0)
      throw new ArgumentError(`${FN}.fit: \`data.x\` must be a non-empty tensor of real samples.`);
    const dIn = this.discriminator.inputs[0]!.shape.slice(1);
    if (x.rank !== dIn.length + 1 || dIn.some((d, i) => d !== null && d !== x.shape[i + 1])) {
      throw new ShapeError(
        `${FN}.fit: \`data.x\` ${formatShape(x.shape)} does not fit the discriminator's input ${formatShape(dIn.map((d) => d ?? -1))}.`,
      );
    }
    if (this.conditional && !isTensor(data.condition))
      throw new ArgumentError(`${FN}.fit: a conditional GAN needs \`data.condition\`.`);
    await checkFinite(x, `${FN}.fit: \`data.x\``);
    // a missing kernel or gradient (e.g. wasm's convolution backprops) fails here, named
    checkTrainingSupport(this.generator);
    checkTrainingSupport(this.discriminator);
    this.checkReward(data);
    const n = x.shape[0]!;
    const plan: BatchPlan = {
      size: n,
      batchSize: Math.min(o.batchSize, n),
      shuffle: true,
      dropRemainder: true,
    };
    const sources = this.conditional ? [x, data.condition!] : [x];
    const criticSteps = this.options.criticSteps;
    const privacy = this.options.privacy;
    let dp: { plan: PrivacyPlan; per: PerExamplePlan; steps: number } | undefined;
    if (privacy) {
      const dpPlan = planPrivacy(`${FN}.fit`, privacy, n, o.batchSize, o.epochs, criticSteps);
      if (dpPlan.sampling !== 'poisson') {
        throw new ArgumentError(
          `${FN}.fit: private GAN training samples each critic step's real batch by Poisson (the accountant's assumption); remove \`sampling: 'shuffle'\`.`,
        );
      }
      dp = { plan: dpPlan, per: planPerExample(`${FN}.fit`, this.discriminator), steps: 0 };
    }
    this.privateRun = dp;
    try {
      const run = await runTrainingLoop<tf.Tensor[]>({
        fn: `${FN}.fit`,
        models: [this.generator, this.discriminator],
        label: 'gan',
        epochs: o.epochs,
        stepsPerEpoch: dp ? dp.plan.stepsPerEpoch : stepsPerEpoch(plan),
        batches: dp ? () => this.poissonBatches(dp.plan, x) : () => this.batches(plan, sources),
        release: (batch) => tf.dispose(batch),
        keepSteps: true,
        progressLoss: 'generatorLoss',
        guard: ['discriminatorLoss', 'generatorLoss'],
        guardHint: () => 'lower the learning rates or add a gradient penalty',
        step: async (batch) => {
          try {
            // private: one Poisson batch a critic step; else one batch (and condition) for all
            const reals = dp ? batch : Array.from({ length: criticSteps }, () => batch[0]!);
            const size = dp ? dp.plan.expectedBatch : batch[0]!.shape[0]!;
            const [d, g, r] = await this.trainStep(reals, dp ? undefined : batch[1], size);
            return {
              size,
              figures: {
                generatorLoss: g,
                discriminatorLoss: d,
                ...(r !== undefined ? { reward: r } : {}),
              },
            };
          } finally {
            tf.dispose(batch);
          }
        },
        ...(dp ? { endEpoch: async () => ({ epsilon: epsilonSpent(dp.plan, dp.steps) }) } : {}),
        ...(o.onProgress ? { onProgress: o.onProgress } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      });
      const history: GanHistory = {
        discriminatorLoss: run.steps.discriminatorLoss ?? [],
        generatorLoss: run.steps.generatorLoss ?? [],
        ...(this.options.reward ? { reward: run.steps.reward ?? [] } : {}),
      };
      return {
        history,
        epochs: run.epochs,
        stopReason: run.stopReason,
        ...(dp
          ? {
              privacy: {
                ...privacyReport(dp.plan, dp.steps),
                epsilonByEpoch: run.history.epsilon ?? [],
              },
            }
          : {}),
      };
    } finally {
      this.privateRun = undefined;
    }
  }

  /**
   * Generates `n` samples from seeded noise, with the moving-average weights when there are any
   * (and `useEma` is not false).
   *
   * @param n - how many.
   * @param options - see {@link GanSampleOptions}.
   * @returns a new tensor of samples.
   * @throws {@link ArgumentError} for a conditional GAN without a condition, or a bad option;
   *   {@link ShapeError} for a condition without one row per sample.
   */
  sample(n: number, options?: GanSampleOptions): tf.Tensor {
    const fn = `${FN}.sample`;
    if (!Number.isInteger(n) || n < 1)
      throw new ArgumentError(
        `${fn}: \`n\` must be an integer ≥ 1. Received: ${describeValue(n)}.`,
      );
    const o = resolveOptions(fn, options, {
      seed: { constraint: { kind: 'seed' }, default: 0 },
      condition: { constraint: { kind: 'any' } },
      useEma: { constraint: { kind: 'boolean' }, default: true },
    });
    const { condition } = o;
    if (this.conditional && !isTensor(condition))
      throw new ArgumentError(`${fn}: a conditional GAN needs \`condition\`.`);
    if (isTensor(condition) && condition.shape[0] !== n) {
      throw new ShapeError(
        `${fn}: \`condition\` must hold one row per sample (${n}). Received: shape ${formatShape(condition.shape)}.`,
      );
    }
    const seed = new Random(o.seed).tfSeed();
    const swap = this.ema && o.useEma;
    const saved = swap ? this.generator.getWeights().map((w) => w.clone()) : [];
    try {
      if (swap) this.generator.setWeights(this.ema!);
      return tf.tidy(() => this.run(this.generator, this.noise(n, seed), condition, false));
    } finally {
      if (swap) {
        this.generator.setWeights(saved);
        tf.dispose(saved);
      }
    }
  }

  /** Generator steps taken so far. */
  get step(): number {
    return this.steps;
  }

  /**
   * A copy of the trainer's own state (see {@link GanTrainerState}); `tfjs-medkit/node`'s
   * `saveGanCheckpoint` writes it next to the models.
   */
  async getState(): Promise<GanTrainerState> {
    const copy = async (opt: tf.Optimizer) =>
      (await opt.getWeights()).map((w) => ({ name: w.name, tensor: w.tensor.clone() }));
    return {
      step: this.steps,
      random: this.rng.getState(),
      generatorOptimizer: await copy(this.gOpt),
      discriminatorOptimizer: await copy(this.dOpt),
      ...(this.ema ? { ema: this.ema.map((e) => e.clone()) } : {}),
    };
  }

  /**
   * Restores a state from {@link GanTrainer.getState} (on a trainer over the same networks, e.g.
   * loaded from a checkpoint): training then continues exactly as it would have. Does not dispose
   * `state`.
   *
   * @throws {@link ArgumentError} for a state that is not one `getState` returned.
   */
  async setState(state: GanTrainerState): Promise<void> {
    if (
      !state ||
      !Number.isInteger(state.step) ||
      !Array.isArray(state.generatorOptimizer) ||
      !Array.isArray(state.discriminatorOptimizer)
    ) {
      throw new ArgumentError(
        `${FN}.setState: \`state\` must be one GanTrainer.getState returned.`,
      );
    }
    this.rng = Random.fromState(state.random);
    this.steps = state.step;
    // Optimizers copy what they are given into variables of their own (`tensor.variable()`), and
    // so does tf.variable: the state stays the caller's.
    await this.gOpt.setWeights(state.generatorOptimizer);
    await this.dOpt.setWeights(state.discriminatorOptimizer);
    tf.dispose(this.ema ?? []);
    this.ema = state.ema?.map((e) => tf.variable(e, false));
  }

  /** Disposes the trainer's optimizers (those it created) and moving averages; the models stay. */
  dispose(): void {
    for (const opt of this.ownOptimizers) opt.dispose();
    tf.dispose(this.ema ?? []);
    this.ema = undefined;
  }
}
