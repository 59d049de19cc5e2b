/**
 * Training on every backend: the kernels and gradients tfjs's backends lack for training, and a
 * check that lists what a model's training step needs before it starts.
 *
 * @module
 */
export { checkTrainingSupport } from './check-training-support.js';
export { FusedAdamOptimizer, fusedAdam } from './fused-adam.js';
export { withFusedLayers } from './fused-layers.js';
export { registerTrainingKernels } from './register-training-kernels.js';
export { registerSecondOrderGradients } from './second-order-gradients.js';
