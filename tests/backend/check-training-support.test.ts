/**
 * checkTrainingSupport before and after registerTrainingKernels (this file runs in its own
 * process, so the registration starts absent).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ArgumentError,
  BackendError,
  checkTrainingSupport,
  registerTrainingKernels,
} from '../../src/index.js';
import { embeddingModel, seedCnn, separableCnn } from '../helpers/models.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('checkTrainingSupport', () => {
  it('lists every missing kernel and gradient with the layers that need it, then passes once registered', async () => {
    const cnn = seedCnn(12);
    const embed = embeddingModel();
    const sep = separableCnn();
    expect(() => checkTrainingSupport(cnn, 'wasm')).toThrow(BackendError);
    expect(() => checkTrainingSupport(cnn, 'wasm')).toThrow(
      /kernel Conv2DBackpropFilter \(for conv2d_\w+, conv2d_\w+\)/,
    );
    expect(() => checkTrainingSupport(embed, 'wasm')).toThrow(/kernel UnsortedSegmentSum/);
    let message = '';
    try {
      checkTrainingSupport(sep, 'wasm');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/DepthwiseConv2dNativeBackpropFilter/);
    expect(message).toMatch(/DepthwiseConv2dNativeBackpropInput/);
    expect(message).toMatch(/gradient of a dilated convolution/);
    expect(message).toMatch(/registerTrainingKernels\(\)/);
    // cpu has the kernels but not the dilated gradient
    expect(() => checkTrainingSupport(sep, 'cpu')).toThrow(/dilated convolution/);
    expect(() => checkTrainingSupport(cnn)).not.toThrow();

    const names = registerTrainingKernels();
    expect(names).toEqual(
      expect.arrayContaining([
        'BatchMatMul',
        'Conv2D',
        'Conv2DBackpropFilter',
        'Conv2DBackpropInput',
        'DepthwiseConv2dNative',
        'UnsortedSegmentSum',
      ]),
    );
    for (const model of [cnn, embed, sep]) {
      expect(() => checkTrainingSupport(model, 'wasm')).not.toThrow();
      expect(() => checkTrainingSupport(model, 'cpu')).not.toThrow();
    }
    for (const m of [cnn, embed, sep]) m.dispose();
  });

  it('looks inside nested models', () => {
    const inner = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3, dilationRate: 2 }),
      ],
    });
    const outer = tfl.sequential({
      layers: [inner, tfl.layers.flatten(), tfl.layers.dense({ units: 2 })],
    });
    registerTrainingKernels();
    expect(() => checkTrainingSupport(outer, 'cpu')).not.toThrow();
    outer.dispose();
  });

  it('refuses what is not a model or a loaded backend', () => {
    expect(() => checkTrainingSupport({} as tfl.LayersModel)).toThrow(ArgumentError);
    expect(() => checkTrainingSupport(seedCnn(12), 'webgpu')).toThrow(
      /backend.*Received: "webgpu"/,
    );
  });
});
