/**
 * The helper thread of the library's matrix loops under Node: a `worker_threads` worker that
 * instantiates the library's SIMD modules (and the relaxed-SIMD gemm where the runtime validates
 * it) on the wasm backend's shared memory and runs one loop at a time, handed over through a
 * small shared control block (the arguments, a sequence number for the job, another for its
 * completion). Between the two halves of a pass both threads wait by
 * spinning (a few microseconds), and the worker sleeps (`Atomics.wait`) when no pass has come for
 * a while; it is unreferenced, so it never keeps Node running. No data leaves the process.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { relaxedSimdModule, simdModules } from '../backend/kernels/simd/modules.js';
import { type HelperLoop, type PassHelper, setPassHelper } from '../backend/pass-helper.js';
import { BackendError } from '../core/errors.js';

/** Control block slots (Int32): the job's number, its loop, seven arguments, the last done. */
const JOB = 0;
const LOOP = 1;
const ARGS = 2;
const DONE = 9;
const READY = 10;
/** Spins before the worker sleeps, and before the caller sleeps while waiting. */
const SPINS = 1 << 16;
/** How long the worker may take to start, and one job to finish, before it is given up (ms). */
const START_MS = 10_000;
const JOB_MS = 120_000;

/** The loops by number in the control block. */
const LOOPS: readonly HelperLoop[] = ['rowDots', 'scaledRows', 'gemm', 'gemm6'];
const JSON_LOOPS = JSON.stringify(LOOPS);

/** The worker: instantiate the modules on the memory, then run jobs as their numbers change. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, modules, relaxed, control } = workerData;
const ctl = new Int32Array(control);
const names = ${JSON_LOOPS};
const loops = {};
for (const m of modules) Object.assign(loops, new WebAssembly.Instance(m, { env: { memory } }).exports);
if (relaxed) loops.gemm6 = new WebAssembly.Instance(relaxed, { env: { memory } }).exports.gemm6;
Atomics.store(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
let seen = 0;
for (;;) {
  let spins = 0;
  while (Atomics.load(ctl, ${JOB}) === seen) {
    if (++spins > ${SPINS}) { Atomics.wait(ctl, ${JOB}, seen); spins = 0; }
  }
  seen = Atomics.load(ctl, ${JOB});
  const a = ctl.subarray(${ARGS}, ${ARGS} + 7);
  loops[names[ctl[${LOOP}]]](a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
  Atomics.store(ctl, ${DONE}, seen);
  Atomics.notify(ctl, ${DONE});
}
`;

let started: PassHelper | undefined;

/**
 * Starts the helper thread on `memory` (the threaded wasm backend's shared memory) and
 * registers it for the matrix passes; once per process. Returns false where it cannot run
 * (memory not shared, no WebAssembly SIMD).
 *
 * @internal
 */
export function startPassHelper(memory: WebAssembly.Memory): boolean {
  if (started?.memory === memory) return true;
  if (!(memory.buffer instanceof SharedArrayBuffer)) return false;
  const modules = simdModules(true);
  if (!modules) return false;
  const relaxed = relaxedSimdModule(true);
  const control = new SharedArrayBuffer(4 * 16);
  const ctl = new Int32Array(control);
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { memory, modules, relaxed, control },
  });
  worker.unref();
  // the worker says it is ready once its modules are instantiated; one that fails never does
  if (Atomics.wait(ctl, READY, 0, START_MS) === 'timed-out' && Atomics.load(ctl, READY) !== 1) {
    void worker.terminate();
    return false;
  }
  let job = 0;
  started = {
    memory,
    relaxed: relaxed !== undefined,
    start(loop, args) {
      ctl[LOOP] = LOOPS.indexOf(loop);
      ctl.set(args, ARGS);
      job++;
      Atomics.store(ctl, JOB, job);
      Atomics.notify(ctl, JOB);
    },
    wait() {
      let spins = 0;
      const since = Date.now();
      while (Atomics.load(ctl, DONE) !== job) {
        if (++spins > SPINS) {
          Atomics.wait(ctl, DONE, Atomics.load(ctl, DONE), 1);
          spins = 0;
          if (Date.now() - since > JOB_MS) {
            setPassHelper(undefined);
            started = undefined;
            void worker.terminate();
            throw new BackendError(
              'the matrix pass helper thread stopped answering; it has been shut down and later passes run on one thread',
            );
          }
        }
      }
    },
  };
  setPassHelper(started);
  return true;
}
