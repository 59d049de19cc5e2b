/**
 * GAN checkpoints on disk (Node and Deno): the generator and discriminator saved with
 * `saveModel`, and the trainer's own state (optimizer slots, moving averages, noise generator,
 * step count) beside them, so training resumes exactly where it stopped.
 *
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { FormatError } from '../core/errors.js';
import type { GanModels } from '../generative/models.js';
import type { GanTrainer, GanTrainerState } from '../generative/trainer.js';
import { loadModel, saveModel } from './model-files.js';

interface StoredState {
  format: 'tfjs-medkit-gan-state';
  version: 1;
  step: number;
  random: number[];
  generatorOptimizer: string[];
  discriminatorOptimizer: string[];
  ema: number;
  specs: tf.io.WeightsManifestEntry[];
}

/**
 * Saves a GAN checkpoint: `generator/` and `discriminator/` (as `saveModel` writes them) and
 * `trainer.json` + `trainer.bin` (the trainer's state) in `directory`.
 *
 * @param trainer - the trainer.
 * @param directory - created when missing.
 * @example
 * ```ts
 * await saveGanCheckpoint(trainer, 'runs/gan/epoch-20');
 * ```
 */
export async function saveGanCheckpoint(trainer: GanTrainer, directory: string): Promise<void> {
  await mkdir(directory, { recursive: true });
  await saveModel(trainer.generator, join(directory, 'generator'));
  await saveModel(trainer.discriminator, join(directory, 'discriminator'));
  const state = await trainer.getState();
  try {
    const named = [
      ...state.generatorOptimizer.map((w, i) => ({ name: `g/${i}`, tensor: w.tensor })),
      ...state.discriminatorOptimizer.map((w, i) => ({ name: `d/${i}`, tensor: w.tensor })),
      ...(state.ema ?? []).map((t, i) => ({ name: `ema/${i}`, tensor: t })),
    ];
    const { data, specs } = await tf.io.encodeWeights(named);
    const stored: StoredState = {
      format: 'tfjs-medkit-gan-state',
      version: 1,
      step: state.step,
      random: state.random,
      generatorOptimizer: state.generatorOptimizer.map((w) => w.name),
      discriminatorOptimizer: state.discriminatorOptimizer.map((w) => w.name),
      ema: state.ema?.length ?? 0,
      specs,
    };
    await writeFile(join(directory, 'trainer.json'), JSON.stringify(stored));
    await writeFile(join(directory, 'trainer.bin'), new Uint8Array(data));
  } finally {
    tf.dispose([
      ...state.generatorOptimizer.map((w) => w.tensor),
      ...state.discriminatorOptimizer.map((w) => w.tensor),
      ...(state.ema ?? []),
    ]);
  }
}

/**
 * Loads the two networks of a GAN checkpoint; build a `GanTrainer` over them with the original
 * options, then call {@link restoreGanState}.
 *
 * @throws `FormatError` (from `loadModel`) for missing or corrupt model files.
 */
export async function loadGanModels(directory: string): Promise<GanModels> {
  return {
    generator: await loadModel(join(directory, 'generator')),
    discriminator: await loadModel(join(directory, 'discriminator')),
  };
}

/**
 * Restores a trainer's state from a checkpoint (see {@link saveGanCheckpoint}); training then
 * continues exactly as it would have without the interruption.
 *
 * @throws `FormatError` for a missing, corrupt or foreign state file.
 * @example
 * ```ts
 * const { generator, discriminator } = await loadGanModels(dir);
 * const trainer = new GanTrainer({ generator, discriminator, ...sameOptions });
 * await restoreGanState(trainer, dir);
 * ```
 */
export async function restoreGanState(trainer: GanTrainer, directory: string): Promise<void> {
  let stored: StoredState;
  let bytes: Uint8Array;
  try {
    stored = JSON.parse(await readFile(join(directory, 'trainer.json'), 'utf8')) as StoredState;
    bytes = new Uint8Array(await readFile(join(directory, 'trainer.bin')));
  } catch (e) {
    throw new FormatError(
      `restoreGanState: cannot read the trainer state in ${directory}: ${(e as Error).message}.`,
      { cause: e },
    );
  }
  if (stored?.format !== 'tfjs-medkit-gan-state' || !Array.isArray(stored.specs)) {
    throw new FormatError(
      `restoreGanState: ${join(directory, 'trainer.json')} is not a GAN trainer state.`,
    );
  }
  let map: tf.NamedTensorMap;
  try {
    map = tf.io.decodeWeights(
      bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
      stored.specs,
    );
  } catch (e) {
    throw new FormatError(
      `restoreGanState: trainer.bin does not match trainer.json: ${(e as Error).message}.`,
      { cause: e },
    );
  }
  const state: GanTrainerState = {
    step: stored.step,
    random: stored.random,
    generatorOptimizer: stored.generatorOptimizer.map((name, i) => ({
      name,
      tensor: map[`g/${i}`]!,
    })),
    discriminatorOptimizer: stored.discriminatorOptimizer.map((name, i) => ({
      name,
      tensor: map[`d/${i}`]!,
    })),
    ...(stored.ema > 0
      ? { ema: Array.from({ length: stored.ema }, (_, i) => map[`ema/${i}`]!) }
      : {}),
  };
  try {
    await trainer.setState(state);
  } finally {
    tf.dispose(Object.values(map));
  }
}
