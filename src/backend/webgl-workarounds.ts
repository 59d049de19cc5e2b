/**
 * Settings that keep the webgl backend's training numerically in step with cpu.
 *
 * tfjs's webgl backend keeps the result of a packed elementwise kernel packed (four values per
 * texel) and unpacks it only when a later kernel asks (`WEBGL_LAZILY_UNPACK`). An optimizer's
 * update leaves each variable in that state, and a later training step reads such a variable
 * wrongly: measured in headless Chromium (WebGL2 on SwiftShader), a small CNN's second SGD step
 * departs from cpu by 3e-4 in its weights and 6e-3 in its predictions, growing with every step,
 * although every kernel alone, and the whole gradient at fixed weights, agree to 1e-7. With lazy
 * unpacking off, every workload agrees with cpu to 2e-3 or better. The cost is one unpack
 * program per packed result that a later kernel reads unpacked.
 *
 * @module
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';

const FLAG = 'WEBGL_LAZILY_UNPACK';

/**
 * Turns off the webgl backend's lazy unpacking when that backend is loaded (its flags are
 * registered when its module is imported); does nothing otherwise. Idempotent.
 *
 * @returns true when the flag is (now) off, false when webgl is not loaded.
 * @internal
 */
export function applyWebglWorkarounds(): boolean {
  const env = tf.env();
  try {
    if (env.getBool(FLAG)) env.set(FLAG, false);
    return true;
  } catch {
    return false; // the webgl backend's module was not imported: its flags do not exist
  }
}

/**
 * A sentence for errors about non-finite numbers: what float16 textures do to training, when the
 * active backend is webgl rendering to them (a device without float32 textures, or
 * `WEBGL_RENDER_FLOAT32_ENABLED` off); empty otherwise.
 *
 * Measured in headless Chromium with float16 textures forced: single kernels within 4% of cpu,
 * but a ResNet-18's and a GAN's losses turned NaN at their second step, and Grad-CAM and
 * saliency maps came out NaN.
 *
 * @internal
 */
export function precisionHint(): string {
  if (tf.getBackend() !== 'webgl') return '';
  try {
    if (tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')) return '';
  } catch {
    return '';
  }
  return ' (the webgl backend here computes in float16 textures, too coarse for gradients: use webgpu, wasm or cpu)';
}
