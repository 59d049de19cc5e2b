/**
 * The tiny app of scripts/bundlers.mjs: imports every browser subpath of the installed package,
 * as an application would, and runs a few of the library's workloads on the backend asked for.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { registerTrainingKernels } from 'tfjs-medkit';
import { adversarialLoss } from 'tfjs-medkit/generative';
import { LogisticRegression } from 'tfjs-medkit/genomics';
import { sigmoidFocalLoss } from 'tfjs-medkit/losses';
import { rocAuc } from 'tfjs-medkit/metrics';
import { dpEpsilon } from 'tfjs-medkit/privacy';
import { readDicom } from 'tfjs-medkit/vision';
import { resnet18Workload, values } from './workloads.js';

// before any backend is set; again after each (callable both ways, more than once)
registerTrainingKernels();

window.runApp = async (backend) => {
  try {
    await tf.setBackend(backend);
    await tf.ready();
    registerTrainingKernels();
    const start = tf.memory().numTensors;
    const out = { backend: tf.getBackend() };

    const logits = tf.tensor2d([40, -40, 0, 3, -3, 1e-3, 12, -0.5], [4, 2]);
    const labels = tf.tensor2d([0, 1, 1, 1, 0, 0, 1, 0], [4, 2]);
    const focal = sigmoidFocalLoss(labels, logits, { reduction: 'none' });
    const grad = tf.grad((l) => sigmoidFocalLoss(labels, l))(logits);
    out.focal = Array.from(await focal.data());
    out.focalGrad = Array.from(await grad.data());
    tf.dispose([logits, labels, focal, grad]);

    const y = tf.tensor1d(
      Array.from({ length: 40 }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0)),
      'int32',
    );
    const s = tf.tensor1d(values(40, 0.83, 0.4).map((v, i) => v + ((i * 7) % 3 === 0 ? 0.2 : 0)));
    out.auc = await rocAuc(y, s);
    tf.dispose([y, s]);

    const X = Array.from({ length: 80 }, (_, i) =>
      Array.from({ length: 5 }, (_, j) => Math.sin(i * (j + 1) * 0.37 + j)),
    );
    const t = X.map((r, i) => (r[0] - 0.5 * r[2] + 0.3 * Math.cos(i * 1.7) > 0 ? 1 : 0));
    const lr = new LogisticRegression({ penalty: 'l1', C: 0.5 });
    await lr.fit(X, t);
    out.coef = [...lr.coef[0], ...lr.intercept];

    const resnet = await resnet18Workload();
    out.losses = resnet.loss;
    out.camSum = (await resnet.camSum.data())[0];
    resnet.camSum.dispose();

    // the privacy and generative subpaths are live too
    out.epsilon = dpEpsilon({
      mechanisms: [{ sampleRate: 0.01, noiseMultiplier: 1.1, steps: 100 }],
      delta: 1e-5,
    }).epsilon;
    const adv = adversarialLoss('hinge');
    out.hinge = typeof adv.discriminator === 'function';

    const bytes = new Uint8Array(await (await fetch('/files/jpeg-ls.dcm')).arrayBuffer());
    out.codecError = await readDicom(bytes).then(
      () => 'decoded without a codec',
      (e) => `${e.name}: ${e.message}`,
    );
    out.leaked = tf.memory().numTensors - start;
    return out;
  } catch (e) {
    return { error: String(e?.stack ?? e) };
  }
};
window.appReady = true;
