/**
 * Explanations of image classifiers: Grad-CAM, occlusion sensitivity, gradient saliency
 * (SmoothGrad), and heatmap overlays for display.
 *
 * @module
 */
export { type GradCamOptions, gradCam } from './grad-cam.js';
export { type OcclusionOptions, occlusionSensitivity } from './occlusion.js';
export { type OverlayOptions, overlayHeatmap, type RgbaImage } from './overlay.js';
export { type SaliencyOptions, saliencyMap } from './saliency.js';
