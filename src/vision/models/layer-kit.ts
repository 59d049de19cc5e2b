/**
 * What every model factory shares: checking the input shape (rank 3 → 2D image
 * `[height, width, channels]`, rank 4 → 3D volume `[depth, height, width, channels]`), picking
 * the 2D or 3D layer of each kind, seeded initialisers (one seed per layer, drawn from the
 * factory's seed, never 0, which tfjs reads as "unseeded"), and the classification head.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../../core/errors.js';
import { Random, type Seed } from '../../core/random.js';
import { formatShape } from '../../core/tensors.js';
import { type OptionSpecs, type Resolved, resolveOptions } from '../../core/validate.js';

/** A weight initialiser of tfjs-layers. @internal */
type Initializer = ReturnType<typeof tfl.initializers.heNormal>;

/** What the final layer outputs. */
export type ModelOutput = 'logits' | 'probabilities';

/** Options every classifier factory takes. */
export interface ClassifierBaseOptions {
  /**
   * One sample's shape: `[height, width, channels]` builds a 2D network, `[depth, height, width,
   * channels]` a 3D one (CT/MRI volumes). Required.
   */
  inputShape: readonly number[];
  /** The number of classes (≥ 2; the output has one unit per class). Required. */
  numClasses: number;
  /**
   * `'logits'` (unnormalised scores, for the library's losses on logits) or `'probabilities'`
   * (a softmax at the end). Defaults to `'logits'`.
   */
  output?: ModelOutput;
  /** Dropout rate before the last dense layer. Defaults to 0. */
  dropout?: number;
  /** Seed of the weight initialisers: the same seed builds the same weights. Defaults to 0. */
  seed?: Seed;
  /** The model's name; layer names start with it. Defaults to the factory's family name. */
  name?: string;
}

/** Option specs of {@link ClassifierBaseOptions}. @internal */
export const BASE_SPECS = {
  inputShape: { constraint: { kind: 'any' } },
  numClasses: { constraint: { kind: 'number', integer: true, min: 2 } },
  output: { constraint: { kind: 'string', oneOf: ['logits', 'probabilities'] }, default: 'logits' },
  dropout: { constraint: { kind: 'number', min: 0, max: 1, maxExclusive: true }, default: 0 },
  seed: { constraint: { kind: 'seed' }, default: 0 },
  name: { constraint: { kind: 'any' } },
} as const;

/**
 * Resolves a factory's options (base options plus its own) and checks the input shape.
 *
 * @internal
 */
export function resolveModelOptions<
  T extends ClassifierBaseOptions,
  const S extends OptionSpecs<Omit<T, keyof ClassifierBaseOptions>>,
>(
  fn: string,
  options: T,
  specs: S,
  minSpatial: number,
): Resolved<T, typeof BASE_SPECS & S> & { rank: 2 | 3 } {
  if (options === undefined || options === null || typeof options !== 'object') {
    throw new ArgumentError(
      `${fn}: \`options\` must be an object with at least \`inputShape\` and \`numClasses\`. Received: ${describeValue(options)}.`,
    );
  }
  // the base specs and the factory's own, typed together by the signature
  const o = resolveOptions<T>(fn, options, {
    ...BASE_SPECS,
    ...specs,
  } as unknown as OptionSpecs<T>);
  const shape = o.inputShape;
  if (
    !Array.isArray(shape) ||
    (shape.length !== 3 && shape.length !== 4) ||
    !shape.every((d) => Number.isInteger(d) && d >= 1)
  ) {
    throw new ArgumentError(
      `${fn}: \`inputShape\` must be [height, width, channels] (2D) or [depth, height, width, channels] (3D) of positive integers. Received: ${describeValue(shape)}.`,
    );
  }
  if (o.numClasses === undefined) {
    throw new ArgumentError(`${fn}: \`numClasses\` is required (an integer ≥ 2).`);
  }
  const spatial = shape.slice(0, -1);
  if (spatial.some((d) => d < minSpatial)) {
    throw new ArgumentError(
      `${fn}: every spatial size of \`inputShape\` must be at least ${minSpatial} for this network's downsampling. Received: ${formatShape(shape)}.`,
    );
  }
  if (o.name !== undefined && (typeof o.name !== 'string' || !/^[A-Za-z][\w-]*$/.test(o.name))) {
    throw new ArgumentError(
      `${fn}: \`name\` must be a word of letters, digits, _ or - starting with a letter. Received: ${describeValue(o.name)}.`,
    );
  }
  const resolved = { ...o, rank: shape.length === 3 ? 2 : 3 };
  return resolved as unknown as Resolved<T, typeof BASE_SPECS & S> & { rank: 2 | 3 };
}

/**
 * Builds layers of one network: 2D or 3D variants, stable names under a prefix, seeded
 * initialisers.
 *
 * @internal
 */
export class LayerKit {
  private readonly rng: Random;

  constructor(
    readonly rank: 2 | 3,
    readonly prefix: string,
    seed: Seed,
  ) {
    this.rng = new Random(seed);
  }

  /** A seed for the next initialiser or dropout: never 0 (tfjs treats 0 as "unseeded"). */
  nextSeed(): number {
    return this.rng.tfSeed();
  }

  /** He-normal for ReLU convolutions (He et al. 2015), seeded. */
  heNormal(): Initializer {
    return tfl.initializers.heNormal({ seed: this.nextSeed() });
  }

  /** Glorot-uniform for dense layers, seeded. */
  glorot(): Initializer {
    return tfl.initializers.glorotUniform({ seed: this.nextSeed() });
  }

  /** The full layer name. */
  name(part: string): string {
    return `${this.prefix}_${part}`;
  }

  conv(
    part: string,
    filters: number,
    kernelSize: number,
    opts: { strides?: number; activation?: 'relu' | 'linear'; useBias?: boolean } = {},
  ): tfl.layers.Layer {
    const args = {
      name: this.name(part),
      filters,
      kernelSize,
      strides: opts.strides ?? 1,
      padding: 'same' as const,
      activation: opts.activation ?? 'linear',
      useBias: opts.useBias ?? true,
      kernelInitializer: this.heNormal(),
    };
    return this.rank === 2 ? tfl.layers.conv2d(args) : tfl.layers.conv3d(args);
  }

  maxPool(part: string, poolSize: number, strides = poolSize): tfl.layers.Layer {
    const args = { name: this.name(part), poolSize, strides, padding: 'same' as const };
    return this.rank === 2 ? tfl.layers.maxPooling2d(args) : tfl.layers.maxPooling3d(args);
  }

  avgPool(part: string, poolSize: number): tfl.layers.Layer {
    const args = { name: this.name(part), poolSize, strides: poolSize, padding: 'same' as const };
    return this.rank === 2 ? tfl.layers.averagePooling2d(args) : tfl.layers.averagePooling3d(args);
  }

  /**
   * Global average pooling to one value per channel. tfjs-layers has no 3D version: a volume is
   * reshaped to [voxels, channels] and averaged over the voxels (the same numbers).
   */
  globalAvgPool(part: string, x: tfl.SymbolicTensor): tfl.SymbolicTensor {
    if (this.rank === 2) {
      return tfl.layers
        .globalAveragePooling2d({ name: this.name(part) })
        .apply(x) as tfl.SymbolicTensor;
    }
    const channels = x.shape[x.shape.length - 1] as number;
    return chain(
      x,
      tfl.layers.reshape({ name: this.name(`${part}_flatten`), targetShape: [-1, channels] }),
      tfl.layers.globalAveragePooling1d({ name: this.name(part) }),
    );
  }

  /**
   * Batch normalisation over the channels. tfjs-layers normalises tensors of rank ≤ 4 only, so
   * a volume `[b, d, h, w, c]` is viewed as `[b, d, h·w, c]` around it: the same per-channel
   * statistics over the same values.
   */
  batchNorm(part: string): Applicable {
    const bn = tfl.layers.batchNormalization({
      name: this.name(part),
      momentum: 0.9,
      epsilon: 1e-5,
    });
    if (this.rank === 2) return bn;
    return {
      apply: (x) => {
        const [, d, h, w, c] = x.shape as number[];
        return chain(
          x,
          tfl.layers.reshape({ name: this.name(`${part}_to4d`), targetShape: [d!, h! * w!, c!] }),
          bn,
          tfl.layers.reshape({ name: this.name(`${part}_to5d`), targetShape: [d!, h!, w!, c!] }),
        );
      },
    };
  }

  relu(part: string): tfl.layers.Layer {
    return tfl.layers.reLU({ name: this.name(part) });
  }

  /**
   * The classification head on a flat feature vector: optional dropout, then one dense unit per
   * class (logits, or a softmax when probabilities are asked for).
   */
  head(
    x: tfl.SymbolicTensor,
    numClasses: number,
    dropout: number,
    output: ModelOutput,
  ): tfl.SymbolicTensor {
    let h = x;
    // the logits' initialiser draws first, so adding dropout leaves the weights as they were
    const kernelInitializer = this.glorot();
    if (dropout > 0) {
      h = tfl.layers
        .dropout({ name: this.name('dropout'), rate: dropout, seed: this.nextSeed() })
        .apply(h) as tfl.SymbolicTensor;
    }
    return tfl.layers
      .dense({
        name: this.name('logits'),
        units: numClasses,
        kernelInitializer,
        activation: output === 'probabilities' ? 'softmax' : 'linear',
      })
      .apply(h) as tfl.SymbolicTensor;
  }
}

/** Anything that maps a symbolic tensor to another: a layer, or a small composition. @internal */
export interface Applicable {
  apply(x: tfl.SymbolicTensor): tfl.SymbolicTensor | tfl.SymbolicTensor[] | unknown;
}

/** Applies layers in order. @internal */
export function chain(x: tfl.SymbolicTensor, ...layers: Applicable[]): tfl.SymbolicTensor {
  let h = x;
  for (const l of layers) h = l.apply(h) as tfl.SymbolicTensor;
  return h;
}

/** The stem a network uses: the ImageNet one when every spatial side is ≥ 112 (for `'auto'`). @internal */
export function chooseStem(
  stem: 'auto' | 'imagenet' | 'small' | undefined,
  inputShape: readonly number[],
): 'imagenet' | 'small' {
  if (stem === 'imagenet' || stem === 'small') return stem;
  return inputShape.slice(0, -1).every((d) => d >= 112) ? 'imagenet' : 'small';
}

/**
 * Refuses what the torchvision layout does not take: 3D inputs and options that change its
 * fixed architecture. @internal
 */
export function checkTorchvision(
  fn: string,
  rank: 2 | 3,
  given: Record<string, unknown>,
  fixed: readonly string[],
): void {
  if (rank !== 2) {
    throw new ArgumentError(
      `${fn}: \`layout: 'torchvision'\` builds 2D networks ([height, width, channels]); torchvision has no 3D ResNet or DenseNet of this family.`,
    );
  }
  const set = fixed.filter((key) => given[key] !== undefined);
  if (set.length > 0) {
    throw new ArgumentError(
      `${fn}: \`layout: 'torchvision'\` fixes the architecture (the ImageNet stem, torchvision's widths); remove ${set.map((k) => `\`${k}\``).join(', ')}.`,
    );
  }
}
