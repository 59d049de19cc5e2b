/**
 * `tfjs-medkit/privacy`: the differential-privacy accountant of DP-SGD (Rényi DP of the sampled
 * Gaussian mechanism, converted to (ε, δ)) and noise calibration. Training with privacy is
 * `trainClassifier`'s `privacy` option; docs/privacy.md says what each privacy tool does and does
 * not protect.
 *
 * @module
 */
export {
  DEFAULT_ORDERS,
  type DpEpsilon,
  type DpEpsilonOptions,
  dpEpsilon,
  type GaussianMechanism,
  type NoiseMultiplierOptions,
  noiseMultiplierFor,
  rdpSampledGaussian,
} from './accountant.js';
