/**
 * A second thread for the library's one-pass matrix loops (`rowDots`, `scaledRows`) on the wasm
 * backend's shared memory: where one is registered (`useWasmThreads` from `tfjs-medkit/node`
 * starts one for two threads or more), {@link matrixPass} splits each pass over a large design
 * by columns between it and the calling thread. The registry is here, platform-neutral; the
 * thread itself is the runtime's (a Node worker).
 *
 * @module
 */

/** A helper thread running one loop at a time on `memory`. @internal */
export interface PassHelper {
  /** The shared memory its loops work on. */
  readonly memory: WebAssembly.Memory;
  /** Starts `loop` with `args` on the helper thread and returns at once. */
  start(loop: 'rowDots' | 'scaledRows', args: readonly number[]): void;
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
