/**
 * Generator and discriminator factories for {@link GanTrainer}: a multilayer perceptron pair (for
 * vectors: fingerprints, one-hot molecules, tabular data) and a DCGAN pair (Radford et al. 2016)
 * for images, both optionally conditional (a condition vector as each network's second input).
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../core/errors.js';
import { Random, type Seed } from '../core/random.js';
import { resolveOptions } from '../core/validate.js';
import { type MoleculeGraphSpec, packedGraphSize } from './molecules/graph.js';

/** A generator and a discriminator (logits out), ready for `GanTrainer`. */
export interface GanModels {
  /** Noise `[n, latentDim]` (and a condition `[n, c]`) → samples. */
  generator: tfl.LayersModel;
  /** Samples (and the condition) → one logit (critic value) per sample. */
  discriminator: tfl.LayersModel;
}

/** The generator's last activation: `'tanh'` for data in [−1, 1], `'sigmoid'` for [0, 1]. */
export type GeneratorOutput = 'linear' | 'tanh' | 'sigmoid' | 'softmax';

/** Options of {@link createMlpGan}. */
export interface MlpGanOptions {
  /** The shape of one sample, e.g. `[2048]` or `[maxLength, vocabularySize]`. */
  dataShape: number[];
  /** Noise dimensions. Defaults to 64. */
  latentDim?: number;
  /** Hidden units of each network, in the generator's order (the discriminator reverses them). Defaults to [256, 256]. */
  hidden?: number[];
  /**
   * The generator's last activation. Defaults to `'tanh'`. `'softmax'` normalises over the last
   * axis (one-hot sequences such as encoded SMILES).
   */
  outputActivation?: GeneratorOutput;
  /** Width of a condition vector, for a conditional GAN. Defaults to 0 (none). */
  conditionDim?: number;
  /** Dropout rate in the discriminator. Defaults to 0. */
  dropout?: number;
  /**
   * Seed of the weight initialisers and dropout (a safe integer or a bigint); every layer's tfjs
   * seed is drawn from it. Defaults to 0, a seed like any other: two calls build the same weights.
   */
  seed?: Seed;
}

/** Options of {@link createDcgan}. */
export interface DcganOptions {
  /** Image height and width: 4 · 2^k (8, 16, 32, 64, 128…). */
  imageSize: number;
  /** Image channels. Defaults to 1. */
  channels?: number;
  /** Noise dimensions. Defaults to 100. */
  latentDim?: number;
  /** Filters of the discriminator's first convolution; doubled at each stride. Defaults to 64. */
  baseFilters?: number;
  /**
   * Batch normalisation in the discriminator. Defaults to true (the paper's); turn it off for
   * WGAN-GP, whose gradient penalty is per sample.
   */
  discriminatorBatchNorm?: boolean;
  /** Width of a condition vector, for a conditional GAN. Defaults to 0 (none). */
  conditionDim?: number;
  /**
   * Seed of the weight initialisers and dropout (a safe integer or a bigint); every layer's tfjs
   * seed is drawn from it. Defaults to 0, a seed like any other: two calls build the same weights.
   */
  seed?: Seed;
}

/** Options of {@link createMoleculeGan}. */
export interface MoleculeGanOptions {
  /** The graph encoding: element types and the most heavy atoms. */
  spec: MoleculeGraphSpec;
  /** Noise dimensions. Defaults to 32 (MolGAN's). */
  latentDim?: number;
  /** Hidden units of the generator (tanh); the discriminator uses them reversed. Defaults to [128, 256, 512]. */
  hidden?: number[];
  /** Width of a condition vector (e.g. a target property), for a conditional GAN. Defaults to 0. */
  conditionDim?: number;
  /** Dropout rate in the discriminator. Defaults to 0. */
  dropout?: number;
  /**
   * Seed of the weight initialisers and dropout (a safe integer or a bigint); every layer's tfjs
   * seed is drawn from it. Defaults to 0, a seed like any other: two calls build the same weights.
   */
  seed?: Seed;
}

const FN_MLP = 'createMlpGan';
const FN_DC = 'createDcgan';
const FN_MOL = 'createMoleculeGan';

function positiveIntegers(fn: string, name: string, value: unknown, allowEmpty = false): number[] {
  if (
    !Array.isArray(value) ||
    (!allowEmpty && value.length === 0) ||
    !value.every((v) => Number.isInteger(v) && v >= 1)
  ) {
    throw new ArgumentError(
      `${fn}: \`${name}\` must be an array of positive integers. Received: ${describeValue(value)}.`,
    );
  }
  return value as number[];
}

/** Normal(0, 0.02) weights, as DCGAN prescribes, seeded per layer. */
function initializer(seed: number) {
  return tfl.initializers.randomNormal({ mean: 0, stddev: 0.02, seed });
}

/** The model's inputs: the first, and a condition concatenated to it when conditional. */
function withCondition(
  first: tfl.SymbolicTensor,
  conditionDim: number,
  name: string,
): { inputs: tfl.SymbolicTensor[]; joined: tfl.SymbolicTensor; condition?: tfl.SymbolicTensor } {
  if (conditionDim === 0) return { inputs: [first], joined: first };
  const condition = tfl.input({ shape: [conditionDim], name: `${name}_condition` });
  const flat =
    first.shape.length > 2 ? (tfl.layers.flatten().apply(first) as tfl.SymbolicTensor) : first;
  return {
    inputs: [first, condition],
    joined: tfl.layers.concatenate().apply([flat, condition]) as tfl.SymbolicTensor,
    condition,
  };
}

/**
 * An MLP generator and discriminator: Dense → LeakyReLU(0.2) blocks, the generator ending in
 * `outputActivation` reshaped to `dataShape`, the discriminator in one logit.
 *
 * @throws `ArgumentError` for a bad option.
 * @example
 * ```ts
 * const { generator, discriminator } = createMlpGan({ dataShape: [2], latentDim: 8, hidden: [32, 32] });
 * const trainer = new GanTrainer({ generator, discriminator, seed: 1 });
 * ```
 */
export function createMlpGan(options: MlpGanOptions): GanModels {
  const o = resolveOptions(FN_MLP, options, {
    dataShape: { constraint: { kind: 'any' } },
    latentDim: { constraint: { kind: 'number', integer: true, min: 1 }, default: 64 },
    hidden: { constraint: { kind: 'any' }, default: [256, 256] },
    outputActivation: {
      constraint: { kind: 'string', oneOf: ['linear', 'tanh', 'sigmoid', 'softmax'] },
      default: 'tanh',
    },
    conditionDim: { constraint: { kind: 'number', integer: true, min: 0 }, default: 0 },
    dropout: { constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true }, default: 0 },
    seed: { constraint: { kind: 'seed' }, default: 0 },
  });
  const dataShape = positiveIntegers(FN_MLP, 'dataShape', o.dataShape);
  const hidden = positiveIntegers(FN_MLP, 'hidden', o.hidden, true);
  const latentDim = o.latentDim;
  const conditionDim = o.conditionDim;
  const rng = new Random(o.seed);
  const size = dataShape.reduce((a, b) => a * b, 1);
  const dense = (units: number, name: string) =>
    tfl.layers.dense({
      units,
      name,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: rng.tfSeed() }),
    });
  const act = () => tfl.layers.leakyReLU({ alpha: 0.2 });

  const noise = tfl.input({ shape: [latentDim], name: 'generator_noise' });
  const g = withCondition(noise, conditionDim, 'generator');
  let h = g.joined;
  hidden.forEach((units, i) => {
    h = act().apply(dense(units, `generator_dense${i + 1}`).apply(h)) as tfl.SymbolicTensor;
  });
  h = dense(size, 'generator_out').apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.reshape({ targetShape: dataShape }).apply(h) as tfl.SymbolicTensor;
  if (o.outputActivation !== 'linear') {
    h = tfl.layers.activation({ activation: o.outputActivation }).apply(h) as tfl.SymbolicTensor;
  }
  const generator = tfl.model({ inputs: g.inputs, outputs: h, name: 'mlp_generator' });

  const sample = tfl.input({ shape: dataShape, name: 'discriminator_sample' });
  const d = withCondition(sample, conditionDim, 'discriminator');
  let x =
    conditionDim === 0 && dataShape.length > 1
      ? (tfl.layers.flatten().apply(sample) as tfl.SymbolicTensor)
      : d.joined;
  [...hidden].reverse().forEach((units, i) => {
    x = act().apply(dense(units, `discriminator_dense${i + 1}`).apply(x)) as tfl.SymbolicTensor;
    if (o.dropout > 0)
      x = tfl.layers
        .dropout({ rate: o.dropout!, seed: rng.tfSeed() })
        .apply(x) as tfl.SymbolicTensor;
  });
  x = dense(1, 'discriminator_logit').apply(x) as tfl.SymbolicTensor;
  const discriminator = tfl.model({ inputs: d.inputs, outputs: x, name: 'mlp_discriminator' });
  return { generator, discriminator };
}

/**
 * A DCGAN generator and discriminator for square images `[size, size, channels]` in [−1, 1]:
 * the generator projects noise to 4×4×(8·base) and doubles the resolution with stride-2
 * transposed convolutions (batch norm, ReLU; tanh out); the discriminator halves it with stride-2
 * convolutions (LeakyReLU 0.2, batch norm after the first unless turned off) to one logit.
 * Weights are Normal(0, 0.02), as in the paper.
 *
 * @throws `ArgumentError` for a bad option (an `imageSize` that is not 4 · 2^k).
 * @example
 * ```ts
 * const { generator, discriminator } = createDcgan({ imageSize: 32, channels: 1, latentDim: 64 });
 * ```
 */
export function createDcgan(options: DcganOptions): GanModels {
  const o = resolveOptions(FN_DC, options, {
    imageSize: { constraint: { kind: 'number', integer: true, min: 8 } },
    channels: { constraint: { kind: 'number', integer: true, min: 1 }, default: 1 },
    latentDim: { constraint: { kind: 'number', integer: true, min: 1 }, default: 100 },
    baseFilters: { constraint: { kind: 'number', integer: true, min: 1 }, default: 64 },
    discriminatorBatchNorm: { constraint: { kind: 'boolean' }, default: true },
    conditionDim: { constraint: { kind: 'number', integer: true, min: 0 }, default: 0 },
    seed: { constraint: { kind: 'seed' }, default: 0 },
  });
  const size = o.imageSize;
  const steps = Math.log2(size / 4);
  if (!Number.isInteger(steps) || steps < 1) {
    throw new ArgumentError(
      `${FN_DC}: \`imageSize\` must be 4 · 2^k (8, 16, 32, 64, …). Received: ${size}.`,
    );
  }
  const channels = o.channels;
  const base = o.baseFilters;
  const conditionDim = o.conditionDim;
  const rng = new Random(o.seed);
  const bn = (name: string) =>
    tfl.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });

  const noise = tfl.input({ shape: [o.latentDim], name: 'generator_noise' });
  const g = withCondition(noise, conditionDim, 'generator');
  const top = base * 2 ** (steps - 1);
  let h = tfl.layers
    .dense({
      units: 4 * 4 * top,
      useBias: false,
      name: 'generator_project',
      kernelInitializer: initializer(rng.tfSeed()),
    })
    .apply(g.joined) as tfl.SymbolicTensor;
  h = tfl.layers.reshape({ targetShape: [4, 4, top] }).apply(h) as tfl.SymbolicTensor;
  h = tfl.layers.reLU().apply(bn('generator_bn0').apply(h)) as tfl.SymbolicTensor;
  for (let i = 1; i <= steps; i++) {
    const last = i === steps;
    h = tfl.layers
      .conv2dTranspose({
        filters: last ? channels : base * 2 ** (steps - 1 - i),
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        useBias: last,
        name: `generator_deconv${i}`,
        kernelInitializer: initializer(rng.tfSeed()),
      })
      .apply(h) as tfl.SymbolicTensor;
    h = (
      last
        ? tfl.layers.activation({ activation: 'tanh' }).apply(h)
        : tfl.layers.reLU().apply(bn(`generator_bn${i}`).apply(h))
    ) as tfl.SymbolicTensor;
  }
  const generator = tfl.model({ inputs: g.inputs, outputs: h, name: 'dcgan_generator' });

  const image = tfl.input({ shape: [size, size, channels], name: 'discriminator_image' });
  let x: tfl.SymbolicTensor = image;
  for (let i = 0; i < steps; i++) {
    x = tfl.layers
      .conv2d({
        filters: base * 2 ** i,
        kernelSize: 4,
        strides: 2,
        padding: 'same',
        useBias: i === 0 || !o.discriminatorBatchNorm,
        name: `discriminator_conv${i + 1}`,
        kernelInitializer: initializer(rng.tfSeed()),
      })
      .apply(x) as tfl.SymbolicTensor;
    if (i > 0 && o.discriminatorBatchNorm)
      x = bn(`discriminator_bn${i}`).apply(x) as tfl.SymbolicTensor;
    x = tfl.layers.leakyReLU({ alpha: 0.2 }).apply(x) as tfl.SymbolicTensor;
  }
  x = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
  const d = withCondition(x, conditionDim, 'discriminator');
  const logit = tfl.layers
    .dense({ units: 1, name: 'discriminator_logit', kernelInitializer: initializer(rng.tfSeed()) })
    .apply(d.joined) as tfl.SymbolicTensor;
  const discriminator = tfl.model({
    inputs: conditionDim > 0 ? [image, d.condition!] : [image],
    outputs: logit,
    name: 'dcgan_discriminator',
  });
  return { generator, discriminator };
}

/**
 * A generator and discriminator for molecular graphs (MolGAN, De Cao & Kipf 2018, with an MLP
 * critic in place of its relational GCN): the generator maps noise through tanh layers to two
 * heads, a softmax over atom types (and "no atom") for each atom and a softmax over bond types
 * (none, single, double, triple) for each atom pair i < j, returned packed as
 * {@link packMoleculeGraphs} packs real molecules; the discriminator reads that vector (LeakyReLU
 * 0.2 layers) and returns one logit. Decode samples with `unpackMoleculeGraphs` and
 * `decodeMoleculeGraphs`.
 *
 * @throws `ArgumentError` for a bad option or spec.
 * @example
 * ```ts
 * const spec = { atomTypes: ['C', 'N', 'O', 'F', 'S', 'Cl', 'Br'], maxAtoms: 20 };
 * const { generator, discriminator } = createMoleculeGan({ spec, seed: 1 });
 * const trainer = new GanTrainer({ generator, discriminator, loss: 'wasserstein', gradientPenaltyWeight: 10, criticSteps: 5 });
 * ```
 */
export function createMoleculeGan(options: MoleculeGanOptions): GanModels {
  const o = resolveOptions(FN_MOL, options, {
    spec: { constraint: { kind: 'object' } },
    latentDim: { constraint: { kind: 'number', integer: true, min: 1 }, default: 32 },
    hidden: { constraint: { kind: 'any' }, default: [128, 256, 512] },
    conditionDim: { constraint: { kind: 'number', integer: true, min: 0 }, default: 0 },
    dropout: { constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true }, default: 0 },
    seed: { constraint: { kind: 'seed' }, default: 0 },
  });
  const size = packedGraphSize(o.spec);
  const hidden = positiveIntegers(FN_MOL, 'hidden', o.hidden);
  const { maxAtoms } = o.spec;
  const atomColumns = o.spec.atomTypes.length + 1;
  const pairs = (maxAtoms * (maxAtoms - 1)) / 2;
  const conditionDim = o.conditionDim;
  const rng = new Random(o.seed);
  const dense = (units: number, name: string, activation?: 'tanh') =>
    tfl.layers.dense({
      units,
      name,
      activation,
      kernelInitializer: tfl.initializers.glorotUniform({ seed: rng.tfSeed() }),
    });
  const apply = (layer: { apply: (x: tfl.SymbolicTensor) => unknown }, x: tfl.SymbolicTensor) =>
    layer.apply(x) as tfl.SymbolicTensor;

  const noise = tfl.input({ shape: [o.latentDim], name: 'generator_noise' });
  const g = withCondition(noise, conditionDim, 'generator');
  let h = g.joined;
  hidden.forEach((units, i) => {
    h = apply(dense(units, `generator_dense${i + 1}`, 'tanh'), h);
  });
  // one softmax per atom and per atom pair, flattened back into the packed layout
  const head = (name: string, rows: number, columns: number) =>
    apply(
      tfl.layers.flatten(),
      apply(
        tfl.layers.softmax({ axis: -1 }),
        apply(
          tfl.layers.reshape({ targetShape: [rows, columns] }),
          apply(dense(rows * columns, name), h),
        ),
      ),
    );
  const packed = tfl.layers
    .concatenate({ name: 'generator_graph' })
    .apply([
      head('generator_atoms', maxAtoms, atomColumns),
      head('generator_bonds', pairs, 4),
    ]) as tfl.SymbolicTensor;
  const generator = tfl.model({ inputs: g.inputs, outputs: packed, name: 'molecule_generator' });

  const sample = tfl.input({ shape: [size], name: 'discriminator_graph' });
  const d = withCondition(sample, conditionDim, 'discriminator');
  let x = d.joined;
  [...hidden].reverse().forEach((units, i) => {
    x = apply(
      tfl.layers.leakyReLU({ alpha: 0.2 }),
      apply(dense(units, `discriminator_dense${i + 1}`), x),
    );
    if (o.dropout > 0) x = apply(tfl.layers.dropout({ rate: o.dropout!, seed: rng.tfSeed() }), x);
  });
  x = apply(dense(1, 'discriminator_logit'), x);
  const discriminator = tfl.model({ inputs: d.inputs, outputs: x, name: 'molecule_discriminator' });
  return { generator, discriminator };
}
