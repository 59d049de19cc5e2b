/**
 * Per-step seeds for the layers that draw random numbers in training (dropout and its kin).
 *
 * tfjs-layers' dropout draws its mask with the layer's `seed` field on every call: left unset it
 * uses `Math.random` (a run cannot repeat), set once it draws the same mask at every step (the
 * flaw of tfjs `fit`). The trainers give each such layer a fresh seed from the run's generator
 * before every step, so masks change from step to step and the same run seed repeats them.
 *
 * @module
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { flatLayers } from '../core/model-layers.js';
import type { Random } from '../core/random.js';

/** The tfjs-layers classes whose training-mode output depends on their `seed` field. */
const SEEDED_LAYERS = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
]);

/** A layer whose randomness is driven by its `seed` field. @internal */
export interface SeededLayer {
  seed?: number;
}

/**
 * The layers of `models` (nested models included) whose randomness takes a seed, each once.
 *
 * @internal
 */
export function noiseLayers(...models: tfl.LayersModel[]): SeededLayer[] {
  const found = new Set<SeededLayer>();
  for (const m of models) {
    for (const l of flatLayers(m))
      if (SEEDED_LAYERS.has(l.getClassName())) found.add(l as unknown as SeededLayer);
  }
  return [...found];
}

/**
 * Gives each layer a new tfjs seed drawn from `rng` (one draw a layer, in the layers' order).
 *
 * @internal
 */
export function reseedNoise(layers: readonly SeededLayer[], rng: Random): void {
  for (const layer of layers) layer.seed = rng.tfSeed();
}
