/**
 * Options resolved once: every public function that takes an options object refuses a misspelt
 * option and a value outside its constraint with an ArgumentError in the house form (the
 * function, the option, what was expected, "Received: …"), nested options included.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/core/index.js';
import {
  createMlpGan,
  decodeMoleculeGraphs,
  encodeMoleculeGraphs,
  GanTrainer,
  gradientPenalty,
  moleculeMetrics,
} from '../../src/generative/index.js';
import {
  explainPatient,
  hardyWeinbergExact,
  LogisticRegression,
  manhattanData,
  manhattanSvg,
  qqData,
  qqSvg,
} from '../../src/genomics/index.js';
import { rocAuc } from '../../src/metrics/index.js';
import { loadImageFolder, useWasmThreads } from '../../src/node/index.js';
import {
  centerCrop,
  createAugmentation,
  cropForeground,
  readImage,
  readNifti,
  resampleToSpacing,
  resizeWithPadOrCrop,
} from '../../src/vision/index.js';
import '../helpers/backends.js';
import { registerSecondOrderGradients } from '../../src/backend/index.js';

registerSecondOrderGradients(); // the penalties differentiate a gradient

const spec = { atomTypes: ['C', 'N', 'O'], maxAtoms: 4 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('every options object is checked', () => {
  const image = () => tf.zeros([4, 4]);
  const cases: [string, () => unknown, RegExp][] = [
    [
      'manhattanSvg',
      () => manhattanSvg(manhattanData([0.5], [{ chrom: '1', pos: 1 }]), { widht: 10 } as never),
      /manhattanSvg: unknown option `widht`/,
    ],
    [
      'qqSvg',
      () => qqSvg(qqData([0.5]), { threshold: 2 }),
      /qqSvg: `threshold` must be a number in \(0, 1\)\. Received: 2/,
    ],
    ['qqSvg title', () => qqSvg(qqData([0.5]), { title: 3 as never }), /`title` must be a string/],
    [
      'resampleToSpacing',
      () =>
        resampleToSpacing(image(), {
          spacing: [1, 1],
          targetSpacing: [2, 2],
          mode: 'cubic' as never,
        }),
      /`mode` must be one of 'linear', 'nearest'/,
    ],
    [
      'resizeWithPadOrCrop',
      () => resizeWithPadOrCrop(image(), [2, 2], { padValue: 1 } as never),
      /unknown option `padValue`/,
    ],
    [
      'centerCrop',
      () => centerCrop(image(), [2, 2], { channels: 'no' as never }),
      /`channels` must be a boolean/,
    ],
    [
      'cropForeground',
      () => cropForeground(image(), { margin: -1 }),
      /`margin` must be an integer in \[0, ∞\)/,
    ],
    [
      'createAugmentation (nested)',
      () => createAugmentation([{ kind: 'rotate', degrees: [0, 10], probabilty: 0.5 } as never]),
      /transforms\[0\] \(rotate\): unknown option `probabilty`/,
    ],
    [
      'explainPatient',
      () => explainPatient(new LogisticRegression(), [1], { top: -1 }),
      /explainPatient: `top` must be an integer in \[0, ∞\)/,
    ],
    [
      'hardyWeinbergExact',
      () => hardyWeinbergExact(1, 2, 3, { midp: true } as never),
      /unknown option `midp`/,
    ],
    [
      'gradientPenalty',
      () => gradientPenalty((x) => x, tf.zeros([2, 1]), tf.zeros([2, 1]), { seed: 0.5 }),
      /`seed` must be a seed/,
    ],
    [
      'encodeMoleculeGraphs',
      () => encodeMoleculeGraphs(['CCO'], spec, { onUnsupported: 'warn' as never }),
      /`onUnsupported` must be one of 'skip', 'error'/,
    ],
    [
      'decodeMoleculeGraphs',
      () =>
        decodeMoleculeGraphs(tf.zeros([1, 4, 4]), tf.zeros([1, 4, 4, 4]), spec, {
          mode: 'beam' as never,
        }),
      /`mode` must be one of 'argmax', 'sample'/,
    ],
    [
      'moleculeMetrics',
      () => moleculeMetrics(['CCO'], ['CCO'], { radius: 9 }),
      /`radius` must be an integer in \[0, 8\]/,
    ],
    [
      'readImage',
      () => readImage(new Uint8Array(8), { chanels: 'grey' } as never),
      /unknown option `chanels`/,
    ],
    [
      'readNifti',
      () => readNifti(new Uint8Array(8), { image: [1, 2] as never }),
      /`image` must be a Uint8Array/,
    ],
    [
      'loadImageFolder',
      () => loadImageFolder('.', { labelFile: 'x.csv' } as never),
      /unknown option `labelFile`/,
    ],
    [
      'useWasmThreads',
      () => useWasmThreads({ threads: 9 }),
      /`threads` must be an integer in \[1, 8\]/,
    ],
  ];
  for (const [name, call, message] of cases) {
    it(name, async () => {
      const before = tf.memory().numTensors;
      let thrown: unknown;
      try {
        await call();
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(ArgumentError);
      expect((thrown as Error).message).toMatch(message);
      // nothing is left behind but the inputs the case itself made
      expect(tf.memory().numTensors - before).toBeLessThanOrEqual(3);
    });
  }

  it('one spelling of weights, the former one still working', async () => {
    // metrics: sampleWeights (sampleWeight deprecated)
    const y = [0, 1, 1, 0];
    const s = [0.1, 0.9, 0.4, 0.6];
    const w = [1, 1, 3, 1];
    expect(rocAuc(y, s, { sampleWeight: w })).toBe(rocAuc(y, s, { sampleWeights: w }));
    expect(rocAuc(y, s, { sampleWeights: w })).not.toBe(rocAuc(y, s));
    expect(() => rocAuc(y, s, { sampleWeights: w, sampleWeight: w })).toThrow(
      /give `sampleWeights` or its former spelling `sampleWeight`, not both/,
    );
    expect(() => rocAuc(y, s, { sampleWeights: [1, -1, 1, 1] })).toThrow(/rocAuc: `sampleWeights`/);
    // LogisticRegression: classWeights (classWeight deprecated), fit(X, y, sampleWeights)
    const X = [[0], [1], [2], [3], [4], [5]];
    const yl = [0, 0, 1, 0, 1, 1];
    const a = await new LogisticRegression({ classWeights: { 1: 3 } }).fit(
      X,
      yl,
      [1, 1, 2, 1, 1, 1],
    );
    const b = await new LogisticRegression({ classWeight: { 1: 3 } }).fit(
      X,
      yl,
      [1, 1, 2, 1, 1, 1],
    );
    expect(b.coef).toEqual(a.coef);
    expect(
      () => new LogisticRegression({ classWeights: 'balanced', classWeight: 'balanced' }),
    ).toThrow(ArgumentError);
    await expect(new LogisticRegression().fit(X, yl, [1, 1, -1, 1, 1, 1])).rejects.toThrow(
      /`sampleWeights` must be non-negative/,
    );
  });

  it('GanTrainer.sample: options and the condition are checked', () => {
    const { generator, discriminator } = createMlpGan({
      dataShape: [2],
      latentDim: 2,
      hidden: [4],
      conditionDim: 1,
    });
    const trainer = new GanTrainer({ generator, discriminator });
    expect(() => trainer.sample(2, { seed: 1, useEMA: false } as never)).toThrow(
      /unknown option `useEMA`/,
    );
    const wrong = tf.zeros([3, 1]);
    expect(() => trainer.sample(2, { condition: wrong })).toThrow(/one row per sample \(2\)/);
    const right = tf.zeros([2, 1]);
    const s = trainer.sample(2, { condition: right });
    expect(s.shape).toEqual([2, 2]);
    tf.dispose([wrong, right, s]);
    trainer.dispose();
    generator.dispose();
    discriminator.dispose();
  });

  it('tfjs-layers is loaded for the GAN critic', () => {
    expect(tfl.version_layers).toBeTruthy();
  });
});
