/**
 * Saving a tfjs-layers model to a folder on disk and loading it back, with `node:fs` (Node and
 * Deno) and no native Node binding: built on `tf.io.withSaveHandler` and `tf.io.fromMemory`.
 *
 * The folder holds `model.json` (topology, weight manifest, metadata) and `weights.bin`, the same
 * layout as the Node binding's `file://` handler, so `tf.loadLayersModel` elsewhere reads it too. The
 * compile arguments (optimizer, and the library's losses and metrics as `{ name, options }`) go
 * in `userDefinedMetadata.medkit`, and the optimizer's state in `optimizer.bin`, so a loaded model
 * is compiled as it was and resumes training where it stopped.
 *
 * @module
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { ArgumentError, describeValue, FormatError } from '../core/errors.js';
import { argName, resolveOptions } from '../core/validate.js';
import {
  compileFromConfig,
  describeTraining,
  type StoredTrainingConfig,
} from './training-config.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const OPTIMIZER_FILE = 'optimizer.bin';

/** Options of {@link saveModel}. */
export interface SaveModelOptions {
  /** Save the optimizer's state (Adam's moments, …) so training can resume. Defaults to true. */
  includeOptimizer?: boolean;
}

/** What {@link saveModel} wrote. */
export interface SaveModelResult {
  /** The files written, relative to the folder. */
  files: string[];
  /** True when the compile arguments were stored; false when the model was not compiled or its loss is a plain function. */
  trainingConfigSaved: boolean;
  /** Why the compile arguments were not stored, when they were not. */
  trainingConfigNote?: string;
}

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /** Compile the model from the stored training config (and restore the optimizer's state). Defaults to true. */
  compile?: boolean;
}

interface MedkitMetadata {
  version: 1;
  training?: StoredTrainingConfig;
  optimizerWeights?: { path: string; specs: tf.io.WeightsManifestEntry[] };
}

/** Writes `data` to `path` through a temporary file and a rename, so a crash never leaves half a file. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

function asBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * Saves a tfjs-layers model to a folder: `model.json`, `weights.bin` and, with the optimizer's
 * state, `optimizer.bin`.
 *
 * @param model - the model to save.
 * @param directory - the folder; created if missing; existing files of the same names are replaced.
 * @param options - see {@link SaveModelOptions}.
 * @returns the files written and whether the compile arguments were stored.
 * @throws `ArgumentError` (a `MedkitError`) for a non-model or an empty path.
 *
 * @example
 * ```ts
 * import { saveModel, loadModel } from 'tfjs-medkit/node';
 * await saveModel(model, './checkpoints/cnn');
 * const again = await loadModel('./checkpoints/cnn'); // compiled as before
 * ```
 */
export async function saveModel(
  model: tfl.LayersModel,
  directory: string,
  options?: SaveModelOptions,
): Promise<SaveModelResult> {
  const fn = 'saveModel';
  const opts = resolveOptions(fn, options, {
    includeOptimizer: { constraint: { kind: 'boolean' }, default: true },
  });
  if (!model || typeof (model as { save?: unknown }).save !== 'function') {
    throw new ArgumentError(
      `${argName(fn, 'model')} must be a tfjs-layers LayersModel. Received: ${describeValue(model)}.`,
    );
  }
  if (typeof directory !== 'string' || directory.length === 0) {
    throw new ArgumentError(
      `${argName(fn, 'directory')} must be a non-empty path. Received: ${describeValue(directory)}.`,
    );
  }
  const training = describeTraining(model);
  const medkit: MedkitMetadata = { version: 1 };
  const files = [MODEL_FILE, WEIGHTS_FILE];
  let optimizerBytes: Uint8Array | undefined;
  if (!('unsupported' in training)) {
    medkit.training = training;
    const optimizer = (model as { optimizer?: tf.Optimizer }).optimizer;
    if (opts.includeOptimizer && optimizer) {
      const weights = await optimizer.getWeights();
      const encoded = await tf.io.encodeWeights(weights);
      // getWeights() makes a fresh tensor for the iteration count; the rest are the optimizer's own variables
      for (const w of weights) if (!(w.tensor instanceof tf.Variable)) w.tensor.dispose();
      if (weights.length > 0) {
        optimizerBytes = asBytes(encoded.data);
        medkit.optimizerWeights = { path: OPTIMIZER_FILE, specs: encoded.specs };
        files.push(OPTIMIZER_FILE);
      }
    }
  }
  await mkdir(directory, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: { ...(artifacts.userDefinedMetadata ?? {}), medkit },
      };
      await writeAtomic(join(directory, WEIGHTS_FILE), asBytes(artifacts.weightData));
      if (optimizerBytes) await writeAtomic(join(directory, OPTIMIZER_FILE), optimizerBytes);
      await writeAtomic(join(directory, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return {
    files,
    trainingConfigSaved: !('unsupported' in training),
    ...('unsupported' in training
      ? { trainingConfigNote: `compile arguments not stored: ${training.unsupported}` }
      : {}),
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

/** Bytes a weight occupies in the binary file (quantised weights by their stored dtype). */
function specBytes(spec: tf.io.WeightsManifestEntry): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const per = DTYPE_BYTES[dtype];
  if (per === undefined)
    throw new FormatError(`model.json: weight ${spec.name} has unsupported dtype ${dtype}.`);
  return per * spec.shape.reduce((a, b) => a * b, 1);
}

async function readChecked(path: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new FormatError(`cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** Reads weight files and checks their total size against the manifest. */
async function readWeights(
  directory: string,
  paths: string[],
  specs: tf.io.WeightsManifestEntry[],
  what: string,
): Promise<ArrayBuffer> {
  const parts = await Promise.all(paths.map((p) => readChecked(join(directory, p))));
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const expected = specs.reduce((a, s) => a + specBytes(s), 0);
  if (total !== expected) {
    throw new FormatError(
      `${what} in ${directory} ${total < expected ? 'is truncated' : 'is longer than its manifest'}: ${total} bytes, the manifest describes ${expected}.`,
    );
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out.buffer;
}

/**
 * Loads a model saved by {@link saveModel} (or any tfjs `model.json` with its weight files) from
 * a folder, and compiles it from its stored training config.
 *
 * @param directory - the folder holding `model.json`.
 * @param options - see {@link LoadModelOptions}.
 * @returns the model, compiled when a training config was stored and `compile` is true.
 * @throws `FormatError` (a `MedkitError`) for a missing, corrupt or truncated file, or a topology tfjs-layers
 *   cannot build.
 *
 * @example
 * ```ts
 * const model = await loadModel('./checkpoints/cnn');
 * model.predict(tf.zeros([1, 28, 28, 1]));
 * ```
 */
export async function loadModel(
  directory: string,
  options?: LoadModelOptions,
): Promise<tfl.LayersModel> {
  const fn = 'loadModel';
  const opts = resolveOptions(fn, options, {
    compile: { constraint: { kind: 'boolean' }, default: true },
  });
  if (typeof directory !== 'string' || directory.length === 0) {
    throw new ArgumentError(
      `${argName(fn, 'directory')} must be a non-empty path. Received: ${describeValue(directory)}.`,
    );
  }
  const jsonPath = join(directory, MODEL_FILE);
  const text = new TextDecoder().decode(await readChecked(jsonPath));
  let json: {
    modelTopology?: object;
    weightsManifest?: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
    userDefinedMetadata?: { medkit?: MedkitMetadata } & Record<string, unknown>;
    format?: string;
    generatedBy?: string;
    convertedBy?: string | null;
  };
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new FormatError(
      `${jsonPath} is not valid JSON (corrupt or truncated): ${(e as Error).message}`,
      { cause: e },
    );
  }
  if (
    typeof json !== 'object' ||
    json === null ||
    typeof json.modelTopology !== 'object' ||
    !Array.isArray(json.weightsManifest)
  ) {
    throw new FormatError(
      `${jsonPath} has no modelTopology or weightsManifest: not a tfjs layers model.`,
    );
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights ?? []);
  const paths = json.weightsManifest.flatMap((g) => g.paths ?? []);
  const weightData = await readWeights(directory, paths, specs, 'the weights');
  let model: tfl.LayersModel;
  try {
    model = await tfl.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData,
        ...(json.userDefinedMetadata ? { userDefinedMetadata: json.userDefinedMetadata } : {}),
        ...(json.format ? { format: json.format } : {}),
      }),
    );
  } catch (e) {
    throw new FormatError(
      `${jsonPath}: tfjs-layers could not build the model: ${(e as Error).message}`,
      { cause: e },
    );
  }
  const medkit = json.userDefinedMetadata?.medkit;
  if (opts.compile && medkit?.training) {
    compileFromConfig(model, medkit.training);
    const stored = medkit.optimizerWeights;
    if (stored && model.optimizer) {
      const data = await readWeights(directory, [stored.path], stored.specs, 'the optimizer state');
      const map = tf.io.decodeWeights(data, stored.specs);
      await model.optimizer.setWeights(
        stored.specs.map((s) => ({ name: s.name, tensor: map[s.name]! })),
      );
      tf.dispose(Object.values(map));
    }
  }
  return model;
}
