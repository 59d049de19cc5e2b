/**
 * The multi-threaded wasm backend under Node.
 *
 * tfjs-backend-wasm ships a multi-threaded SIMD build (XNNPACK with a pthread pool), but under
 * Node it never uses it: its `WASM_HAS_MULTITHREAD_SUPPORT` flag is hard-wired to false there, and
 * forcing the flag fails because the emscripten runtime starts its workers from `blob:` URLs,
 * which Node's `Worker` rejects (tensorflow/tfjs#3830). On top of that, the thread count is half
 * the logical cores (capped there), which is one thread on a 2-core machine.
 *
 * {@link useWasmThreads} starts the wasm backend with the threaded build: it writes the backend's
 * own worker script to a file Node can start, points the workers at the backend's own
 * threaded-SIMD module file, sets the thread count, and unreferences the pool's workers so that a
 * script still exits when its work is done. Nothing of the library runs in those threads: they are
 * XNNPACK's, used by the backend's own convolutions, pooling and element-wise kernels.
 *
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { wasmMemoryOf } from '../backend/kernels/js-access.js';
import { BackendError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import { startPassHelper } from './pass-helper.js';

/** Options of {@link useWasmThreads}. */
export interface WasmThreadsOptions {
  /**
   * Threads in XNNPACK's pool, main thread included: an integer from 1 to 8 (the backend starts
   * eight workers). Default: the machine's available parallelism, at most 8.
   */
  threads?: number;
}

interface EmscriptenWorker {
  unref(): void;
}
interface WasmModuleLike {
  tfjs: { getThreadsCount(): number };
  PThread?: { runningWorkers: EmscriptenWorker[] };
}

const WORKER_SCRIPT = 'wasm-out/tfjs-backend-wasm-threaded-simd.worker.js';
const MODULE_SCRIPT = 'wasm-out/tfjs-backend-wasm-threaded-simd.js';
let started: { threads: number } | undefined;

/**
 * Selects the wasm backend, started with tfjs-backend-wasm's multi-threaded SIMD build, under
 * Node. Call it instead of the first `tf.setBackend('wasm')`, after importing
 * `@tensorflow/tfjs-backend-wasm` (the backend must not have been started yet: a started
 * emscripten module cannot gain threads). Calling it again returns the same count.
 *
 * The gain is in XNNPACK's convolutions and products; the library's own JavaScript and SIMD loops
 * run on the calling thread, except the one-pass matrix loops over large designs (a logistic
 * regression's scores and gradient on the backend) and the library's large matrix products
 * (2^24 multiply-adds or more: a convolution's filter gradient, a large dense layer's), which a helper thread started
 * here (with two threads or more) shares: a pass chunk by chunk, a product by rows or columns. Tiny models lose instead (the
 * hand-off costs more than the work). docs/backends.md has the measured figures.
 *
 * Node only (Deno and browsers are refused: in a cross-origin-isolated browser page the backend
 * picks its threaded build by itself).
 *
 * @param options - the thread count (default: the available parallelism, at most 8).
 * @returns the number of threads XNNPACK's pool uses.
 * @throws ArgumentError when `threads` is not an integer from 1 to 8.
 * @throws BackendError when the wasm backend is not imported, was already started
 *   single-threaded, or the environment is not Node.
 *
 * @example
 * ```ts
 * import * as tf from '@tensorflow/tfjs-core';
 * import '@tensorflow/tfjs-backend-wasm';
 * import { registerTrainingKernels } from 'tfjs-medkit';
 * import { useWasmThreads } from 'tfjs-medkit/node';
 *
 * registerTrainingKernels();
 * const threads = await useWasmThreads(); // tf.getBackend() === 'wasm' now
 * ```
 */
export async function useWasmThreads(options?: WasmThreadsOptions): Promise<number> {
  const o = resolveOptions('useWasmThreads', options, {
    threads: { constraint: { kind: 'number', integer: true, min: 1, max: 8 } },
  });
  const threads = o.threads ?? Math.min(8, os.availableParallelism?.() ?? os.cpus().length);
  if (started) {
    if (o.threads !== undefined && o.threads !== started.threads)
      throw new BackendError(
        `useWasmThreads: the wasm backend already runs ${started.threads} threads; a started backend cannot change its thread count`,
      );
    await tf.setBackend('wasm');
    return started.threads;
  }
  if ('Deno' in globalThis || typeof process === 'undefined' || !process.versions?.node)
    throw new BackendError(
      'useWasmThreads runs under Node only (in a cross-origin-isolated browser page, tfjs-backend-wasm starts its threaded build by itself)',
    );
  if (tf.findBackendFactory('wasm') == null)
    throw new BackendError(
      "useWasmThreads: the wasm backend is not registered: import '@tensorflow/tfjs-backend-wasm' first",
    );
  if (tf.findBackend('wasm') != null)
    throw new BackendError(
      "useWasmThreads: the wasm backend was already started single-threaded; call useWasmThreads before the first tf.setBackend('wasm') or tf.ready()",
    );

  const root = locateWasmPackage();
  const req = createRequire(join(root, 'package.json'));
  const version = (req(join(root, 'package.json')) as { version: string }).version;
  if (!version.startsWith('4.'))
    throw new BackendError(
      `useWasmThreads: supports @tensorflow/tfjs-backend-wasm 4.x, found ${version}`,
    );
  const { wasmWorkerContents } = req(join(root, WORKER_SCRIPT)) as { wasmWorkerContents: string };
  const moduleScript = join(root, MODULE_SCRIPT);

  // The backend's own worker script, as a file (its `\n` escapes kept, as the backend does for
  // its Blob), preceded by one rule: load the threaded module from its file, not from a Blob.
  const dir = mkdtempSync(join(os.tmpdir(), 'tfjs-medkit-wasm-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const workerFile = join(dir, 'worker.cjs');
  writeFileSync(
    workerFile,
    `const moduleScript = ${JSON.stringify(moduleScript)};
{
  const port = require('worker_threads').parentPort;
  const on = port.on.bind(port);
  port.on = (event, listener) =>
    on(event, event === 'message'
      ? (data) => { if (data && data.cmd === 'load') data.urlOrBlob = moduleScript; listener(data); }
      : listener);
}
${wasmWorkerContents.replace(/\n/g, '\\n')}`,
  );

  // During start-up only: worker Blob URLs become the file; the logical-core count, which the
  // module halves to size its pool, reads twice the requested threads.
  const osModule = req('os') as { cpus: typeof os.cpus };
  const cpus = osModule.cpus;
  const createObjectURL = URL.createObjectURL;
  URL.createObjectURL = (blob: Blob) =>
    blob.type === 'application/javascript' ? workerFile : createObjectURL(blob);
  osModule.cpus = () => {
    const one = cpus()[0]!;
    return Array.from({ length: 2 * threads }, () => one);
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    URL.createObjectURL = createObjectURL;
    osModule.cpus = cpus;
  }
  if (!ok) throw new BackendError('useWasmThreads: the wasm backend failed to start');
  const module = (tf.backend() as unknown as { wasm: WasmModuleLike }).wasm;
  // The pool's threads wait for work forever; unreferenced, they do not keep Node running.
  for (const worker of module.PThread?.runningWorkers ?? []) worker.unref();
  const actual = module.tfjs.getThreadsCount();
  started = { threads: actual };
  // a second thread for the library's one-pass matrix loops (large logistic-regression designs)
  const memory = wasmMemoryOf(tf.backend());
  if (actual > 1 && memory) startPassHelper(memory);
  return actual;
}

/**
 * The folder of the tfjs-backend-wasm package the program loaded: that of the Node build in
 * `require`'s cache (the instance that registered the backend), else the one resolvable from the
 * working directory.
 */
function locateWasmPackage(): string {
  const cwd = createRequire(join(process.cwd(), 'noop.js'));
  const dist = `${sep}dist${sep}`;
  const marker = `${sep}@tensorflow${sep}tfjs-backend-wasm${dist}`;
  for (const file of Object.keys(cwd.cache)) {
    const at = file.lastIndexOf(marker);
    if (at >= 0) return file.slice(0, at + marker.length - dist.length);
  }
  try {
    return resolve(dirname(cwd.resolve('@tensorflow/tfjs-backend-wasm')), '..');
  } catch (cause) {
    throw new BackendError(
      'useWasmThreads: cannot find the @tensorflow/tfjs-backend-wasm package from the working directory',
      { cause },
    );
  }
}
