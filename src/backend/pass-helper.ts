/**
 * A second thread for the library's matrix loops on the wasm backend's shared memory: where one
 * is registered (`useWasmThreads` from `tfjs-medkit/node` starts one for two threads or more),
 * {@link matrixPass} splits each pass over a large design by columns between it and the calling
 * thread, and the wasm `BatchMatMul` splits each large product by rows or columns (`gemm`, the
 * plain SIMD gemm, or `gemm6`, the relaxed one's blocks of 6 rows). The registry is here,
 * platform-neutral; the thread itself is the runtime's (a Node worker).
 *
 * @module
 */

/** The loops a helper thread runs. @internal */
export type HelperLoop = 'rowDots' | 'scaledRows' | 'gemm' | 'gemm6';

/** A helper thread running one loop at a time on `memory`. @internal */
export interface PassHelper {
  /** The shared memory its loops work on. */
  readonly memory: WebAssembly.Memory;
  /** Whether it has the relaxed-SIMD gemm (`gemm6`). */
  readonly relaxed: boolean;
  /** Starts `loop` with `args` on the helper thread and returns at once. */
  start(loop: HelperLoop, args: readonly number[]): void;
  /** Waits until the loop started last has finished. */
  wait(): void;
}

let registered: PassHelper | undefined;

/** Registers (or with undefined, removes) the helper thread. @internal */
export function setPassHelper(helper: PassHelper | undefined): void {
  registered = helper;
}

/** The registered helper when it works on `memory`. @internal */
export function passHelperFor(memory: WebAssembly.Memory | undefined): PassHelper | undefined {
  return memory && registered?.memory === memory ? registered : undefined;
}
