/**
 * The classic image classifier: conv32 → pool → conv64 → pool → dense128 → classes, the network
 * of the seed paper, generalised over input shape (2D or 3D), channels, filters, dense width
 * and dropout.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue } from '../../core/errors.js';
import { type ClassifierBaseOptions, chain, LayerKit, resolveModelOptions } from './layer-kit.js';

/** Options of {@link createSimpleCnn}. */
export interface SimpleCnnOptions extends ClassifierBaseOptions {
  /** Filters of each convolution block (each block: conv → ReLU → 2× max pool). Defaults to [32, 64]. */
  filters?: readonly number[];
  /** The convolution kernel size. Defaults to 3. */
  kernelSize?: number;
  /** Units of the hidden dense layer (0 for none). Defaults to 128. */
  denseUnits?: number;
}

/**
 * Builds the classic CNN classifier: for each entry of `filters` a `same`-padded convolution
 * with ReLU and a 2× max pool, then flatten → dense(`denseUnits`, ReLU) → dropout → dense
 * (`numClasses`). A rank-4 `inputShape` builds the same network from 3D layers.
 *
 * Layer names: `{name}_conv1`, `{name}_pool1`, …, `{name}_flatten`, `{name}_dense`,
 * `{name}_dropout`, `{name}_logits` (name defaults to `simple_cnn`).
 *
 * @param options - see {@link SimpleCnnOptions}; `inputShape` and `numClasses` are required.
 * @returns an uncompiled tfjs-layers model (logits by default).
 * @throws {@link ArgumentError} for a bad shape, fewer than 2 classes, or an input too small for
 *   the pooling.
 *
 * @example
 * ```ts
 * const model = createSimpleCnn({ inputShape: [28, 28, 1], numClasses: 2 });
 * model.outputs[0].shape; // [null, 2]
 * const volume = createSimpleCnn({ inputShape: [32, 32, 32, 1], numClasses: 3, filters: [8, 16] });
 * ```
 */
export function createSimpleCnn(options: SimpleCnnOptions): tfl.LayersModel {
  const fn = 'createSimpleCnn';
  const pre = (options as { filters?: unknown } | undefined)?.filters;
  const blocks = Array.isArray(pre) ? pre.length : 2;
  const o = resolveModelOptions(
    fn,
    options,
    {
      filters: { constraint: { kind: 'any' }, default: [32, 64] },
      kernelSize: { constraint: { kind: 'number', integer: true, min: 1 }, default: 3 },
      denseUnits: { constraint: { kind: 'number', integer: true, min: 0 }, default: 128 },
    },
    2 ** blocks,
  );
  const filters = o.filters;
  if (
    !Array.isArray(filters) ||
    filters.length === 0 ||
    !filters.every((f) => Number.isInteger(f) && f >= 1)
  ) {
    throw new ArgumentError(
      `${fn}: \`filters\` must be a non-empty array of positive integers. Received: ${describeValue(filters)}.`,
    );
  }
  const kit = new LayerKit(o.rank, o.name ?? 'simple_cnn', o.seed);
  const input = tfl.input({ shape: [...o.inputShape], name: kit.name('input') });
  let h: tfl.SymbolicTensor = input;
  filters.forEach((f, i) => {
    h = chain(
      h,
      kit.conv(`conv${i + 1}`, f, o.kernelSize, { activation: 'relu' }),
      kit.maxPool(`pool${i + 1}`, 2),
    );
  });
  h = tfl.layers.flatten({ name: kit.name('flatten') }).apply(h) as tfl.SymbolicTensor;
  const units = o.denseUnits;
  if (units > 0) {
    h = tfl.layers
      .dense({
        name: kit.name('dense'),
        units,
        activation: 'relu',
        kernelInitializer: kit.heNormal(),
      })
      .apply(h) as tfl.SymbolicTensor;
  }
  const out = kit.head(h, o.numClasses, o.dropout, o.output);
  return tfl.model({ inputs: input, outputs: out, name: kit.prefix });
}
