/**
 * A second thread for the library's matrix loops on the wasm backend's shared memory: where one
 * is registered (`useWasmThreads` from `tfjs-medkit/node` starts one for two threads or more),
 * {@link matrixPass} shares each loop of a pass over a large design with it chunk by chunk
 * ({@link ChunkedJob}), and the wasm `BatchMatMul` splits each large product by rows or columns
 * (`gemm`, the plain SIMD gemm, or `gemm6`, the relaxed one's blocks of 6 rows). The registry is
 * here, platform-neutral; the thread itself is the runtime's (a Node worker).
 *
 * @module
 */

/** The loops a helper thread runs. @internal */
export type HelperLoop =
  | 'rowDots'
  | 'scaledRows'
  | 'gemm'
  | 'gemm6'
  | 'narrow'
  | 'segmentGemm'
  | 'segmentGemm6'
  | 'reluGrad'
  | 'maxPoolGrad2x2Rows'
  | 'maxPoolReluGrad2x2Rows'
  | 'relu'
  | 'addRows4'
  | 'subRows4'
  | 'mulRows4'
  | 'divRows4'
  | 'finite32'
  | 'winograd'
  | 'winograd6'
  | 'winogradGradient'
  | 'winogradGradient6'
  | 'convPoolGradient'
  | 'convSmall';

/**
 * A loop over the columns of a block of rows cut in chunks (at most {@link MAX_CHUNKS}), which
 * the calling thread takes from the first and the helper from the last until they meet: the
 * split follows the two threads' pace (a thread the system pauses leaves its chunks to the
 * other), and each chunk's result is the same whoever runs it. `loop` 0: `rowDots`, chunk c's
 * dots of the rows with x's columns to `out + c·outBytes`; 1: `scaledRows`, Σ_i x[i]·(row i's
 * columns) added into out's columns. `bounds` (floats) cut the columns: chunk c is
 * [bounds[c], bounds[c + 1]). @internal
 */
export interface ChunkedJob {
  loop: 0 | 1;
  /** The block's first row (byte offset) and the matrix's row length in bytes. */
  a: number;
  rowBytes: number;
  /** The vector (`rowDots`) or the rows' factors (`scaledRows`), and the output. */
  x: number;
  out: number;
  /** The block's rows, and the bytes between chunks' outputs (`rowDots`). */
  rows: number;
  outBytes: number;
  bounds: readonly number[];
}

/** The most chunks a {@link ChunkedJob} has. @internal */
export const MAX_CHUNKS = 16;

/**
 * Runs chunk `c` of a chunked loop with `loops` (a thread's instances of the SIMD loops). It uses
 * nothing outside itself: the helper thread runs its source. @internal
 */
export function runChunk(
  loops: {
    rowDots(
      a: number,
      b: number,
      out: number,
      rows: number,
      kBytes: number,
      rowBytes: number,
    ): void;
    scaledRows(
      a: number,
      as: number,
      b: number,
      bs: number,
      x: number,
      n: number,
      cb: number,
    ): void;
  },
  loop: number,
  a: number,
  rowBytes: number,
  x: number,
  out: number,
  rows: number,
  outBytes: number,
  from: number,
  to: number,
  c: number,
): void {
  const s = 4 * from;
  const width = 4 * (to - from);
  if (loop === 0) loops.rowDots(a + s, x + s, out + c * outBytes, rows, width, rowBytes);
  else loops.scaledRows(a + s, rowBytes, out + s, 0, x, rows, width);
}

/** A helper thread running one loop at a time on `memory`. @internal */
export interface PassHelper {
  /** The shared memory its loops work on. */
  readonly memory: WebAssembly.Memory;
  /** Whether it has the relaxed-SIMD loops (`gemm6`, the relaxed `rowDots` and `scaledRows`). */
  readonly relaxed: boolean;
  /** Starts `loop` with `args` on the helper thread and returns at once. */
  start(loop: HelperLoop, args: readonly number[]): void;
  /** Waits until the loop started last has finished. */
  wait(): void;
  /** Whether the loop started last has finished (at once, without waiting). */
  idle(): boolean;
  /**
   * Runs `job`'s chunks on this thread (with `loops`, this thread's loops) and on the helper (with
   * its instances of the same loops: the relaxed-SIMD ones where `loops.relaxed`), and returns
   * when all are done.
   */
  share(job: ChunkedJob, loops: Parameters<typeof runChunk>[0] & { relaxed: boolean }): void;
}

/**
 * Runs `run` over `units` units (rows, or vectors of an elementwise loop) in two parts: where
 * `helper` is given, it runs `loop` (the same loop) over the first half, rounded down, while this
 * thread runs the rest, and the call returns once both are done; without one, this thread runs
 * all. `args(from, count, onHelper)` gives the loop's arguments for units [from, from + count).
 * Loops whose units write apart give the same values either way. @internal
 */
export function inHalves(
  helper: PassHelper | undefined,
  loop: HelperLoop,
  run: (...args: number[]) => void,
  units: number,
  args: (from: number, count: number, onHelper: boolean) => number[],
): void {
  const half = helper ? Math.floor(units / 2) : 0;
  if (half > 0) helper!.start(loop, args(0, half, true));
  run(...args(half, units - half, false));
  if (half > 0) helper!.wait();
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
