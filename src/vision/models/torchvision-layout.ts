/**
 * ResNet and DenseNet built to compute exactly what torchvision's do, so that weights trained
 * in PyTorch load and give PyTorch's outputs (`loadTorchWeights`):
 *
 * - explicit symmetric zero padding before every padded convolution and pool (tfjs's `'same'`
 *   pads 0 before and 1 after a stride-2 window on even sizes; PyTorch pads both sides);
 * - the ImageNet stem: conv 7×7 stride 2 pad 3, BN, ReLU, max pool 3×3 stride 2 pad 1 (zero
 *   padding equals PyTorch's −∞ there: the inputs are ReLU outputs, never below 0);
 * - bottleneck blocks with the stride on the 3×3 convolution (torchvision v1.5) and a
 *   1×1-convolution + BN downsample branch where the shape changes;
 * - DenseNet's dense layers (BN, ReLU, 1×1 conv to 4k, BN, ReLU, 3×3 conv to k), transitions
 *   (BN, ReLU, 1×1 conv to half the channels, 2×2 average pool) and final norm;
 * - batch normalisation with ε = 1e-5 and tfjs momentum 0.9, which is PyTorch's 0.1 (PyTorch
 *   weighs the new batch by its momentum, tfjs the old average);
 * - global average pooling before the classifier (PyTorch's adaptive pooling to 1×1), so any
 *   input size works.
 *
 * Layers are named after torchvision's modules (`conv1`, `layer1.0.conv1`, `layer1.0.downsample.0`,
 * `features.denseblock1.denselayer1.norm1`, `fc`, `classifier`), which is what the weight loader
 * maps onto. One difference stays: in training, tfjs-layers updates the moving variance with the
 * biased batch variance, PyTorch with the unbiased one (n/(n−1) larger); inference, and weights
 * loaded from PyTorch, are unaffected.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { Random, type Seed } from '../../core/random.js';
import type { ModelOutput } from './layer-kit.js';

/** What both builders need from the factory's resolved options. */
export interface TorchvisionBuild {
  inputShape: readonly number[];
  numClasses: number;
  output: ModelOutput;
  dropout: number;
  seed: Seed;
  name?: string;
}

/** Layers named after torchvision's modules, with seeded He-normal / Glorot initialisers. */
class TorchLayers {
  private readonly rng: Random;

  constructor(seed: Seed) {
    this.rng = new Random(seed);
  }

  /** A convolution without bias, with PyTorch's symmetric padding in front of it. */
  conv(x: tfl.SymbolicTensor, name: string, filters: number, kernel: number, stride = 1, pad = 0) {
    let h = x;
    if (pad > 0) {
      h = tfl.layers
        .zeroPadding2d({ name: `${name}.pad`, padding: pad })
        .apply(h) as tfl.SymbolicTensor;
    }
    return tfl.layers
      .conv2d({
        name,
        filters,
        kernelSize: kernel,
        strides: stride,
        padding: 'valid',
        useBias: false,
        kernelInitializer: tfl.initializers.heNormal({ seed: this.rng.tfSeed() }),
      })
      .apply(h) as tfl.SymbolicTensor;
  }

  bn(x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
    return tfl.layers
      .batchNormalization({ name, epsilon: 1e-5, momentum: 0.9 })
      .apply(x) as tfl.SymbolicTensor;
  }

  relu(x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
    return tfl.layers.reLU({ name }).apply(x) as tfl.SymbolicTensor;
  }

  /** PyTorch's MaxPool2d(3, stride 2, padding 1) on non-negative inputs. */
  maxPool(x: tfl.SymbolicTensor, name: string): tfl.SymbolicTensor {
    const padded = tfl.layers.zeroPadding2d({ name: `${name}.pad`, padding: 1 }).apply(x);
    return tfl.layers
      .maxPooling2d({ name, poolSize: 3, strides: 2, padding: 'valid' })
      .apply(padded as tfl.SymbolicTensor) as tfl.SymbolicTensor;
  }

  /** Global average pooling, then the linear classifier `name` (optional dropout before it). */
  head(x: tfl.SymbolicTensor, name: string, o: TorchvisionBuild): tfl.SymbolicTensor {
    let h = tfl.layers.globalAveragePooling2d({ name: 'avgpool' }).apply(x) as tfl.SymbolicTensor;
    const kernelInitializer = tfl.initializers.glorotUniform({ seed: this.rng.tfSeed() });
    if (o.dropout > 0) {
      h = tfl.layers
        .dropout({ name: 'dropout', rate: o.dropout, seed: this.rng.tfSeed() })
        .apply(h) as tfl.SymbolicTensor;
    }
    return tfl.layers
      .dense({
        name,
        units: o.numClasses,
        kernelInitializer,
        activation: o.output === 'probabilities' ? 'softmax' : 'linear',
      })
      .apply(h) as tfl.SymbolicTensor;
  }
}

/** The stem both families share: conv 7×7/2, norm, ReLU, max pool 3×3/2. */
function stem(
  t: TorchLayers,
  x: tfl.SymbolicTensor,
  names: [string, string, string, string],
  filters: number,
) {
  const [conv, norm, relu, pool] = names;
  return t.maxPool(t.relu(t.bn(t.conv(x, conv, filters, 7, 2, 3), norm), relu), pool);
}

/**
 * torchvision's ResNet (`resnet18` … `resnet152`): `blocks` per stage, basic or bottleneck.
 *
 * @internal
 */
export function torchvisionResNet(
  o: TorchvisionBuild,
  stages: readonly number[],
  block: 'basic' | 'bottleneck',
  depth: number,
): tfl.LayersModel {
  const t = new TorchLayers(o.seed);
  const input = tfl.input({ shape: [...o.inputShape], name: 'input' });
  let h = stem(t, input, ['conv1', 'bn1', 'relu', 'maxpool'], 64);
  let channels = 64;
  const expansion = block === 'basic' ? 1 : 4;
  stages.forEach((count, s) => {
    const width = 64 * 2 ** s;
    for (let b = 0; b < count; b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = s > 0 && b === 0 ? 2 : 1;
      const out = width * expansion;
      let r: tfl.SymbolicTensor;
      if (block === 'basic') {
        r = t.relu(t.bn(t.conv(h, `${p}.conv1`, width, 3, stride, 1), `${p}.bn1`), `${p}.relu1`);
        r = t.bn(t.conv(r, `${p}.conv2`, width, 3, 1, 1), `${p}.bn2`);
      } else {
        r = t.relu(t.bn(t.conv(h, `${p}.conv1`, width, 1), `${p}.bn1`), `${p}.relu1`);
        r = t.relu(t.bn(t.conv(r, `${p}.conv2`, width, 3, stride, 1), `${p}.bn2`), `${p}.relu2`);
        r = t.bn(t.conv(r, `${p}.conv3`, out, 1), `${p}.bn3`);
      }
      const shortcut =
        stride === 1 && channels === out
          ? h
          : t.bn(t.conv(h, `${p}.downsample.0`, out, 1, stride), `${p}.downsample.1`);
      const sum = tfl.layers.add({ name: `${p}.add` }).apply([r, shortcut]) as tfl.SymbolicTensor;
      h = t.relu(sum, `${p}.relu`);
      channels = out;
    }
  });
  const out = t.head(h, 'fc', o);
  return tfl.model({ inputs: input, outputs: out, name: o.name ?? `resnet${depth}` });
}

/**
 * torchvision's DenseNet (`densenet121` … `densenet201`): `blocks` dense layers per block,
 * growth rate k, 2k initial features, bottleneck width 4k, transitions halving the channels.
 *
 * @internal
 */
export function torchvisionDenseNet(
  o: TorchvisionBuild,
  blocks: readonly number[],
  k: number,
): tfl.LayersModel {
  const t = new TorchLayers(o.seed);
  const input = tfl.input({ shape: [...o.inputShape], name: 'input' });
  let h = stem(
    t,
    input,
    ['features.conv0', 'features.norm0', 'features.relu0', 'features.pool0'],
    2 * k,
  );
  let channels = 2 * k;
  blocks.forEach((layers, b) => {
    for (let l = 0; l < layers; l++) {
      const p = `features.denseblock${b + 1}.denselayer${l + 1}`;
      let g = t.relu(t.bn(h, `${p}.norm1`), `${p}.relu1`);
      g = t.conv(g, `${p}.conv1`, 4 * k, 1);
      g = t.relu(t.bn(g, `${p}.norm2`), `${p}.relu2`);
      g = t.conv(g, `${p}.conv2`, k, 3, 1, 1);
      h = tfl.layers
        .concatenate({ name: `${p}.concat`, axis: -1 })
        .apply([h, g]) as tfl.SymbolicTensor;
      channels += k;
    }
    if (b < blocks.length - 1) {
      const p = `features.transition${b + 1}`;
      channels = Math.floor(channels / 2);
      h = t.relu(t.bn(h, `${p}.norm`), `${p}.relu`);
      h = t.conv(h, `${p}.conv`, channels, 1);
      h = tfl.layers
        .averagePooling2d({ name: `${p}.pool`, poolSize: 2, strides: 2, padding: 'valid' })
        .apply(h) as tfl.SymbolicTensor;
    }
  });
  h = t.relu(t.bn(h, 'features.norm5'), 'features.relu5');
  const out = t.head(h, 'classifier', o);
  return tfl.model({ inputs: input, outputs: out, name: o.name ?? 'densenet' });
}
