/**
 * The helper thread of the library's matrix loops under Node: a `worker_threads` worker that
 * instantiates the library's SIMD modules (and the relaxed-SIMD gemm where the runtime validates
 * it) on the wasm backend's shared memory and runs one job at a time, handed over through a
 * small shared control block (the arguments, a sequence number for the job, another for its
 * completion): a loop of its own (half of a large product), or its share of a chunked loop, whose
 * chunks both threads claim with compare-and-swap on one word (the job's tag and the chunks left),
 * so a claim from a job that has ended fails. The caller waits for the helper's last chunk by
 * spinning briefly and then sleeping (a helper the system has paused may then run on the caller's
 * core); the worker sleeps (`Atomics.wait`) when no job has come for a while. It is unreferenced,
 * so it never keeps Node running. No data leaves the process.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';
import { relaxedSimdModules, simdModules } from '../backend/kernels/simd/modules.js';
import {
  type HelperLoop,
  MAX_CHUNKS,
  type PassHelper,
  runChunk,
  setPassHelper,
} from '../backend/pass-helper.js';
import { BackendError } from '../core/errors.js';

/**
 * Control block slots (Int32): the job's word (its number times two, plus 1 for a chunked job:
 * one atomic word, so that the worker never takes a job's kind from one job and its arguments
 * from another), its loop, seven arguments, the word of the last job done, the worker's start;
 * for a chunked job the chunks left (RANGE: the job's tag in bits 12–30, the last chunk + 1 in
 * bits 6–11, the first in bits 0–5), the chunks finished, the job's seven numbers and whether
 * the caller's loops are the relaxed ones, and its bounds. Every argument is written before the
 * job's word is stored, and not again before the job is done.
 */
const JOB = 0;
const LOOP = 1;
const ARGS = 2;
const DONE = 9;
const READY = 10;
const RANGE = 12;
const FINISHED = 13;
const CHUNK = 16;
const BOUNDS = 24;
const SLOTS = BOUNDS + MAX_CHUNKS + 1;
/** Spins before the worker sleeps, and before the caller sleeps while waiting. */
const SPINS = 1 << 16;
/** Spins before the caller sleeps while the helper finishes a chunk (so the system may run it on the caller's core). */
const CHUNK_SPINS = 1 << 10;
/** A chunked job's tag: its number's low 19 bits. */
const TAG = 0x7ffff;
/** How long the worker may take to start, and one job to finish, before it is given up (ms). */
const START_MS = 10_000;
const JOB_MS = 120_000;

/** The loops by number in the control block. */
const LOOPS: readonly HelperLoop[] = [
  'rowDots',
  'scaledRows',
  'gemm',
  'gemm6',
  'narrow',
  'segmentGemm',
  'segmentGemm6',
  'reluGrad',
  'maxPoolGrad2x2Rows',
  'relu',
  'addRows4',
  'subRows4',
  'mulRows4',
  'divRows4',
  'finite32',
  'winograd',
  'winograd6',
  'winogradGradient',
  'winogradGradient6',
  'maxPoolReluGrad2x2Rows',
  'convPoolGradient',
  'convSmall',
];
const JSON_LOOPS = JSON.stringify(LOOPS);

/** The worker: instantiate the modules on the memory, then run jobs as their numbers change. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { memory, modules, relaxed, control } = workerData;
const ctl = new Int32Array(control);
const names = ${JSON_LOOPS};
const runChunk = ${runChunk.toString()};
const loops = {};
for (const m of modules) Object.assign(loops, new WebAssembly.Instance(m, { env: { memory } }).exports);
// the relaxed module's loops: gemm6 for split products, rowDots and scaledRows for the chunks of a
// caller whose loops are the relaxed ones
let fused = loops;
if (relaxed) {
  const r = Object.assign({}, ...relaxed.map((m) => new WebAssembly.Instance(m, { env: { memory } }).exports));
  loops.gemm6 = r.gemm6;
  loops.segmentGemm6 = r.segmentGemm6;
  loops.winograd6 = r.winograd6;
  loops.winogradGradient6 = r.winogradGradient6;
  loops.convPoolGradient = r.convPoolGradient;
  loops.convSmall = r.convSmall;
  fused = { rowDots: r.rowDots, scaledRows: r.scaledRows };
}
// each loop a small function of its own: V8 optimises it once, where the loops in one long
// top-level function would have it recompiled on the stack for each (on a background thread
// that takes a core from the caller's passes)
/** The next job's number once it differs from seen: spinning a while, then asleep. */
function nextJob(seen) {
  let spins = 0;
  while (Atomics.load(ctl, ${JOB}) === seen) {
    if (++spins > ${SPINS}) { Atomics.wait(ctl, ${JOB}, seen); spins = 0; }
  }
  return Atomics.load(ctl, ${JOB});
}
/** A chunked job's chunks from the last down, while the job is this one and any are left. */
function takeChunks(tag) {
  const j = ctl.slice(${CHUNK}, ${CHUNK} + 8);
  const own = j[7] ? fused : loops;
  for (;;) {
    const v = Atomics.load(ctl, ${RANGE});
    const hi = (v >>> 6) & 63;
    if (v >>> 12 !== tag || (v & 63) >= hi) return;
    if (Atomics.compareExchange(ctl, ${RANGE}, v, v - 64) !== v) continue;
    runChunk(own, j[0], j[1], j[2], j[3], j[4], j[5], j[6], ctl[${BOUNDS} + hi - 1], ctl[${BOUNDS} + hi], hi - 1);
    Atomics.add(ctl, ${FINISHED}, 1);
    Atomics.notify(ctl, ${FINISHED});
  }
}
/** A loop of its own, with the job's seven arguments. */
function runLoop() {
  const a = ctl.subarray(${ARGS}, ${ARGS} + 7);
  loops[names[ctl[${LOOP}]]](a[0], a[1], a[2], a[3], a[4], a[5], a[6]);
}
Atomics.store(ctl, ${READY}, 1);
Atomics.notify(ctl, ${READY});
for (let seen = 0; ; ) {
  seen = nextJob(seen);
  if (seen & 1) takeChunks((seen >>> 1) & ${TAG});
  else runLoop();
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
  const relaxed = relaxedSimdModules(true);
  const control = new SharedArrayBuffer(4 * SLOTS);
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
  let word = 0;
  /** Publishes the next job (its arguments written): its number times two, plus its kind. */
  const publish = (chunked: boolean) => {
    word = (job << 1) | (chunked ? 1 : 0) | 0;
    Atomics.store(ctl, JOB, word);
    Atomics.notify(ctl, JOB);
  };
  /** Gives up the helper when a wait has run past JOB_MS. */
  const stalled = (since: number) => {
    if (Date.now() - since <= JOB_MS) return;
    setPassHelper(undefined);
    started = undefined;
    void worker.terminate();
    throw new BackendError(
      'the matrix pass helper thread stopped answering; it has been shut down and later passes run on one thread',
    );
  };
  started = {
    memory,
    relaxed: relaxed !== undefined,
    start(loop, args) {
      ctl[LOOP] = LOOPS.indexOf(loop);
      ctl.set(args, ARGS);
      job++;
      publish(false);
    },
    idle() {
      return Atomics.load(ctl, DONE) === word;
    },
    wait() {
      let spins = 0;
      const since = Date.now();
      while (Atomics.load(ctl, DONE) !== word) {
        if (++spins > SPINS) {
          Atomics.wait(ctl, DONE, Atomics.load(ctl, DONE), 1);
          spins = 0;
          stalled(since);
        }
      }
    },
    share(chunked, loops) {
      const { loop, a, rowBytes, x, out, rows, outBytes, bounds } = chunked;
      const count = bounds.length - 1;
      job++;
      ctl.set([loop, a, rowBytes, x, out, rows, outBytes, loops.relaxed ? 1 : 0], CHUNK);
      ctl.set(bounds, BOUNDS);
      Atomics.store(ctl, FINISHED, 0);
      Atomics.store(ctl, RANGE, ((job & TAG) << 12) | (count << 6));
      publish(true);
      // chunks from the first up, while any are left
      for (;;) {
        const v = Atomics.load(ctl, RANGE);
        const lo = v & 63;
        if (lo >= ((v >>> 6) & 63)) break;
        if (Atomics.compareExchange(ctl, RANGE, v, v + 1) !== v) continue;
        runChunk(
          loops,
          loop,
          a,
          rowBytes,
          x,
          out,
          rows,
          outBytes,
          bounds[lo]!,
          bounds[lo + 1]!,
          lo,
        );
        Atomics.add(ctl, FINISHED, 1);
      }
      // the helper's chunk under way: spin briefly, then sleep, so that a helper the system has
      // paused for other work can run on this core
      let spins = 0;
      const since = Date.now();
      for (
        let done = Atomics.load(ctl, FINISHED);
        done < count;
        done = Atomics.load(ctl, FINISHED)
      ) {
        if (++spins > CHUNK_SPINS) {
          Atomics.wait(ctl, FINISHED, done, 1);
          stalled(since);
        }
      }
    },
  };
  setPassHelper(started);
  return true;
}
