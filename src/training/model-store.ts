/**
 * Saving a tfjs-layers model with what training needs to resume, and loading it back compiled,
 * through any tfjs `IOHandler` or URL scheme: `indexeddb://` and `localstorage://` (browsers),
 * `downloads://` (browsers, saving), `http(s)://` (loading; saving posts the files there), or a
 * handler you write. `tfjs-medkit/node`'s `saveModel`/`loadModel` add folders on disk and call
 * these.
 *
 * What is stored beyond tfjs's own artifacts: the compile arguments (optimizer class and config,
 * the library's losses and metrics as `{ name, options }`) in `userDefinedMetadata.medkit`, and
 * the optimizer's state (Adam's moments, the step count) as extra weights of the group
 * `'optimizer'`, tfjs's own convention, so a stock `tf.loadLayersModel` reads the model too and
 * skips them.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue, FormatError } from '../core/errors.js';
import { argName, resolveOptions } from '../core/validate.js';
import {
  compileFromConfig,
  describeTraining,
  type StoredTrainingConfig,
} from './training-config.js';

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /** Save the optimizer's state (Adam's moments, …) so training can resume. Defaults to true. */
  includeOptimizer?: boolean;
}

/** What {@link saveModel} stored. */
export interface SavedModelInfo {
  /** True when the compile arguments were stored; false when the model was not compiled or its loss is a plain function. */
  trainingConfigSaved: boolean;
  /** Why the compile arguments were not stored, when they were not. */
  trainingConfigNote?: string;
  /** True when the optimizer's state was stored. */
  optimizerSaved: boolean;
  /** What the handler reported (sizes of the topology and weights). */
  artifactsInfo: tf.io.ModelArtifactsInfo;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Compile the model from the stored training config (and restore the optimizer's state). Defaults to true. */
  compile?: boolean;
}

/** The library's part of `userDefinedMetadata`. @internal */
export interface MedkitMetadata {
  version: 1;
  training?: StoredTrainingConfig;
  /** Where `tfjs-medkit/node` keeps the optimizer's state on disk (a file beside the weights). */
  optimizerWeights?: { path: string; specs: tf.io.WeightsManifestEntry[] };
}

const OPTIMIZER_GROUP = 'optimizer';

/** The weight data as one buffer. @internal */
export function weightBytes(data: tf.io.WeightData | undefined): ArrayBuffer {
  if (data === undefined) return new ArrayBuffer(0);
  return tf.io.CompositeArrayBuffer.join(data);
}

function saveHandlerFor(fn: string, destination: unknown): tf.io.IOHandler {
  if (typeof destination === 'string') {
    const handlers = tf.io.getSaveHandlers(destination);
    if (handlers.length !== 1) {
      throw new ArgumentError(
        `${argName(fn, 'destination')} ${JSON.stringify(destination)} matches ${handlers.length === 0 ? 'no' : handlers.length} tfjs save handlers: use a registered scheme (indexeddb://, localstorage://, downloads:// in browsers; http(s)://), an IOHandler, or tfjs-medkit/node's saveModel for a folder.`,
      );
    }
    return handlers[0]!;
  }
  if (destination && typeof (destination as tf.io.IOHandler).save === 'function') {
    return destination as tf.io.IOHandler;
  }
  throw new ArgumentError(
    `${argName(fn, 'destination')} must be a URL string or a tfjs IOHandler with save(). Received: ${describeValue(destination)}.`,
  );
}

function loadHandlerFor(fn: string, source: unknown): tf.io.IOHandler {
  if (typeof source === 'string') {
    const handlers = tf.io.getLoadHandlers(source);
    if (handlers.length !== 1) {
      throw new ArgumentError(
        `${argName(fn, 'source')} ${JSON.stringify(source)} matches ${handlers.length === 0 ? 'no' : handlers.length} tfjs load handlers: use a registered scheme (indexeddb://, localstorage:// in browsers; http(s)://), an IOHandler, or tfjs-medkit/node's loadModel for a folder.`,
      );
    }
    return handlers[0]!;
  }
  if (source && typeof (source as tf.io.IOHandler).load === 'function') {
    return source as tf.io.IOHandler;
  }
  throw new ArgumentError(
    `${argName(fn, 'source')} must be a URL string or a tfjs IOHandler with load(). Received: ${describeValue(source)}.`,
  );
}

/**
 * Saves a tfjs-layers model with its compile arguments and optimizer state through a tfjs
 * `IOHandler` or URL scheme.
 *
 * @param model - the model to save.
 * @param destination - `'indexeddb://name'`, `'localstorage://name'`, `'downloads://name'`,
 *   `'http(s)://…'`, or any `tf.io.IOHandler` with `save()`.
 * @param options - see {@link SaveModelOptions}.
 * @returns whether the compile arguments and the optimizer's state were stored, and the handler's report.
 * @throws `ArgumentError` (a `MedkitError`) for a non-model, an unknown scheme or a handler without `save()`;
 *   the handler's own error (quota, network) otherwise.
 *
 * @example
 * ```ts
 * import { loadModel, saveModel } from 'tfjs-medkit';
 * await saveModel(model, 'indexeddb://ct-classifier'); // in a browser
 * const again = await loadModel('indexeddb://ct-classifier'); // compiled, optimizer state restored
 * ```
 */
export async function saveModel(
  model: tfl.LayersModel,
  destination: string | tf.io.IOHandler,
  options?: SaveModelOptions,
): Promise<SavedModelInfo> {
  const fn = 'saveModel';
  const opts = resolveOptions(fn, options, {
    includeOptimizer: { constraint: { kind: 'boolean' }, default: true },
  });
  if (!model || typeof (model as { save?: unknown }).save !== 'function') {
    throw new ArgumentError(
      `${argName(fn, 'model')} must be a tfjs-layers LayersModel. Received: ${describeValue(model)}.`,
    );
  }
  const handler = saveHandlerFor(fn, destination);
  const training = describeTraining(model);
  const medkit: MedkitMetadata = { version: 1 };
  let optimizerPart: { data: ArrayBuffer; specs: tf.io.WeightsManifestEntry[] } | undefined;
  if (!('unsupported' in training)) {
    medkit.training = training;
    const optimizer = (model as { optimizer?: tf.Optimizer }).optimizer;
    if (opts.includeOptimizer && optimizer) {
      const weights = await optimizer.getWeights();
      const encoded = await tf.io.encodeWeights(weights, OPTIMIZER_GROUP);
      // getWeights() makes a fresh tensor for the step count; the rest are the optimizer's own variables
      for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
      if (weights.length > 0)
        optimizerPart = { data: weightBytes(encoded.data), specs: encoded.specs };
    }
  }
  const result = await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const out: tf.io.ModelArtifacts = {
        ...artifacts,
        userDefinedMetadata: { ...(artifacts.userDefinedMetadata ?? {}), medkit },
      };
      if (optimizerPart) {
        out.weightSpecs = [...(artifacts.weightSpecs ?? []), ...optimizerPart.specs];
        out.weightData = tf.io.CompositeArrayBuffer.join([
          weightBytes(artifacts.weightData),
          optimizerPart.data,
        ]);
      }
      return handler.save!(out);
    }),
  );
  return {
    trainingConfigSaved: !('unsupported' in training),
    ...('unsupported' in training
      ? { trainingConfigNote: `compile arguments not stored: ${training.unsupported}` }
      : {}),
    optimizerSaved: optimizerPart !== undefined,
    artifactsInfo: result.modelArtifactsInfo,
  };
}

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Bytes a weight occupies in the binary data (quantised weights by their stored dtype). @internal */
export function specBytes(spec: tf.io.WeightsManifestEntry, what: string): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const per = DTYPE_BYTES[dtype];
  if (per === undefined || !Array.isArray(spec.shape)) {
    throw new FormatError(`${what}: weight ${spec.name} has unsupported dtype ${dtype}.`);
  }
  return per * spec.shape.reduce((a, b) => a * b, 1);
}

/**
 * The weights split into the model's and the optimizer's (tfjs's `'optimizer'` group), each
 * with its own bytes; the data's size is checked against the specs.
 *
 * @throws {@link FormatError} when the data is shorter or longer than the specs describe.
 * @internal
 */
export function splitWeights(
  specs: tf.io.WeightsManifestEntry[],
  data: ArrayBuffer,
  what: string,
): Record<'model' | 'optimizer', { specs: tf.io.WeightsManifestEntry[]; data: ArrayBuffer }> {
  const sizes = specs.map((s) => specBytes(s, what));
  const expected = sizes.reduce((a, b) => a + b, 0);
  if (data.byteLength !== expected) {
    throw new FormatError(
      `${what}: the weights ${data.byteLength < expected ? 'are truncated' : 'are longer than their manifest'}: ${data.byteLength} bytes, the manifest describes ${expected}.`,
    );
  }
  const parts = { model: [] as ArrayBuffer[], optimizer: [] as ArrayBuffer[] };
  const out = {
    model: { specs: [] as tf.io.WeightsManifestEntry[], data: new ArrayBuffer(0) },
    optimizer: { specs: [] as tf.io.WeightsManifestEntry[], data: new ArrayBuffer(0) },
  };
  let offset = 0;
  specs.forEach((spec, i) => {
    const side = spec.group === OPTIMIZER_GROUP ? 'optimizer' : 'model';
    out[side].specs.push(spec);
    parts[side].push(data.slice(offset, offset + sizes[i]!));
    offset += sizes[i]!;
  });
  out.model.data = tf.io.CompositeArrayBuffer.join(parts.model);
  out.optimizer.data = tf.io.CompositeArrayBuffer.join(parts.optimizer);
  return out;
}

/**
 * Loads a model saved by {@link saveModel} (or any tfjs layers model) through a tfjs `IOHandler`
 * or URL scheme, and compiles it from its stored training config with the optimizer's state.
 *
 * @param source - `'indexeddb://name'`, `'localstorage://name'`, `'http(s)://…/model.json'`, or any
 *   `tf.io.IOHandler` with `load()` (`tf.io.browserFiles([json, weights])` for files a user picked).
 * @param options - see {@link LoadModelOptions}.
 * @returns the model, compiled when a training config was stored and `compile` is true.
 * @throws `ArgumentError` for an unknown scheme; `FormatError` (a `MedkitError`) for missing,
 *   corrupt or truncated artifacts or a topology tfjs-layers cannot build.
 *
 * @example
 * ```ts
 * const model = await loadModel('indexeddb://ct-classifier');
 * model.predict(tf.zeros([1, 64, 64, 1]));
 * ```
 */
export async function loadModel(
  source: string | tf.io.IOHandler,
  options?: LoadModelOptions,
): Promise<tfl.LayersModel> {
  const fn = 'loadModel';
  const opts = resolveOptions(fn, options, {
    compile: { constraint: { kind: 'boolean' }, default: true },
  });
  const handler = loadHandlerFor(fn, source);
  const what = typeof source === 'string' ? source : fn;
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load!();
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${what}: the model cannot be read: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (
    typeof artifacts !== 'object' ||
    artifacts === null ||
    typeof artifacts.modelTopology !== 'object' ||
    artifacts.modelTopology === null
  ) {
    throw new FormatError(`${what} has no modelTopology: not a tfjs layers model.`);
  }
  const weights = splitWeights(
    artifacts.weightSpecs ?? [],
    weightBytes(artifacts.weightData),
    what,
  );
  const medkit = (artifacts.userDefinedMetadata as { medkit?: MedkitMetadata } | undefined)?.medkit;
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: artifacts.modelTopology,
        weightSpecs: weights.model.specs,
        weightData: weights.model.data,
        ...(artifacts.userDefinedMetadata
          ? { userDefinedMetadata: artifacts.userDefinedMetadata }
          : {}),
        ...(artifacts.format ? { format: artifacts.format } : {}),
        // a stock tfjs save with includeOptimizer: tfjs compiles from its string losses
        ...(opts.compile && !medkit?.training && artifacts.trainingConfig
          ? { trainingConfig: artifacts.trainingConfig }
          : {}),
      }),
    );
  } catch (e) {
    throw new FormatError(
      `${what}: tfjs-layers could not build the model: ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (opts.compile && medkit?.training) compileFromConfig(model, medkit.training);
  if (opts.compile && model.optimizer && weights.optimizer.specs.length > 0) {
    const map = tf.io.decodeWeights(weights.optimizer.data, weights.optimizer.specs);
    await model.optimizer.setWeights(
      weights.optimizer.specs.map((s) => ({ name: s.name, tensor: map[s.name]! })),
    );
    tf.dispose(Object.values(map));
  }
  return model;
}
