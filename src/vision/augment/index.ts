/**
 * Seeded, composable augmentation of image and volume batches.
 *
 * @module
 */
export {
  type AffineTransform,
  type Augmentation,
  type AugmentCall,
  type AugmentedPair,
  type AugmentTransform,
  type BrightnessTransform,
  type ContrastTransform,
  createAugmentation,
  type ElasticTransform,
  type FlipTransform,
  type GammaTransform,
  type GaussianNoiseTransform,
  type RandomCropTransform,
  type Rotate90Transform,
  type RotateTransform,
  type TransformBase,
  type TranslateTransform,
  type ZoomTransform,
} from './augmentation.js';
