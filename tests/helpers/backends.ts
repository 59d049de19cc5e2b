/**
 * The backend matrix: every test of tensor maths runs once per backend in {@link BACKENDS}.
 * Set MEDKIT_BACKENDS=cpu (comma-separated) to run a subset, and MEDKIT_WASM_THREADS=2 to run
 * the wasm cases on the multi-threaded build (useWasmThreads).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe } from 'vitest';
import { useWasmThreads } from '../../src/node/wasm-threads.js';

/** The backends every maths test runs on. */
export const BACKENDS: readonly string[] = (process.env.MEDKIT_BACKENDS ?? 'cpu,wasm').split(',');

/** `describe` once per backend, with that backend active for the block's tests. */
export function describeBackends(name: string, body: (backend: string) => void): void {
  for (const backend of BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        const threads = process.env.MEDKIT_WASM_THREADS;
        if (backend === 'wasm' && threads) await useWasmThreads({ threads: Number(threads) });
        await tf.setBackend(backend);
        await tf.ready();
      });
      body(backend);
    });
  }
}

/** Asserts that `fn` leaves `tf.memory().numTensors` where it found it; returns fn's result. */
export async function expectNoLeak<T>(fn: () => T | Promise<T>): Promise<T> {
  const before = tf.memory().numTensors;
  const out = await fn();
  const after = tf.memory().numTensors;
  if (after !== before) throw new Error(`tensor leak: ${before} tensors before, ${after} after`);
  return out;
}
