/**
 * Intensity and spatial preprocessing of medical images.
 *
 * @module
 */
export {
  centerCrop,
  cropForeground,
  type ForegroundCrop,
  type ForegroundOptions,
  type PadOrCropOptions,
  type ResampleOptions,
  resampleToSpacing,
  resizeWithPadOrCrop,
} from './geometry.js';
export {
  CT_WINDOWS,
  type CtWindow,
  type CtWindowName,
  type NormalizeOptions,
  normalizeIntensity,
  type PercentileScaleOptions,
  type ScaleRangeOptions,
  scaleIntensityPercentiles,
  scaleIntensityRange,
  type WindowSpec,
  windowIntensity,
} from './intensity.js';
export { type OrientedVolume, reorientToCanonical } from './orientation.js';
