/**
 * Residual networks (He et al. 2016): basic blocks (two 3×3 convolutions) for ResNet-18/34,
 * bottleneck blocks (1×1 → 3×3 → 1×1, four times wider out) for ResNet-50/101/152, batch norm
 * after every convolution, a projection shortcut where the shape changes, global average
 * pooling. Depth and width configurable; 2D and 3D (MedicalNet-style 3D ResNets).
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
import { torchvisionResNet } from './torchvision-layout.js';

/** The residual block kinds. */
export type ResNetBlock = 'basic' | 'bottleneck';

/** Options of {@link createResNet}. */
export interface ResNetOptions extends ClassifierBaseOptions {
  /**
   * A standard depth: 18 and 34 (basic blocks), 50, 101, 152 (bottleneck blocks). Ignored when
   * `stages` is given. Defaults to 18.
   */
  depth?: 18 | 34 | 50 | 101 | 152;
  /** Residual blocks per stage, e.g. [2, 2, 2, 2]; overrides `depth`. */
  stages?: readonly number[];
  /** The block kind when `stages` is given. Defaults to `'basic'`. */
  block?: ResNetBlock;
  /** Filters of the first stage; each later stage doubles them. Defaults to 64. */
  baseFilters?: number;
  /**
   * `'imagenet'`: 7×7 stride-2 convolution and a stride-2 max pool (for inputs of 112 px and
   * more); `'small'`: one 3×3 stride-1 convolution (CIFAR-style, for small crops and 8–64 px
   * images). `'auto'` picks `'imagenet'` when every spatial size is ≥ 112. Defaults to `'auto'`.
   */
  stem?: 'auto' | 'imagenet' | 'small';
  /**
   * `'library'` (this library's networks, 2D and 3D) or `'torchvision'`: torchvision's ResNet
   * exactly (symmetric padding, the ImageNet stem, stride on the bottleneck's 3×3 convolution,
   * layers named after torchvision's modules), 2D only and by `depth`, so that PyTorch weights
   * load with `loadTorchWeights`. Defaults to `'library'`.
   */
  layout?: 'library' | 'torchvision';
}

const DEPTHS: Record<number, { stages: number[]; block: ResNetBlock }> = {
  18: { stages: [2, 2, 2, 2], block: 'basic' },
  34: { stages: [3, 4, 6, 3], block: 'basic' },
  50: { stages: [3, 4, 6, 3], block: 'bottleneck' },
  101: { stages: [3, 4, 23, 3], block: 'bottleneck' },
  152: { stages: [3, 8, 36, 3], block: 'bottleneck' },
};

/**
 * Builds a residual network classifier.
 *
 * Stage s (s = 1…) has `baseFilters·2^(s−1)` filters (×4 at the output of bottleneck blocks);
 * every stage after the first halves the spatial size with a stride-2 first block. Each block
 * adds its input (through a 1×1 convolution + batch norm when the shape changes) to its
 * residual branch, then applies ReLU.
 *
 * Layer names: `{name}_stem_conv`, `{name}_stage{s}_block{b}_conv{i}`, `…_bn{i}`,
 * `…_shortcut_conv`, `{name}_pool`, `{name}_logits` (name defaults to `resnet{depth}`).
 *
 * @param options - see {@link ResNetOptions}; `inputShape` and `numClasses` are required.
 * @returns an uncompiled tfjs-layers model (logits by default).
 * @throws {@link ArgumentError} for a bad shape, an unknown depth, or bad `stages`.
 *
 * @example
 * ```ts
 * const r18 = createResNet({ inputShape: [224, 224, 1], numClasses: 2 });
 * const tiny = createResNet({ inputShape: [32, 32, 3], numClasses: 4, stages: [1, 1], baseFilters: 8 });
 * const r3d = createResNet({ inputShape: [32, 64, 64, 1], numClasses: 2, depth: 18, baseFilters: 16 });
 * ```
 */
export function createResNet(options: ResNetOptions): tfl.LayersModel {
  const fn = 'createResNet';
  const o = resolveModelOptions(
    fn,
    options,
    {
      depth: { constraint: { kind: 'number', integer: true }, default: 18 },
      stages: { constraint: { kind: 'any' } },
      block: { constraint: { kind: 'string', oneOf: ['basic', 'bottleneck'] }, default: 'basic' },
      baseFilters: { constraint: { kind: 'number', integer: true, min: 1 }, default: 64 },
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
  if (o.layout === 'torchvision') {
    checkTorchvision(fn, o.rank, options as unknown as Record<string, unknown>, [
      'stages',
      'block',
      'baseFilters',
      'stem',
    ]);
    const preset = DEPTHS[o.depth];
    if (!preset) {
      throw new ArgumentError(
        `${fn}: \`depth\` must be one of 18, 34, 50, 101, 152. Received: ${describeValue(o.depth)}.`,
      );
    }
    return torchvisionResNet(o, preset.stages, preset.block, o.depth);
  }
  let stages: number[];
  let block: ResNetBlock;
  if (o.stages !== undefined) {
    if (
      !Array.isArray(o.stages) ||
      o.stages.length === 0 ||
      !o.stages.every((n) => Number.isInteger(n) && n >= 1)
    ) {
      throw new ArgumentError(
        `${fn}: \`stages\` must be a non-empty array of positive integers (blocks per stage). Received: ${describeValue(o.stages)}.`,
      );
    }
    stages = [...o.stages];
    block = o.block;
  } else {
    const preset = DEPTHS[o.depth];
    if (!preset) {
      throw new ArgumentError(
        `${fn}: \`depth\` must be one of 18, 34, 50, 101, 152 (or give \`stages\`). Received: ${describeValue(o.depth)}.`,
      );
    }
    ({ stages, block } = preset);
  }
  const stem = chooseStem(o.stem, o.inputShape);
  const base = o.baseFilters;
  const kit = new LayerKit(o.rank, o.name ?? `resnet${o.stages ? '' : o.depth}`, o.seed);
  const input = tfl.input({ shape: [...o.inputShape], name: kit.name('input') });
  let h =
    stem === 'imagenet'
      ? chain(
          input,
          kit.conv('stem_conv', base, 7, { strides: 2, useBias: false }),
          kit.batchNorm('stem_bn'),
          kit.relu('stem_relu'),
          kit.maxPool('stem_pool', 3, 2),
        )
      : chain(
          input,
          kit.conv('stem_conv', base, 3, { useBias: false }),
          kit.batchNorm('stem_bn'),
          kit.relu('stem_relu'),
        );
  let channels = base;
  stages.forEach((count, s) => {
    const width = base * 2 ** s;
    for (let b = 0; b < count; b++) {
      const p = `stage${s + 1}_block${b + 1}`;
      const strides = s > 0 && b === 0 ? 2 : 1;
      const out = block === 'basic' ? width : width * 4;
      const residual =
        block === 'basic'
          ? chain(
              h,
              kit.conv(`${p}_conv1`, width, 3, { strides, useBias: false }),
              kit.batchNorm(`${p}_bn1`),
              kit.relu(`${p}_relu1`),
              kit.conv(`${p}_conv2`, width, 3, { useBias: false }),
              kit.batchNorm(`${p}_bn2`),
            )
          : chain(
              h,
              kit.conv(`${p}_conv1`, width, 1, { useBias: false }),
              kit.batchNorm(`${p}_bn1`),
              kit.relu(`${p}_relu1`),
              kit.conv(`${p}_conv2`, width, 3, { strides, useBias: false }),
              kit.batchNorm(`${p}_bn2`),
              kit.relu(`${p}_relu2`),
              kit.conv(`${p}_conv3`, out, 1, { useBias: false }),
              kit.batchNorm(`${p}_bn3`),
            );
      const shortcut =
        strides === 1 && channels === out
          ? h
          : chain(
              h,
              kit.conv(`${p}_shortcut_conv`, out, 1, { strides, useBias: false }),
              kit.batchNorm(`${p}_shortcut_bn`),
            );
      const sum = tfl.layers
        .add({ name: kit.name(`${p}_add`) })
        .apply([residual, shortcut]) as tfl.SymbolicTensor;
      h = kit.relu(`${p}_out`).apply(sum) as tfl.SymbolicTensor;
      channels = out;
    }
  });
  h = kit.globalAvgPool('pool', h);
  const out = kit.head(h, o.numClasses, o.dropout, o.output);
  return tfl.model({ inputs: input, outputs: out, name: kit.prefix });
}
