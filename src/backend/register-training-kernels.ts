/**
 * `registerTrainingKernels()`: makes the library's models train on the wasm backend (and faster
 * on cpu) by registering the kernels the wasm backend lacks, replacing its slow training
 * kernels with compositions of its fast ones, and registering gradients for dilated
 * convolutions.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { LOG_SIGMOID, LOG_SIGMOID_GRAD } from '../core/kernel-names.js';
import { registerActivationGradients } from './activation-gradients.js';
import { registerDilatedGradients } from './dilated-gradients.js';
import { ADAM_UPDATE, adamUpdateKernel } from './fused-adam.js';
import { registerLayerGradients } from './fused-layers.js';
import { registerLogSigmoidGradient } from './fused-log-sigmoid.js';
import { rememberOriginal } from './kernel-calls.js';
import { batchMatMulTransposeFree } from './kernels/batch-mat-mul.js';
import { batchMatMulRows } from './kernels/batch-mat-mul-cpu.js';
import { binaryLoop } from './kernels/binary-cpu.js';
import {
  CONV_BACKWARD,
  CONV_FORWARD,
  convBackwardKernel,
  convForwardKernel,
} from './kernels/conv-layer.js';
import {
  CONV_POOL_BACKWARD,
  CONV_POOL_FORWARD,
  convPoolBackwardKernel,
  convPoolForwardKernel,
} from './kernels/conv-pool.js';
import { conv2dBackpropFilterGemm } from './kernels/conv2d-backprop-filter.js';
import { conv2dBackpropInputComposed } from './kernels/conv2d-backprop-input.js';
import {
  conv2dBackpropFilterJs,
  conv2dBackpropInputJs,
  conv2dJs,
  fusedConv2dJs,
} from './kernels/conv2d-js.js';
import { conv2dSegmented } from './kernels/conv2d-segmented.js';
import { fusedConv2dWinograd } from './kernels/conv2d-winograd.js';
import {
  conv3dBackpropFilterUnfolded,
  conv3dBackpropInputUnfolded,
  conv3dUnfolded,
} from './kernels/conv3d-unfolded.js';
import {
  DENSE_BACKWARD,
  DENSE_FORWARD,
  denseBackwardKernel,
  denseForwardKernel,
} from './kernels/dense-backward.js';
import { depthwiseBackpropFilter, depthwiseBackpropInput } from './kernels/depthwise-backprop.js';
import { wasmBinaryKernel, wasmReluKernel } from './kernels/elementwise.js';
import { fusedMatMulComposed } from './kernels/fused-activation.js';
import { gatherFromHeap } from './kernels/gather.js';
import { identityShared } from './kernels/identity.js';
import {
  LEAKY_RELU_GRAD,
  leakyReluGradKernel,
  leakyReluSimd,
  RELU_GRAD,
  reluGradKernel,
} from './kernels/leaky-relu.js';
import { logSigmoidGradKernel, logSigmoidKernel } from './kernels/log-sigmoid.js';
import { MAX_POOL_FORWARD, maxPool2x2, maxPoolForwardKernel } from './kernels/max-pool.js';
import { maxPool3d, maxPool3dGrad } from './kernels/max-pool-3d.js';
import { MAX_POOL_RELU_GRAD, maxPoolGrad } from './kernels/max-pool-grad.js';
import { depthwiseExplicitPadding } from './kernels/same-padding.js';
import { sliceByRuns } from './kernels/slice.js';
import { sumLeadingOrTrailing } from './kernels/sum.js';
import { tanhSimd } from './kernels/tanh.js';
import { transposeLastTwo } from './kernels/transpose.js';
import { reluLoop, stepLoop } from './kernels/unary-cpu.js';
import { unsortedSegmentSumComposed } from './kernels/unsorted-segment-sum.js';
import { applyWebglWorkarounds } from './webgl-workarounds.js';

/** One kernel the library provides for a backend. */
interface Provided {
  kernelName: string;
  make: (backendName: string) => tf.KernelFunc;
  /** True when it replaces a kernel the backend has (whose original it may call). */
  replaces: boolean;
}

/**
 * The new kernels both backends get: the fused layers' forward and backward passes (dense,
 * convolution, pooling) and log σ with its gradient.
 */
const LAYER_KERNELS: Provided[] = [
  { kernelName: DENSE_FORWARD, make: denseForwardKernel, replaces: false },
  { kernelName: DENSE_BACKWARD, make: denseBackwardKernel, replaces: false },
  { kernelName: CONV_FORWARD, make: convForwardKernel, replaces: false },
  { kernelName: CONV_BACKWARD, make: convBackwardKernel, replaces: false },
  { kernelName: MAX_POOL_FORWARD, make: maxPoolForwardKernel, replaces: false },
  { kernelName: CONV_POOL_FORWARD, make: convPoolForwardKernel, replaces: false },
  { kernelName: CONV_POOL_BACKWARD, make: convPoolBackwardKernel, replaces: false },
  {
    kernelName: MAX_POOL_RELU_GRAD,
    make: (backendName) => maxPoolGrad(backendName, true),
    replaces: false,
  },
  { kernelName: LOG_SIGMOID, make: logSigmoidKernel, replaces: false },
  { kernelName: LOG_SIGMOID_GRAD, make: logSigmoidGradKernel, replaces: false },
];

/** What the library registers, per backend. */
const PROVIDED: Record<string, Provided[]> = {
  wasm: [
    { kernelName: 'Conv2DBackpropFilter', make: conv2dBackpropFilterGemm, replaces: false },
    {
      kernelName: 'DepthwiseConv2dNativeBackpropFilter',
      make: depthwiseBackpropFilter,
      replaces: false,
    },
    {
      kernelName: 'DepthwiseConv2dNativeBackpropInput',
      make: depthwiseBackpropInput,
      replaces: false,
    },
    { kernelName: 'UnsortedSegmentSum', make: unsortedSegmentSumComposed, replaces: false },
    { kernelName: 'Conv2DBackpropInput', make: conv2dBackpropInputComposed, replaces: true },
    { kernelName: 'Conv2D', make: conv2dSegmented, replaces: true },
    { kernelName: 'FusedConv2D', make: fusedConv2dWinograd, replaces: true },
    ...['Add', 'Sub', 'Multiply', 'RealDiv'].map((kernelName) => ({
      kernelName,
      make: wasmBinaryKernel(kernelName),
      replaces: true,
    })),
    { kernelName: 'Relu', make: wasmReluKernel(), replaces: true },
    { kernelName: 'DepthwiseConv2dNative', make: depthwiseExplicitPadding, replaces: true },
    { kernelName: 'BatchMatMul', make: batchMatMulTransposeFree, replaces: true },
    {
      kernelName: '_FusedMatMul',
      // weights used three times already are inference's: XNNPACK's packed copy pays off there
      make: fusedMatMulComposed(batchMatMulTransposeFree, { stockAfter: 3 }),
      replaces: true,
    },
    { kernelName: 'Conv3D', make: conv3dUnfolded, replaces: true },
    { kernelName: 'Conv3DBackpropInputV2', make: conv3dBackpropInputUnfolded, replaces: true },
    { kernelName: 'Conv3DBackpropFilterV2', make: conv3dBackpropFilterUnfolded, replaces: true },
    { kernelName: 'MaxPoolGrad', make: maxPoolGrad, replaces: true },
    { kernelName: 'MaxPool', make: maxPool2x2, replaces: true },
    { kernelName: 'MaxPool3D', make: maxPool3d, replaces: true },
    { kernelName: 'MaxPool3DGrad', make: maxPool3dGrad, replaces: true },
    { kernelName: 'Slice', make: sliceByRuns, replaces: true },
    { kernelName: 'Identity', make: identityShared, replaces: true },
    { kernelName: 'GatherV2', make: gatherFromHeap, replaces: true },
    { kernelName: 'Transpose', make: transposeLastTwo, replaces: true },
    { kernelName: 'Sum', make: sumLeadingOrTrailing, replaces: true },
    { kernelName: ADAM_UPDATE, make: adamUpdateKernel, replaces: false },
    { kernelName: 'LeakyRelu', make: leakyReluSimd, replaces: true },
    { kernelName: 'Tanh', make: tanhSimd, replaces: true },
    { kernelName: LEAKY_RELU_GRAD, make: leakyReluGradKernel, replaces: false },
    { kernelName: RELU_GRAD, make: reluGradKernel, replaces: false },
    ...LAYER_KERNELS,
  ],
  cpu: [
    { kernelName: 'Conv2D', make: conv2dJs, replaces: true },
    { kernelName: 'FusedConv2D', make: fusedConv2dJs, replaces: true },
    { kernelName: 'Conv2DBackpropInput', make: conv2dBackpropInputJs, replaces: true },
    { kernelName: 'Conv2DBackpropFilter', make: conv2dBackpropFilterJs, replaces: true },
    { kernelName: 'MaxPoolGrad', make: maxPoolGrad, replaces: true },
    { kernelName: 'Sum', make: sumLeadingOrTrailing, replaces: true },
    { kernelName: 'Slice', make: sliceByRuns, replaces: true },
    { kernelName: 'Transpose', make: transposeLastTwo, replaces: true },
    {
      kernelName: 'DepthwiseConv2dNativeBackpropFilter',
      make: depthwiseBackpropFilter,
      replaces: true,
    },
    {
      kernelName: 'DepthwiseConv2dNativeBackpropInput',
      make: depthwiseBackpropInput,
      replaces: true,
    },
    { kernelName: LEAKY_RELU_GRAD, make: leakyReluGradKernel, replaces: false },
    { kernelName: RELU_GRAD, make: reluGradKernel, replaces: false },
    { kernelName: ADAM_UPDATE, make: adamUpdateKernel, replaces: false },
    { kernelName: 'Step', make: stepLoop, replaces: true },
    { kernelName: 'Multiply', make: binaryLoop(false), replaces: true },
    { kernelName: 'Add', make: binaryLoop(true), replaces: true },
    { kernelName: 'Relu', make: reluLoop, replaces: true },
    { kernelName: 'BatchMatMul', make: batchMatMulRows, replaces: true },
    { kernelName: '_FusedMatMul', make: fusedMatMulComposed(batchMatMulRows), replaces: true },
    ...LAYER_KERNELS,
  ],
};

const done = new Set<string>(); // `${backend}/${kernel}`
const registeredFns = new Map<string, tf.KernelFunc>();
let hooked = false;

/** True when the backend's own kernels have been registered (its module was imported). */
function backendLoaded(backendName: string): boolean {
  return tf.getKernel('Conv2D', backendName) !== undefined;
}

function register(backendName: string, p: Provided): void {
  const key = `${backendName}/${p.kernelName}`;
  const current = tf.getKernel(p.kernelName, backendName);
  if (done.has(key) && current?.kernelFunc === registeredFns.get(key)) return;
  if (p.replaces) {
    if (!backendLoaded(backendName) || !current) return; // applied when the backend is first set
    rememberOriginal(p.kernelName, backendName);
    tf.unregisterKernel(p.kernelName, backendName);
  } else if (current && !done.has(key)) {
    return; // the backend has its own now: keep it
  } else if (current) {
    tf.unregisterKernel(p.kernelName, backendName);
  }
  const kernelFunc = p.make(backendName);
  // wasm kernels bind their WebAssembly functions in a setupFunc run when the backend starts: a
  // replacement registered before that must carry the original's, or the original never works
  const setupFunc = p.replaces ? current?.setupFunc : undefined;
  tf.registerKernel({
    kernelName: p.kernelName,
    backendName,
    kernelFunc,
    ...(setupFunc ? { setupFunc } : {}),
  });
  registeredFns.set(key, kernelFunc);
  done.add(key);
}

function applyAll(): void {
  applyWebglWorkarounds();
  for (const [backendName, list] of Object.entries(PROVIDED))
    for (const p of list) register(backendName, p);
}

/** Re-applies the replacements when a backend imported after the first call is first set. */
function hookSetBackend(): void {
  if (hooked) return;
  hooked = true;
  const engine = tf.engine();
  const original = engine.setBackend.bind(engine);
  engine.setBackend = async (name: string) => {
    const ok = await original(name);
    if (ok) applyAll();
    return ok;
  };
}

/**
 * Registers the training kernels and gradients the library's models need on every backend.
 *
 * - wasm: adds `Conv2DBackpropFilter` (one matrix product of an im2row panel and dy),
 *   `DepthwiseConv2dNativeBackpropFilter`, `DepthwiseConv2dNativeBackpropInput` and
 *   `UnsortedSegmentSum` (which the wasm backend lacks); replaces `Conv2DBackpropInput` and
 *   `BatchMatMul` with compositions of its fast kernels (XNNPACK convolution; untransposed
 *   products by the library's SIMD gemm), `MaxPoolGrad`, 2×2/stride-2 `MaxPool`, 2×2×2
 *   `MaxPool3D`/`MaxPool3DGrad`, `Sum` over leading axes and large elementwise arithmetic and
 *   `Relu` with WebAssembly SIMD loops on the backend's own memory, `Conv2D` with the library's
 *   segmented product, `Slice`
 *   with one that copies only the slice, `Identity` with one that shares its input's memory (no
 *   copy), and `Conv3D` with its two gradients by 2D convolutions of a depth-unfolded input (the
 *   stock `Conv3D` is a plain loop; the stock 3D gradients are wrong), `LeakyRelu` and `Tanh`
 *   with SIMD loops (the same values), `GatherV2` with one that copies only the gathered rows,
 *   `Transpose` of the last two axes with SIMD tiles. No training step copies data to
 *   JavaScript.
 * - cpu: convolution forward, fused forward and both backprops, `BatchMatMul` and
 *   `_FusedMatMul`, as WebAssembly SIMD matrix products on a private heap (JavaScript loops where
 *   WebAssembly SIMD is missing; the stock convolutions index through buffer objects), a one-pass
 *   `MaxPoolGrad`, a transpose-free `Sum` over leading or trailing axes, dilation-aware depthwise
 *   backprops, `Slice` by contiguous runs, `Transpose` of the last two axes in tiles, `Relu`,
 *   `Step`, same-shape or scalar float32 `Multiply` and `Add` and bias `Add` as plain loops.
 * - cpu and wasm, new kernels: `MedkitAdamUpdate` ({@link fusedAdam}'s one-call step, bit for
 *   bit tf.train.adam), `MedkitDenseForward` and `MedkitDenseBackward` (a dense layer of the
 *   library's trainers in one call each way), `MedkitConv2DForward` and `MedkitConv2DBackward`
 *   (the same for a 2D convolution layer: convolution, bias and activation in one kernel; the
 *   activation's gradient, the bias's sum and both backprops in one), and `MedkitReluGrad` and `MedkitLeakyReluGrad`
 *   (the ReLU and leaky-ReLU gradients in one pass, bit for bit tfjs-core's three-kernel
 *   compositions, which every other backend keeps), and `MedkitLogSigmoid` with its gradient
 *   `MedkitLogSigmoidGrad` (the losses' log σ(z) in one call each way, the same kernels run
 *   without the engine's dispatch).
 * - webgl: turns off tfjs's lazy unpacking of packed results (`WEBGL_LAZILY_UNPACK`), with which
 *   a variable left packed by an optimizer's update is read wrongly by the next training step
 *   (the library's trainers do this themselves on webgl).
 * - every backend: gradients for dilated `conv2d` and `depthwiseConv2d`, which tfjs-core lacks.
 *
 * Synchronous and idempotent. Backends imported before the call get their kernels at once;
 * a backend imported later gets them when it is first set with `tf.setBackend`.
 *
 * @returns the names of the kernels and gradients registered so far (the same list on every
 *   call, unless a backend was loaded in between).
 *
 * @example
 * ```ts
 * import '@tensorflow/tfjs-backend-wasm';
 * import { registerTrainingKernels } from 'tfjs-medkit';
 * registerTrainingKernels(); // ['BatchMatMul', 'Conv2D', 'Conv2DBackpropFilter', …]
 * await tf.setBackend('wasm');
 * await model.fit(x, y);      // conv layers now train on wasm
 * ```
 */
export function registerTrainingKernels(): string[] {
  const gradients = [
    ...registerDilatedGradients(),
    ...registerActivationGradients(),
    ...registerLayerGradients(),
    ...registerLogSigmoidGradient(),
  ];
  applyAll();
  hookSetBackend();
  const kernels = [...done].map((k) => k.split('/')[1]!);
  return [...new Set([...kernels, ...gradients])].sort();
}

/** The kernels the library registered, as `backend/kernel`. @internal */
export function registeredTrainingKernels(): string[] {
  return [...done].sort();
}
