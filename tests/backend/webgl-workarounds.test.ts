/**
 * The webgl setting the library applies (this file runs in its own process): lazy unpacking off
 * once the webgl backend's module is loaded, whether registerTrainingKernels() ran before or after
 * it, and by the trainers themselves. The numbers it fixes are checked in headless Chromium
 * (scripts/browser-backends.mjs); Node has no WebGL, only the backend's flags.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it } from 'vitest';
import { applyWebglWorkarounds } from '../../src/backend/webgl-workarounds.js';
import { registerTrainingKernels } from '../../src/index.js';

it('does nothing while webgl is not loaded, and turns lazy unpacking off once it is', async () => {
  expect(applyWebglWorkarounds()).toBe(false);
  registerTrainingKernels(); // before webgl is imported: no error
  expect(() => tf.env().getBool('WEBGL_LAZILY_UNPACK')).toThrow();
  await import('@tensorflow/tfjs-backend-webgl');
  // on in a browser with WebGL (it follows WEBGL_PACK there); Node has no WebGL, so set it
  tf.env().set('WEBGL_LAZILY_UNPACK', true);
  registerTrainingKernels();
  expect(tf.env().getBool('WEBGL_LAZILY_UNPACK')).toBe(false);
  registerTrainingKernels(); // idempotent
  expect(applyWebglWorkarounds()).toBe(true);
  expect(tf.env().getBool('WEBGL_LAZILY_UNPACK')).toBe(false);
});
