/**
 * Densely connected networks (Huang et al. 2017), the other family medical imaging reaches for
 * (CheXNet is a DenseNet-121): each layer of a dense block sees the concatenation of all
 * earlier feature maps; transition layers (batch norm, ReLU, 1×1 convolution, 2× average pool)
 * compress between blocks. 2D and 3D.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../../core/errors.js';
import {
  type ClassifierBaseOptions,
  chain,
  checkTorchvision,
  chooseStem,
  LayerKit,
  resolveModelOptions,
} from './layer-kit.js';
import { torchvisionDenseNet } from './torchvision-layout.js';

/** Options of {@link createDenseNet}. */
export interface DenseNetOptions extends ClassifierBaseOptions {
  /** Layers per dense block. Defaults to [6, 12, 24, 16] (DenseNet-121). */
  blocks?: readonly number[];
  /** Feature maps each layer adds (k). Defaults to 32. */
  growthRate?: number;
  /** The share of channels a transition keeps (θ). Defaults to 0.5. */
  compression?: number;
  /**
   * `'imagenet'`: 7×7 stride-2 convolution and 3×3 stride-2 max pool; `'small'`: one 3×3
   * convolution. `'auto'` picks `'imagenet'` when every spatial size is ≥ 112. Defaults to
   * `'auto'`.
   */
  stem?: 'auto' | 'imagenet' | 'small';
  /**
   * `'library'` (this library's networks, 2D and 3D) or `'torchvision'`: torchvision's DenseNet
   * exactly (symmetric padding, the ImageNet stem, transitions halving the channels, the final
   * norm, layers named after torchvision's modules; `blocks` [6, 12, 24, 16] with `growthRate` 32
   * is densenet121, [6, 12, 36, 24] with 48 densenet161, [6, 12, 32, 32] densenet169,
   * [6, 12, 48, 32] densenet201), 2D only, so that PyTorch weights load with `loadTorchWeights`.
   * Defaults to `'library'`.
   */
  layout?: 'library' | 'torchvision';
}

/**
 * Builds a DenseNet-BC classifier: stem (2k filters) → dense blocks, each layer BN → ReLU →
 * 1×1 conv (4k) → BN → ReLU → 3×3 conv (k) concatenated onto its input → transitions between
 * blocks → BN → ReLU → global average pool → head.
 *
 * Layer names: `{name}_block{b}_layer{l}_conv1`, `{name}_transition{b}_conv`, … (name defaults
 * to `densenet`).
 *
 * @param options - see {@link DenseNetOptions}; `inputShape` and `numClasses` are required.
 * @returns an uncompiled tfjs-layers model (logits by default).
 * @throws {@link ArgumentError} for a bad shape, bad `blocks`, or `compression` outside (0, 1].
 *
 * @example
 * ```ts
 * const chest = createDenseNet({ inputShape: [224, 224, 1], numClasses: 2 }); // DenseNet-121
 * const small = createDenseNet({ inputShape: [32, 32, 1], numClasses: 3, blocks: [2, 2], growthRate: 8 });
 * ```
 */
export function createDenseNet(options: DenseNetOptions): tfl.LayersModel {
  const fn = 'createDenseNet';
  const o = resolveModelOptions(
    fn,
    options,
    {
      blocks: { constraint: { kind: 'any' }, default: [6, 12, 24, 16] },
      growthRate: { constraint: { kind: 'number', integer: true, min: 1 }, default: 32 },
      compression: {
        constraint: { kind: 'number', min: 0, max: 1, minExclusive: true },
        default: 0.5,
      },
      stem: {
        constraint: { kind: 'string', oneOf: ['auto', 'imagenet', 'small'] },
        default: 'auto',
      },
      layout: {
        constraint: { kind: 'string', oneOf: ['library', 'torchvision'] },
        default: 'library',
      },
    },
    1,
  );
  const blocks = o.blocks;
  if (
    !Array.isArray(blocks) ||
    blocks.length === 0 ||
    !blocks.every((n) => Number.isInteger(n) && n >= 1)
  ) {
    throw new ArgumentError(
      `${fn}: \`blocks\` must be a non-empty array of positive integers (layers per dense block). Received: ${describeValue(blocks)}.`,
    );
  }
  const k = o.growthRate;
  if (o.layout === 'torchvision') {
    checkTorchvision(fn, o.rank, options as unknown as Record<string, unknown>, [
      'compression',
      'stem',
    ]);
    return torchvisionDenseNet(o, blocks, k);
  }
  const theta = o.compression;
  const stem = chooseStem(o.stem, o.inputShape);
  const kit = new LayerKit(o.rank, o.name ?? 'densenet', o.seed);
  const input = tfl.input({ shape: [...o.inputShape], name: kit.name('input') });
  let h =
    stem === 'imagenet'
      ? chain(
          input,
          kit.conv('stem_conv', 2 * k, 7, { strides: 2, useBias: false }),
          kit.batchNorm('stem_bn'),
          kit.relu('stem_relu'),
          kit.maxPool('stem_pool', 3, 2),
        )
      : chain(input, kit.conv('stem_conv', 2 * k, 3, { useBias: false }));
  let channels = 2 * k;
  blocks.forEach((layers, b) => {
    for (let l = 0; l < layers; l++) {
      const p = `block${b + 1}_layer${l + 1}`;
      const grown = chain(
        h,
        kit.batchNorm(`${p}_bn1`),
        kit.relu(`${p}_relu1`),
        kit.conv(`${p}_conv1`, 4 * k, 1, { useBias: false }),
        kit.batchNorm(`${p}_bn2`),
        kit.relu(`${p}_relu2`),
        kit.conv(`${p}_conv2`, k, 3, { useBias: false }),
      );
      h = tfl.layers
        .concatenate({ name: kit.name(`${p}_concat`), axis: -1 })
        .apply([h, grown]) as tfl.SymbolicTensor;
      channels += k;
    }
    if (b < blocks.length - 1) {
      channels = Math.max(1, Math.floor(channels * theta));
      const p = `transition${b + 1}`;
      h = chain(
        h,
        kit.batchNorm(`${p}_bn`),
        kit.relu(`${p}_relu`),
        kit.conv(`${p}_conv`, channels, 1, { useBias: false }),
        kit.avgPool(`${p}_pool`, 2),
      );
    }
  });
  h = kit.globalAvgPool('pool', chain(h, kit.batchNorm('final_bn'), kit.relu('final_relu')));
  const out = kit.head(h, o.numClasses, o.dropout, o.output);
  return tfl.model({ inputs: input, outputs: out, name: kit.prefix });
}
