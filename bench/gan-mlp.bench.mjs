#!/usr/bin/env node
/**
 * Benchmark: one MLP GAN iteration (generator 64 → 256 → 256 → 512 tanh, discriminator
 * 512 → 256 → 256 → 1 with LeakyReLU 0.2, batch 64, non-saturating loss through the library's
 * sigmoid cross-entropy, one Adam step per network with explicit variable lists), on wasm before
 * and after registerTrainingKernels() and on cpu, against ../shared/bench/gan_mlp_torch.py (one
 * thread) in the same run. Target: wasm ≥ 0.5× PyTorch. Then the same networks from
 * createMlpGan trained by GanTrainer.fit (the library's whole step: seeded noise, shuffling,
 * progress, the moving average off; its dense layers one kernel call forward and one backward),
 * to compare the whole step with the bare loop: the best of three fits of 128 steps, as the anchor
 * is the best of three runs (this machine's speed varies between runs). Each figure comes with
 * the step's kernel calls (engine dispatches) and the slowest kernels, per step (tf.profile).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { fusedAdam, registerTrainingKernels } from 'tfjs-medkit';
import { createMlpGan, GanTrainer } from 'tfjs-medkit/generative';
import { sigmoidCrossEntropy } from 'tfjs-medkit/losses';
import { kernelBreakdown, runAnchor, timeIt } from './harness.mjs';

const mlp = (sizes, last) =>
  tfl.sequential({
    layers: sizes
      .slice(1)
      .map((units, i) =>
        tfl.layers.dense({
          units,
          ...(i === 0 ? { inputShape: [sizes[0]] } : {}),
          activation: i === sizes.length - 2 ? last : 'linear',
        }),
      )
      .flatMap((layer, i, all) =>
        i < all.length - 1 ? [layer, tfl.layers.leakyReLU({ alpha: 0.2 })] : [layer],
      ),
  });

async function measure(backend, label, seconds, adam = () => tf.train.adam(2e-4, 0.5, 0.999)) {
  await tf.setBackend(backend);
  await tf.ready();
  const G = mlp([64, 256, 256, 512], 'tanh');
  const D = mlp([512, 256, 256, 1], 'linear');
  const og = adam();
  const od = adam();
  const real = tf.sub(tf.mul(tf.randomUniform([4096, 512], 0, 1, 'float32', 1), 2), 1);
  const ones = tf.ones([64, 1]);
  const zeros = tf.zeros([64, 1]);
  const gVars = G.trainableWeights.map((w) => w.read());
  const dVars = D.trainableWeights.map((w) => w.read());
  let i = 0;
  const step = () => {
    const x = tf.slice(real, [(i * 64) % 4096, 0], [64, 512]);
    i++;
    const dCost = od.minimize(
      () => {
        const fake = G.apply(tf.randomNormal([64, 64]), { training: true });
        return tf.add(
          sigmoidCrossEntropy(ones, D.apply(x, { training: true })),
          sigmoidCrossEntropy(zeros, D.apply(fake, { training: true })),
        );
      },
      true,
      dVars,
    );
    const gCost = og.minimize(
      () =>
        sigmoidCrossEntropy(
          ones,
          D.apply(G.apply(tf.randomNormal([64, 64]), { training: true }), { training: true }),
        ),
      true,
      gVars,
    );
    gCost.dataSync();
    tf.dispose([x, dCost, gCost]);
  };
  const stepsPerSec = await timeIt(step, seconds, 3);
  const breakdown = await kernelBreakdown(tf, step, 5);
  tf.dispose([real, ones, zeros]);
  G.dispose();
  D.dispose();
  const result = {
    bench: 'MLP GAN iteration',
    backend: label,
    stepsPerSec: Number(stepsPerSec.toFixed(1)),
  };
  console.log(JSON.stringify(result));
  console.log(JSON.stringify({ bench: 'MLP GAN iteration', backend: label, perStep: breakdown }));
  return result;
}

async function measureTrainer(backend, label) {
  await tf.setBackend(backend);
  await tf.ready();
  const { generator, discriminator } = createMlpGan({
    dataShape: [512],
    latentDim: 64,
    hidden: [256, 256],
    outputActivation: 'tanh',
  });
  const trainer = new GanTrainer({
    generator,
    discriminator,
    generatorOptimizer: fusedAdam(2e-4, 0.5, 0.999),
    discriminatorOptimizer: fusedAdam(2e-4, 0.5, 0.999),
    seed: 1,
  });
  const real = tf.sub(tf.mul(tf.randomUniform([4096, 512], 0, 1, 'float32', 1), 2), 1);
  await trainer.fit({ x: real }, { epochs: 1, batchSize: 64 }); // warm-up: 64 steps
  // the best of three fits of two epochs (128 steps each), as the anchor is its best of three
  let stepsPerSec = 0;
  for (let run = 0; run < 3; run++) {
    const t = performance.now();
    await trainer.fit({ x: real }, { epochs: 2, batchSize: 64 });
    stepsPerSec = Math.max(stepsPerSec, 128 / ((performance.now() - t) / 1000));
  }
  // the kernels of 10 steps (one epoch of 640 rows), per step
  const rows = tf.slice(real, [0, 0], [640, 512]);
  const breakdown = await kernelBreakdown(
    tf,
    () => trainer.fit({ x: rows }, { epochs: 1, batchSize: 64 }).then(() => tf.scalar(0)),
    6,
    10,
  );
  trainer.dispose();
  generator.dispose();
  discriminator.dispose();
  tf.dispose([real, rows]);
  const result = {
    bench: 'GanTrainer step',
    backend: label,
    stepsPerSec: Number(stepsPerSec.toFixed(1)),
  };
  console.log(JSON.stringify(result));
  console.log(JSON.stringify({ bench: 'GanTrainer step', backend: label, perStep: breakdown }));
  return result;
}

const anchor = runAnchor('../shared/bench/gan_mlp_torch.py', ['--threads', '1'], 3); // best of 3
if (anchor) console.log(JSON.stringify(anchor));
const results = [await measure('wasm', 'wasm (stock tfjs)', 3)];
results.push(await measure('cpu', 'cpu (stock tfjs)', 3));
registerTrainingKernels();
results.push(await measure('wasm', 'wasm (registerTrainingKernels)', 3));
results.push(
  await measure('wasm', 'wasm (registerTrainingKernels, fusedAdam)', 3, () =>
    fusedAdam(2e-4, 0.5, 0.999),
  ),
);
results.push(
  await measure('cpu', 'cpu (registerTrainingKernels, fusedAdam)', 3, () =>
    fusedAdam(2e-4, 0.5, 0.999),
  ),
);
results.push(await measureTrainer('wasm', 'GanTrainer wasm (registerTrainingKernels)'));
results.push(await measureTrainer('cpu', 'GanTrainer cpu'));
for (const r of results) {
  if (anchor)
    console.log(`ratio ${r.backend}/PyTorch: ${(r.stepsPerSec / anchor.stepsPerSec).toFixed(3)}`);
}
console.log(
  `ratio wasm registered/stock: ${(results[2].stepsPerSec / results[0].stepsPerSec).toFixed(2)}×`,
);
