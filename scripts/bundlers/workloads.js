/**
 * Workloads shared by the bundlers' tiny app (copied next to it) and the browser-backends page
 * (bundled from here): deterministic inputs, and ResNet-18 trained by the library's trainer.
 */
import * as tf from '@tensorflow/tfjs-core';
import { createResNet, gradCam, trainClassifier } from 'tfjs-medkit/vision';

/** Deterministic values in [-scale, scale]. */
export const values = (n, k, scale = 1) =>
  Float32Array.from({ length: n }, (_, i) => Math.sin(i * k + 0.3) * scale);

/**
 * ResNet-18 (narrow, for small crops) trained by trainClassifier for two epochs, then Grad-CAM
 * of one image: the epochs' losses and the map's sum (a scalar tensor, the caller's to free).
 */
export async function resnet18Workload() {
  const model = createResNet({
    inputShape: [16, 16, 1],
    numClasses: 2,
    depth: 18,
    baseFilters: 4,
    stem: 'small',
    seed: 5,
  });
  const x = tf.tensor4d(values(16 * 256, 0.29), [16, 16, 16, 1]);
  const y = Array.from({ length: 16 }, (_, i) => i % 2);
  const { history } = await trainClassifier(
    model,
    { x, y },
    { epochs: 2, batchSize: 8, learningRate: 1e-3, seed: 7 },
  );
  const image = tf.tidy(() => tf.squeeze(tf.slice(x, [3, 0, 0, 0], [1, -1, -1, -1]), [0]));
  const cam = await gradCam(model, image, { classIndex: 1 });
  const camSum = tf.sum(cam);
  tf.dispose([x, image, cam]);
  model.dispose();
  return { loss: history.loss, camSum };
}
