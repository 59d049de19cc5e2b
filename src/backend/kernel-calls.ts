/**
 * Calling a backend's own kernels from inside another kernel, at the TensorInfo level: no engine
 * round trip, no tape, no copy to JavaScript. Every TensorInfo a call returns must be released
 * with {@link release} (the backend counts references per data id).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** The part of a backend a composed kernel uses. */
export interface KernelBackend {
  /** Releases one reference to a data id. */
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
}

/** Inputs and attributes of a kernel call. */
export type Inputs = Record<string, tf.TensorInfo>;
/** Attributes of a kernel call. */
export type Attrs = Record<string, unknown>;

/** The original kernel functions, captured before the library replaced any of them. */
const originals = new Map<string, tf.KernelFunc>();

/** Remembers `backend`'s own `kernelName` (once) so replacements can still call it. @internal */
export function rememberOriginal(kernelName: string, backendName: string): void {
  const key = `${backendName}_${kernelName}`;
  if (originals.has(key)) return;
  const config = tf.getKernel(kernelName, backendName);
  if (config) originals.set(key, config.kernelFunc);
}

/**
 * Runs `backendName`'s own kernel `kernelName` (the original, when the library replaced it).
 *
 * @internal
 */
export function callKernel(
  kernelName: string,
  backendName: string,
  backend: KernelBackend,
  inputs: Inputs,
  attrs: Attrs = {},
): tf.TensorInfo {
  const fn =
    originals.get(`${backendName}_${kernelName}`) ??
    tf.getKernel(kernelName, backendName)?.kernelFunc;
  if (!fn) throw new Error(`kernel ${kernelName} is not registered for backend ${backendName}`);
  return fn({ inputs, attrs, backend } as never) as tf.TensorInfo;
}

/**
 * Runs the kernel `kernelName` registered for `backendName` now: the library's where it replaced
 * the backend's (unlike {@link callKernel}, which runs the backend's own).
 *
 * @internal
 */
export function callRegistered(
  kernelName: string,
  backendName: string,
  backend: unknown,
  inputs: Inputs,
  attrs: Attrs = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(kernelName, backendName);
  if (!kernel) throw new Error(`kernel ${kernelName} is not registered for backend ${backendName}`);
  return kernel.kernelFunc({ inputs, attrs, backend } as never) as tf.TensorInfo;
}

/** Releases intermediate results. @internal */
export function release(backend: KernelBackend, ...infos: (tf.TensorInfo | undefined)[]): void {
  for (const info of infos) if (info) backend.disposeData(info.dataId);
}
