/**
 * `MaxPool3D` and `MaxPool3DGrad` for the wasm backend. The stock kernels are plain loops (a
 * third of a 3D-CNN training step; docs/backends.md) and give a window of −∞ the value 1.2e−38
 * (FLT_MIN) with its gradient at the first position. Here, tfjs-backend-cpu's 3D rule throughout:
 * the last maximum in window order wins, NaN never does, a window of −∞ gives −∞ and passes its
 * gradient to its last position, a window of NaN gives −∞ and passes nothing. The common case
 * (2×2×2 windows, stride 2, no leading padding, channels a multiple of 4, every window inside the
 * input) runs one WebAssembly SIMD loop per output row, four channels a step; every other case a
 * loop over the heap.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { accessFor, heapOffset } from './js-access.js';
import { simdFor } from './simd/modules.js';

type Shape5 = [number, number, number, number, number];

interface PoolAttrs {
  filterSize: [number, number, number] | number;
  strides: [number, number, number] | number;
  pad: 'valid' | 'same' | number;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The pooling geometry. */
function poolInfo(xShape: number[], a: PoolAttrs): tf.backend_util.Conv3DInfo {
  return tf.backend_util.computePool3DInfo(
    xShape as Shape5,
    a.filterSize,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
}

/** Whether one SIMD row loop covers the whole pooling (2×2×2, stride 2, windows inside). */
function simdCovers(info: tf.backend_util.Conv3DInfo): boolean {
  const { filterDepth, filterHeight, filterWidth, strideDepth, strideHeight, strideWidth } = info;
  const { front, top, left } = info.padInfo;
  return (
    [filterDepth, filterHeight, filterWidth, strideDepth, strideHeight, strideWidth].every(
      (v) => v === 2,
    ) &&
    front === 0 &&
    top === 0 &&
    left === 0 &&
    info.inChannels % 4 === 0 &&
    2 * info.outDepth <= info.inDepth &&
    2 * info.outHeight <= info.inHeight &&
    2 * info.outWidth <= info.inWidth
  );
}

/** `MaxPool3D` or, with `gradient`, `MaxPool3DGrad`, for `backendName`. */
function pool3d(backendName: string, gradient: boolean): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const { x, input, dy } = inputs as Record<string, tf.TensorInfo>;
    const xIn = (gradient ? input : x)!;
    const info = poolInfo(xIn.shape, attrs as unknown as PoolAttrs);
    const loops = backendName === 'wasm' && simdCovers(info) ? simdFor(backend) : undefined;
    if (!loops) return poolLoop(backendName, backend, info, xIn, gradient ? dy : undefined);
    const { batchSize: B, inDepth: D, inHeight: H, inWidth: W, inChannels: C } = info;
    const { outDepth: OD, outHeight: OH, outWidth: OW } = info;
    // the gradient's output is zero where no window reaches (an odd size's last slice or row)
    const covered = 2 * OD === D && 2 * OH === H && 2 * OW === W;
    const { out } = accessFor(backendName, backend).output(
      gradient ? xIn.shape : info.outShape,
      [],
      gradient && !covered,
    );
    const x0 = heapOffset(backend, xIn);
    const y0 = heapOffset(backend, gradient ? dy! : out);
    const delta = gradient ? heapOffset(backend, out) - x0 : 0;
    const row = gradient ? loops.maxPoolGrad2x2x2Row : loops.maxPool2x2x2Row;
    for (let b = 0; b < B; b++)
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          row(
            x0 + 4 * ((b * D + 2 * od) * H + 2 * oh) * W * C,
            y0 + 4 * ((b * OD + od) * OH + oh) * OW * C,
            delta,
            OW,
            4 * C,
            4 * W * C,
            4 * H * W * C,
          );
    return out;
  };
}

/** Builds `MaxPool3D` for `backendName`. @internal */
export function maxPool3d(backendName: string): tf.KernelFunc {
  return pool3d(backendName, false);
}

/** Builds `MaxPool3DGrad` for `backendName`. @internal */
export function maxPool3dGrad(backendName: string): tf.KernelFunc {
  return pool3d(backendName, true);
}

/**
 * Any 3D max pooling (`dy` absent) or its gradient, as a loop over the heap, with the rule above.
 */
function poolLoop(
  backendName: string,
  backend: unknown,
  info: tf.backend_util.Conv3DInfo,
  x: tf.TensorInfo,
  dy: tf.TensorInfo | undefined,
): tf.TensorInfo {
  const { batchSize: B, inDepth: D, inHeight: H, inWidth: W, inChannels: C } = info;
  const { outDepth: OD, outHeight: OH, outWidth: OW } = info;
  const { strideDepth: SD, strideHeight: SH, strideWidth: SW } = info;
  const { effectiveFilterDepth: FD, effectiveFilterHeight: FH, effectiveFilterWidth: FW } = info;
  const { front, top, left } = info.padInfo;
  const { out, outValues, values } = accessFor(backendName, backend).output(
    dy ? x.shape : info.outShape,
    dy ? [x, dy] : [x],
  );
  const [xv, dyv] = values as [Float32Array, Float32Array | undefined];
  for (let b = 0; b < B; b++)
    for (let od = 0; od < OD; od++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++)
          for (let c = 0; c < C; c++) {
            let best = Number.NEGATIVE_INFINITY;
            let at = -1;
            for (let d = Math.max(0, od * SD - front); d < Math.min(D, od * SD - front + FD); d++)
              for (let h = Math.max(0, oh * SH - top); h < Math.min(H, oh * SH - top + FH); h++)
                for (
                  let w = Math.max(0, ow * SW - left);
                  w < Math.min(W, ow * SW - left + FW);
                  w++
                ) {
                  const i = (((b * D + d) * H + h) * W + w) * C + c;
                  const v = xv[i]!;
                  if (v >= best) {
                    best = v;
                    at = i;
                  }
                }
            const o = (((b * OD + od) * OH + oh) * OW + ow) * C + c;
            if (!dyv) outValues[o] = best;
            else if (at >= 0) outValues[at]! += dyv[o]!;
          }
  return out;
}
