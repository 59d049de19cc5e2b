/**
 * Reading inputs and writing an output of a kernel written in JavaScript, on backends whose
 * tensors live in JavaScript-visible memory: cpu (typed arrays) and wasm (views on the
 * WebAssembly heap, so nothing is copied).
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Reads inputs and allocates an output on one kind of backend. */
export interface Access {
  /**
   * Allocates a float32 output, zeroed unless `zeroed` is false (for a caller that writes every
   * element), then returns it with fresh views of the inputs.
   */
  output(
    shape: number[],
    inputs: tf.TensorInfo[],
    zeroed?: boolean,
  ): { out: tf.TensorInfo; outValues: Float32Array; values: Float32Array[] };
}

/** What the kernels use of the cpu backend: its arrays and new tensors from arrays. @internal */
export interface CpuBackendLike {
  data: { get(id: tf.DataId): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}
/**
 * What the kernels use of the wasm backend: outputs allocated on its heap, and views of a
 * tensor's data there (the typed array of its dtype). @internal
 */
export interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

/** The accessor for `backendName`. @internal */
export function accessFor(backendName: string, backend: unknown): Access {
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike;
    return {
      output(shape, inputs, zeroed = true) {
        const out = b.makeOutput(shape, 'float32'); // may grow the heap: read the inputs after it
        const outValues = b.typedArrayFromHeap(out) as Float32Array;
        if (zeroed) outValues.fill(0);
        return {
          out,
          outValues,
          values: inputs.map((i) => b.typedArrayFromHeap(i) as Float32Array),
        };
      },
    };
  }
  const b = backend as CpuBackendLike;
  return {
    output(shape, inputs) {
      const outValues = new Float32Array(shape.reduce((p, d) => p * d, 1));
      const out = b.makeTensorInfo(shape, 'float32', outValues);
      return { out, outValues, values: inputs.map((i) => b.data.get(i.dataId).values) };
    },
  };
}

interface WasmBackendMemory {
  wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
}

/** The wasm backend's `WebAssembly.Memory`, or undefined. @internal */
export function wasmMemoryOf(backend: unknown): WebAssembly.Memory | undefined {
  const wasm = (backend as WasmBackendMemory).wasm;
  const memory = wasm?.wasmMemory ?? wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** The byte offset of a tensor's data in the wasm backend's memory. @internal */
export function heapOffset(backend: unknown, info: { dataId: object }): number {
  return (backend as { dataIdMap: { get(id: object): { memoryOffset: number } } }).dataIdMap.get(
    info.dataId,
  ).memoryOffset;
}

/** The wasm backend's thread count (1 for its single-threaded build, and for any other backend). @internal */
export function wasmThreads(backend: unknown): number {
  return (
    (
      backend as { wasm?: { tfjs?: { getThreadsCount?(): number } } }
    ).wasm?.tfjs?.getThreadsCount?.() ?? 1
  );
}
