/**
 * Weights trained in PyTorch, into the library's models and back: `loadTorchWeights` reads a
 * `torch.save(state_dict)` file or a `.safetensors` file (detected from the bytes), maps
 * torchvision's names onto the layers of a model built with `layout: 'torchvision'` (or any
 * model, through `map`), transposes each tensor to tfjs's layout and checks its shape;
 * `saveTorchWeights` writes a model's weights as safetensors with torchvision's names and
 * layouts, for PyTorch's `load_state_dict`.
 *
 * Layouts: a convolution's weight is OIHW in PyTorch and HWIO in tfjs (transposed [2, 3, 1, 0]);
 * a linear layer's is out × in in PyTorch, in × out in tfjs; batch normalisation's weight, bias,
 * running_mean and running_var are tfjs's gamma, beta, moving_mean and moving_variance, and
 * `num_batches_tracked` has no counterpart (read, skipped, written back as 0).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue, FormatError, ShapeError } from '../../core/errors.js';
import { resolveOptions } from '../../core/validate.js';
import {
  isSafetensors,
  readSafetensors,
  type WeightTensor,
  writeSafetensors,
} from '../io/safetensors.js';
import { readTorchSave } from '../io/torch-save.js';
import { isZip } from '../io/zip-entries.js';

/** Options of {@link loadTorchWeights}. */
export interface LoadTorchWeightsOptions {
  /**
   * Refuse weights the model lacks and model weights the file lacks (`num_batches_tracked`
   * aside). Defaults to `true`.
   */
  strict?: boolean;
  /**
   * Load the classifier (`fc` / `classifier`, or the model's last dense layer) too. Set `false`
   * to load everything else and keep a new head, for a different number of classes. Defaults to
   * `true`.
   */
  head?: boolean;
  /**
   * Renames the file's tensors to the model's: from a file's name (`encoder.stem.0.weight`) to
   * `<layer name>.<parameter>`, the parameter one of `weight`, `bias`, `running_mean`,
   * `running_var`; `null` leaves the tensor out (listed in `skipped`). For other naming schemes
   * (MONAI's DenseNet, your own models). Defaults to the name as it is.
   */
  map?: (name: string) => string | null;
  /**
   * Adapt a pretrained colour stem to the model's fewer input channels: a convolution weight
   * whose input channels are more than the layer's one (RGB into a grey CT or MRI model) is
   * summed over them, as timm does, so a grey image x gives what the colour network gives for
   * (x, x, x). Defaults to `false` (a mismatch is a `ShapeError`).
   */
  sumInputChannels?: boolean;
}

/** What {@link loadTorchWeights} resolves to. */
export interface TorchWeightsReport {
  /** The file's tensors that were loaded, by their names in the file. */
  loaded: string[];
  /** The file's tensors left out (`num_batches_tracked`, the head with `head: false`, `map`'s nulls, and with `strict: false` those the model lacks). */
  skipped: string[];
  /** The model's weights the file did not hold (only with `strict: false`), as `<layer>.<parameter>`. */
  missing: string[];
}

/** A model weight's PyTorch parameter name and how to transpose it. */
interface Slot {
  layer: tfl.layers.Layer;
  index: number;
  param: string;
  /** From PyTorch's layout to tfjs's. */
  perm?: number[];
}

const CONV_PERM = [2, 3, 1, 0]; // OIHW → HWIO
const BN_PARAMS = ['weight', 'bias', 'running_mean', 'running_var'];

/** The PyTorch parameters of each weight of the model, by `<layer>.<parameter>`. */
function slots(model: tfl.LayersModel, fn: string): Map<string, Slot> {
  const out = new Map<string, Slot>();
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    const cls = layer.getClassName();
    const config = layer.getConfig() as { center?: boolean; scale?: boolean };
    let params: (string | undefined)[];
    let perm: number[] | undefined;
    if (cls === 'Conv2D' || cls === 'Conv3D') {
      params = ['weight', 'bias'];
      perm = cls === 'Conv2D' ? CONV_PERM : [2, 3, 4, 1, 0];
    } else if (cls === 'Dense') {
      params = ['weight', 'bias'];
      perm = [1, 0];
    } else if (cls === 'BatchNormalization') {
      // tfjs omits gamma without `scale` and beta without `center`
      params = BN_PARAMS.filter(
        (p) =>
          (p !== 'weight' || config.scale !== false) && (p !== 'bias' || config.center !== false),
      );
    } else {
      throw new ArgumentError(
        `${fn}: layer '${layer.name}' (${cls}) has weights the loader cannot map (it maps convolutions, dense layers and batch normalisation).`,
      );
    }
    weights.forEach((_, index) => {
      const param = params[index];
      if (!param) return;
      out.set(`${layer.name}.${param}`, {
        layer,
        index,
        param,
        ...(perm && param === 'weight' ? { perm } : {}),
      });
    });
  }
  return out;
}

/** The model's classifier layer: `fc` / `classifier`, else its last dense layer. */
function headLayer(model: tfl.LayersModel): string | undefined {
  const names = model.layers.map((l) => l.name);
  if (names.includes('fc')) return 'fc';
  if (names.includes('classifier')) return 'classifier';
  return [...model.layers].reverse().find((l) => l.getClassName() === 'Dense')?.name;
}

/** Reads a weights file of either format. @internal */
export function readWeightsFile(bytes: Uint8Array, fn: string): Map<string, WeightTensor> {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(
      `${fn}: \`file\` must be a Uint8Array of the file's bytes. Received: ${describeValue(bytes)}.`,
    );
  }
  if (isZip(bytes)) return readTorchSave(bytes, fn);
  if (isSafetensors(bytes)) return readSafetensors(bytes, fn);
  throw new FormatError(
    `${fn}: the bytes are neither a torch.save archive (ZIP) nor a safetensors file (a legacy, non-ZIP torch.save file must be saved again with a recent torch).`,
  );
}

/**
 * Loads weights trained in PyTorch into a model: a `torch.save(model.state_dict())` file or a
 * `.safetensors` file, mapped by torchvision's names onto a model built with
 * `layout: 'torchvision'` (`createResNet`, `createDenseNet`), transposed to tfjs's layouts, each
 * shape checked. The pickle inside a `torch.save` file is read by a safe subset that runs no
 * code (see docs/transfer.md).
 *
 * @param model - the model to fill (its weights are replaced).
 * @param file - the file's bytes.
 * @param options - see {@link LoadTorchWeightsOptions}.
 * @returns which tensors were loaded, skipped, and which model weights stayed missing.
 * @throws {@link FormatError} for a malformed, truncated or hostile file;
 *   {@link ShapeError} naming the layer and both shapes when a tensor does not fit;
 *   {@link ArgumentError} with `strict` for missing or unexpected weights, or a bad option.
 * @example
 * ```ts
 * const model = createResNet({ inputShape: [224, 224, 3], numClasses: 1000, depth: 50, layout: 'torchvision' });
 * const { loaded } = await loadTorchWeights(model, await readFile('resnet50.pth'));
 * // a new task: keep the backbone, train a new 2-class head
 * const mine = createResNet({ inputShape: [224, 224, 3], numClasses: 2, depth: 50, layout: 'torchvision' });
 * await loadTorchWeights(mine, bytes, { head: false });
 * ```
 */
export async function loadTorchWeights(
  model: tfl.LayersModel,
  file: Uint8Array,
  options?: LoadTorchWeightsOptions,
): Promise<TorchWeightsReport> {
  const fn = 'loadTorchWeights';
  if (!(model instanceof tfl.LayersModel)) {
    throw new ArgumentError(
      `${fn}: \`model\` must be a tfjs-layers model. Received: ${describeValue(model)}.`,
    );
  }
  const o = resolveOptions(fn, options, {
    strict: { constraint: { kind: 'boolean' }, default: true },
    head: { constraint: { kind: 'boolean' }, default: true },
    map: { constraint: { kind: 'function' } },
    sumInputChannels: { constraint: { kind: 'boolean' }, default: false },
  });
  const tensors = readWeightsFile(file, fn);
  const targets = slots(model, fn);
  const head = o.head ? undefined : headLayer(model);
  const loaded: string[] = [];
  const skipped: string[] = [];
  const unexpected: string[] = [];
  const assigned = new Map<string, { slot: Slot; tensor: WeightTensor; name: string }>();
  for (let [name, tensor] of tensors) {
    const key = o.map ? o.map(name) : name;
    if (key === null || name.endsWith('num_batches_tracked')) {
      skipped.push(name);
      continue;
    }
    const slot = targets.get(key);
    if (head !== undefined && slot?.layer.name === head) {
      skipped.push(name);
      continue;
    }
    if (!slot) {
      unexpected.push(name);
      continue;
    }
    const expected = slot.layer.weights[slot.index]!.shape as number[];
    if (o.sumInputChannels) tensor = sumChannelsToFit(tensor, expected, slot);
    const torchShape = slot.perm ? inverse(slot.perm).map((i) => expected[i]!) : expected;
    const fits =
      tensor.shape.length === expected.length &&
      (slot.perm ? slot.perm : expected.map((_, i) => i)).every(
        (axis, i) => tensor.shape[axis] === expected[i],
      );
    if (!fits) {
      throw new ShapeError(
        `${fn}: '${name}' does not fit layer '${slot.layer.name}' (${slot.param}): the file's shape is [${tensor.shape.join(', ')}], the layer needs [${torchShape.join(', ')}] in PyTorch's layout ([${expected.join(', ')}] in tfjs's).`,
      );
    }
    assigned.set(key, { slot, tensor, name });
  }
  const missing = [...targets.keys()].filter(
    (k) => !assigned.has(k) && (head === undefined || targets.get(k)!.layer.name !== head),
  );
  if (o.strict && (missing.length > 0 || unexpected.length > 0)) {
    const list = (xs: string[]) =>
      `${xs.slice(0, 8).join(', ')}${xs.length > 8 ? `, … (${xs.length} in all)` : ''}`;
    throw new ArgumentError(
      `${fn}: the file and the model disagree${missing.length ? `; the model's weights the file lacks: ${list(missing)}` : ''}${unexpected.length ? `; the file's tensors the model lacks: ${list(unexpected)}` : ''}. Build the model with layout 'torchvision' and the same depth and classes, pass { head: false } for a new head, a \`map\` for other names, or { strict: false }.`,
    );
  }
  skipped.push(...unexpected);
  // set each layer's weights at once, in tfjs's order
  const byLayer = new Map<tfl.layers.Layer, tf.Tensor[]>();
  try {
    for (const { slot, tensor, name } of assigned.values()) {
      const list = byLayer.get(slot.layer) ?? slot.layer.getWeights();
      byLayer.set(slot.layer, list);
      const t = slot.perm
        ? tf.tensor(
            toTfjsLayout(tensor.values, tensor.shape, slot.perm),
            slot.perm.map((a) => tensor.shape[a]!),
            'float32',
          )
        : tf.tensor(tensor.values, tensor.shape, 'float32');
      list[slot.index] = t;
      loaded.push(name);
    }
    for (const [layer, list] of byLayer) layer.setWeights(list);
  } finally {
    // getWeights returns the layer's values (read, not copies to free); free what we made
    for (const list of byLayer.values()) for (const t of list) if (!isLayerValue(t)) t.dispose();
  }
  return { loaded, skipped, missing: o.strict ? [] : missing };
}

/** The [rows, cols] row-major matrix transposed, in 32 × 32 tiles (cache-friendly both ways). */
function transpose2d(src: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(src.length);
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const from = r * cols;
        for (let c = c0; c < c1; c++) out[c * rows + r] = src[from + c]!;
      }
    }
  }
  return out;
}

/**
 * A PyTorch weight in tfjs's layout, on the host (the backends' transposes cost several times
 * the read of a weights file): a linear layer's [out, in] as [in, out], a convolution's
 * [O, I, kh, kw] as [kh, kw, I, O] (a tiled transpose of [O, I·taps], then the taps' rows moved
 * in front of the inputs'), anything else axis by axis.
 */
function toTfjsLayout(
  values: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  if (shape.length === 2) return transpose2d(values, shape[0]!, shape[1]!);
  if (shape.length === 4 && perm.join() === '2,3,1,0') {
    const [O, I, kh, kw] = shape as [number, number, number, number];
    const taps = kh * kw;
    const t = transpose2d(values, O, I * taps); // rows (i, tap), O columns
    if (taps === 1) return t;
    const out = new Float32Array(values.length);
    for (let i = 0; i < I; i++) {
      for (let k = 0; k < taps; k++) {
        out.set(t.subarray((i * taps + k) * O, (i * taps + k + 1) * O), (k * I + i) * O);
      }
    }
    return out;
  }
  return permute(values, shape, perm);
}

/** `values` (row-major, `shape`) with its axes permuted: out axis i is input axis perm[i]. */
function permute(
  values: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const rank = shape.length;
  const outShape = perm.map((a) => shape[a]!);
  // the output's stride of each input axis
  const outStrides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) outStrides[i] = outStrides[i + 1]! * outShape[i + 1]!;
  const strideOfInput = new Array<number>(rank);
  perm.forEach((a, i) => {
    strideOfInput[a] = outStrides[i]!;
  });
  const out = new Float32Array(values.length);
  const index = new Array<number>(rank).fill(0);
  let at = 0;
  const last = rank - 1;
  const lastStride = strideOfInput[last]!;
  const lastSize = shape[last]!;
  for (let i = 0; i < values.length; i += lastSize) {
    for (let j = 0; j < lastSize; j++) out[at + j * lastStride] = values[i + j]!;
    // advance the index over the axes before the last
    for (let d = last - 1; d >= 0; d--) {
      at += strideOfInput[d]!;
      if (++index[d]! < shape[d]!) break;
      at -= strideOfInput[d]! * shape[d]!;
      index[d] = 0;
    }
  }
  return out;
}

/**
 * A convolution weight [O, C, kh, kw] summed over its C input channels to the layer's one, when
 * that is all that differs. @internal
 */
function sumChannelsToFit(
  tensor: WeightTensor,
  expected: readonly number[],
  slot: Slot,
): WeightTensor {
  const [O, C, kh, kw] = tensor.shape as [number, number, number, number];
  const cls = slot.layer.getClassName();
  if (cls !== 'Conv2D' || slot.param !== 'weight' || tensor.shape.length !== 4) return tensor;
  if (expected[2] !== 1 || C === 1 || expected[0] !== kh || expected[1] !== kw || expected[3] !== O)
    return tensor;
  const taps = kh * kw;
  const values = new Float32Array(O * taps);
  for (let o = 0; o < O; o++)
    for (let c = 0; c < C; c++)
      for (let t = 0; t < taps; t++)
        values[o * taps + t]! += tensor.values[(o * C + c) * taps + t]!;
  return { dtype: tensor.dtype, shape: [O, 1, kh, kw], values };
}

/** The inverse of a permutation. */
function inverse(perm: number[]): number[] {
  const out = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    out[p] = i;
  });
  return out;
}

/** True for a tensor that is a layer variable's own value (not to be disposed). */
function isLayerValue(t: tf.Tensor): boolean {
  return t instanceof tf.Variable;
}

/**
 * A model's weights as a safetensors file with PyTorch's names and layouts (each layer's name
 * and `.weight`, `.bias`, `.running_mean`, `.running_var`, `.num_batches_tracked`), so that a
 * model built with `layout: 'torchvision'` and fine-tuned here loads back into torchvision with
 * `model.load_state_dict(safetensors.torch.load_file(path))`.
 *
 * @param model - the model.
 * @returns the file's bytes.
 * @throws {@link ArgumentError} for a model with layers the writer cannot map.
 * @example
 * ```ts
 * await writeFile('finetuned.safetensors', saveTorchWeights(model));
 * ```
 */
export function saveTorchWeights(model: tfl.LayersModel): Uint8Array {
  const fn = 'saveTorchWeights';
  if (!(model instanceof tfl.LayersModel)) {
    throw new ArgumentError(
      `${fn}: \`model\` must be a tfjs-layers model. Received: ${describeValue(model)}.`,
    );
  }
  const out = new Map<string, WeightTensor>();
  for (const [key, slot] of slots(model, fn)) {
    const value = slot.layer.weights[slot.index]!.read();
    const back = slot.perm ? tf.tidy(() => tf.transpose(value, inverse(slot.perm!))) : value;
    out.set(key, { dtype: 'F32', shape: back.shape, values: Float32Array.from(back.dataSync()) });
    if (back !== value) back.dispose();
    if (slot.layer.getClassName() === 'BatchNormalization' && slot.param === 'running_var') {
      out.set(`${slot.layer.name}.num_batches_tracked`, {
        dtype: 'I64',
        shape: [],
        values: new Float32Array([0]),
      });
    }
  }
  return writeSafetensors(out);
}
