/**
 * Helper threads for the library's SIMD gemm under the multi-threaded wasm backend: each helper
 * is a Node worker holding its own instance of the SIMD module on the backend's shared memory,
 * and a product's rows are split between the calling thread and the helpers (blocks of four
 * rows, so every element is summed in the same order as on one thread: results are bit for bit
 * the single-threaded ones). XNNPACK's own pool does not run the library's loops, and its
 * fully-connected operator gains nothing from threads at a training step's sizes (64-row
 * products), where two threads of this gemm run 1.85× faster than one.
 *
 * A helper spins briefly after each product (the next one usually follows within tens of
 * microseconds), then sleeps on `Atomics.wait`; its worker is unreferenced, so it does not keep
 * Node running. The calling thread waits with `Atomics.wait` (allowed on Node's main thread).
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { type Gemm, setSplitGemm, simdModuleBytes } from '../backend/kernels/simd.js';

// one control block per helper: state (0 idle, 1 work, −1 stop), the gemm's 7 arguments, done
const STATE = 0;
const DONE = 8;
const SLOTS = 9;

const HELPER = `
const { parentPort, workerData } = require('node:worker_threads');
const { memory, bytes, control } = workerData;
const { gemm } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }).exports;
parentPort.postMessage('ready');
for (;;) {
  let spins = 0;
  while (Atomics.load(control, ${STATE}) === 0) if (++spins > 500) Atomics.wait(control, ${STATE}, 0);
  if (Atomics.load(control, ${STATE}) < 0) break;
  gemm(control[1], control[2], control[3], control[4], control[5], control[6], control[7]);
  Atomics.store(control, ${STATE}, 0);
  Atomics.store(control, ${DONE}, 1);
  Atomics.notify(control, ${DONE});
}
`;

/** How long the calling thread waits for a helper before doing its rows itself. */
const PATIENCE_MS = 2000;

/**
 * Starts `helpers` helper threads on `memory` (a shared `WebAssembly.Memory`) and registers the
 * split gemm for it. Resolves once every helper is ready; does nothing without shared memory or
 * WebAssembly SIMD. @internal
 */
export async function startGemmHelpers(memory: WebAssembly.Memory, helpers: number): Promise<void> {
  if (helpers < 1 || !(memory.buffer instanceof SharedArrayBuffer)) return;
  const bytes = simdModuleBytes(true, 0);
  if (!WebAssembly.validate(bytes)) return;
  const main = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } })
    .exports as unknown as { gemm: Gemm };
  const controls = Array.from(
    { length: helpers },
    () => new Int32Array(new SharedArrayBuffer(4 * SLOTS)),
  );
  const workers = await Promise.all(
    controls.map(
      (control) =>
        new Promise<Worker>((resolve, reject) => {
          const worker = new Worker(HELPER, { eval: true, workerData: { memory, bytes, control } });
          // referenced until ready (an unreferenced worker would let Node exit while it starts)
          worker.once('message', () => resolve(worker));
          worker.once('error', reject);
        }),
    ),
  );
  let alive = true;
  const split: Gemm = (a, b, c, M, K, N, ld) => {
    if (!alive) return main.gemm(a, b, c, M, K, N, ld);
    // blocks of four rows: the helpers take `share` rows each, the calling thread the rest
    const share = Math.floor(M / 4 / (helpers + 1)) * 4;
    const own = M - share * helpers;
    controls.forEach((control, h) => {
      const first = own + h * share;
      control.set([0, a + 4 * first * K, b, c + first * ld, share, K, N, ld, 0]);
      Atomics.store(control, STATE, 1);
      Atomics.notify(control, STATE);
    });
    main.gemm(a, b, c, own, K, N, ld);
    controls.forEach((control, h) => {
      const start = performance.now();
      while (Atomics.load(control, DONE) === 0) {
        Atomics.wait(control, DONE, 0, 50);
        if (performance.now() - start > PATIENCE_MS) {
          // a helper that stopped answering: its rows here, and no helpers from now on
          alive = false;
          const first = own + h * share;
          main.gemm(a + 4 * first * K, b, c + first * ld, share, K, N, ld);
          break;
        }
      }
    });
  };
  setSplitGemm(memory, split);
  for (const worker of workers) worker.unref();
}
