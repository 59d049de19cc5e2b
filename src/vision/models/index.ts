/**
 * Classifier factories: plain tfjs-layers models, 2D or 3D by the rank of the input shape.
 *
 * @module
 */

export { createDenseNet, type DenseNetOptions } from './densenet.js';
export type { ClassifierBaseOptions, ModelOutput } from './layer-kit.js';
export { type ReplaceHeadOptions, replaceHead } from './replace-head.js';
export { createResNet, type ResNetBlock, type ResNetOptions } from './resnet.js';
export { createSimpleCnn, type SimpleCnnOptions } from './simple-cnn.js';
export {
  type LoadTorchWeightsOptions,
  loadTorchWeights,
  saveTorchWeights,
  type TorchWeightsReport,
} from './torch-weights.js';
