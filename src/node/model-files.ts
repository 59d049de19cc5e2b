/**
 * Saving a tfjs-layers model to a folder on disk and loading it back, with `node:fs` (Node and
 * Deno) and no native Node binding: a file-system `IOHandler` under the library's
 * platform-independent `saveModel`/`loadModel` (which store the compile arguments and the
 * optimizer's state).
 *
 * The folder holds `model.json` (topology, weight manifest, metadata) and `weights.bin`, the same
 * layout as the Node binding's `file://` handler, so `tf.loadLayersModel` elsewhere reads it too;
 * the optimizer's state goes in `optimizer.bin` beside them, named in
 * `userDefinedMetadata.medkit`.
 *
 * @module
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { concatBytes } from '../core/bytes.js';
import { ArgumentError, describeValue, FormatError } from '../core/errors.js';
import { argName } from '../core/validate.js';
import {
  type LoadModelOptions,
  loadModel as loadThrough,
  type MedkitMetadata,
  type SavedModelInfo,
  type SaveModelOptions,
  saveModel as saveThrough,
  specBytes,
  splitWeights,
  weightBytes,
} from '../training/model-store.js';

const MODEL_FILE = 'model.json';
const WEIGHTS_FILE = 'weights.bin';
const OPTIMIZER_FILE = 'optimizer.bin';

/** What {@link saveModel} wrote. */
export interface SaveModelResult extends SavedModelInfo {
  /** The files written, relative to the folder. */
  files: string[];
}

/** Writes `data` to `path` through a temporary file and a rename, so a crash never leaves half a file. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** A folder path, as opposed to a URL (`indexeddb://…`) or an `IOHandler`. */
function isFolder(destination: unknown): boolean {
  return (
    (typeof destination !== 'object' || destination === null) &&
    !(
      typeof destination === 'string' &&
      /^[a-z][a-z0-9+.-]*:\/\//i.test(destination) &&
      !destination.startsWith('file://')
    )
  );
}

function checkDirectory(fn: string, directory: unknown): asserts directory is string {
  if (typeof directory !== 'string' || directory.length === 0) {
    throw new ArgumentError(
      `${argName(fn, 'directory')} must be a non-empty path. Received: ${describeValue(directory)}.`,
    );
  }
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
): Promise<Uint8Array> {
  const parts = await Promise.all(paths.map((p) => readChecked(join(directory, p))));
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const expected = specs.reduce((a, s) => a + specBytes(s, MODEL_FILE), 0);
  if (total !== expected) {
    throw new FormatError(
      `${what} in ${directory} ${total < expected ? 'is truncated' : 'is longer than its manifest'}: ${total} bytes, the manifest describes ${expected}.`,
    );
  }
  return concatBytes(parts);
}

/**
 * A tfjs `IOHandler` on a folder: `save` writes `model.json`, `weights.bin` and (for weights of
 * the `'optimizer'` group) `optimizer.bin`, each through a temporary file and a rename; `load`
 * reads them back, checking every size against the manifest.
 *
 * @param directory - the folder; created on save if missing.
 * @returns the handler, for {@link saveModel}/{@link loadModel} or tfjs's own `model.save`.
 * @throws `ArgumentError` for an empty path; `FormatError` from `load` for missing, corrupt or truncated files.
 *
 * @example
 * ```ts
 * import { folderHandler } from 'tfjs-medkit/node';
 * await model.save(folderHandler('./checkpoints/plain')); // tfjs's save, no compile arguments
 * ```
 */
export function folderHandler(directory: string): tf.io.IOHandler {
  checkDirectory('folderHandler', directory);
  if (directory.startsWith('file://')) directory = fileURLToPath(directory);
  return {
    async save(artifacts) {
      const { model, optimizer } = splitWeights(
        artifacts.weightSpecs ?? [],
        weightBytes(artifacts.weightData),
        MODEL_FILE,
      );
      const metadata = { ...(artifacts.userDefinedMetadata ?? {}) } as Record<string, unknown> & {
        medkit?: MedkitMetadata;
      };
      if (optimizer.specs.length > 0) {
        metadata.medkit = {
          ...(metadata.medkit ?? { version: 1 }),
          optimizerWeights: { path: OPTIMIZER_FILE, specs: optimizer.specs },
        };
      }
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: model.specs }],
        userDefinedMetadata: metadata,
      };
      await mkdir(directory, { recursive: true });
      await writeAtomic(join(directory, WEIGHTS_FILE), new Uint8Array(model.data));
      if (optimizer.specs.length > 0)
        await writeAtomic(join(directory, OPTIMIZER_FILE), new Uint8Array(optimizer.data));
      await writeAtomic(join(directory, MODEL_FILE), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load() {
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
      const parts = [await readWeights(directory, paths, specs, 'the weights')];
      const stored = json.userDefinedMetadata?.medkit?.optimizerWeights;
      if (stored) {
        parts.push(
          await readWeights(directory, [stored.path], stored.specs, 'the optimizer state'),
        );
        specs.push(...stored.specs.map((s) => ({ ...s, group: 'optimizer' as const })));
      }
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: concatBytes(parts).buffer,
        ...(json.userDefinedMetadata
          ? {
              userDefinedMetadata: json.userDefinedMetadata as NonNullable<
                tf.io.ModelArtifacts['userDefinedMetadata']
              >,
            }
          : {}),
        ...(json.format ? { format: json.format } : {}),
      };
    },
  };
}

/**
 * Saves a tfjs-layers model to a folder: `model.json`, `weights.bin` and, with the optimizer's
 * state, `optimizer.bin`; the compile arguments go in `model.json`.
 *
 * @param model - the model to save.
 * @param directory - the folder (a path, or `file://…`); created if missing; existing files of the
 *   same names are replaced. A URL of another scheme or an `IOHandler` goes to the
 *   platform-independent `saveModel` (then `files` is empty).
 * @param options - see {@link SaveModelOptions}.
 * @returns the files written and whether the compile arguments and optimizer state were stored.
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
  directory: string | tf.io.IOHandler,
  options?: SaveModelOptions,
): Promise<SaveModelResult> {
  if (!isFolder(directory)) return { files: [], ...(await saveThrough(model, directory, options)) };
  checkDirectory('saveModel', directory);
  const info = await saveThrough(model, folderHandler(directory), options);
  return {
    files: [MODEL_FILE, WEIGHTS_FILE, ...(info.optimizerSaved ? [OPTIMIZER_FILE] : [])],
    ...info,
  };
}

/**
 * Loads a model saved by {@link saveModel} (or any tfjs `model.json` with its weight files) from
 * a folder, and compiles it from its stored training config with the optimizer's state.
 *
 * @param directory - the folder holding `model.json` (a path, or `file://…`); a URL of another
 *   scheme or an `IOHandler` goes to the platform-independent `loadModel`.
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
  directory: string | tf.io.IOHandler,
  options?: LoadModelOptions,
): Promise<tfl.LayersModel> {
  if (!isFolder(directory)) return loadThrough(directory, options);
  checkDirectory('loadModel', directory);
  return loadThrough(folderHandler(directory), options);
}
