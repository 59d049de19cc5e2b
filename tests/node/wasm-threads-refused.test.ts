/**
 * useWasmThreads refuses when it cannot give threads: after the wasm backend was started
 * single-threaded, and when no wasm backend is registered (this file runs in its own process).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { BackendError } from '../../src/index.js';
import { useWasmThreads } from '../../src/node/index.js';

describe('useWasmThreads, refused', () => {
  it('after the wasm backend started single-threaded', async () => {
    await tf.setBackend('wasm');
    await expect(useWasmThreads({ threads: 2 })).rejects.toThrow(BackendError);
    await expect(useWasmThreads({ threads: 2 })).rejects.toThrow(/already started single-threaded/);
    expect(tf.getBackend()).toBe('wasm');
  });

  it('when no wasm backend is registered', async () => {
    await tf.setBackend('cpu');
    tf.removeBackend('wasm');
    await expect(useWasmThreads({ threads: 2 })).rejects.toThrow(/is not registered/);
    expect(tf.getBackend()).toBe('cpu');
  });
});
