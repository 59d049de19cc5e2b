/**
 * The training kernels and gradients against a float64 reference (the definition, summed term by
 * term) and against the stock cpu backend: conv2d and depthwise conv2d gradients for kernels
 * 1/3/5/7, strides 1/2/3, dilations 1/2, valid/same/explicit padding, odd sizes (property-based,
 * fast-check); transposed matrix products; the gather gradient. Tolerance: 1e-4 relative to the
 * largest gradient. `npm run test:full` runs the large sweep (channels and batch up to 64, 300
 * cases per property).
 */
import * as tf from '@tensorflow/tfjs-core';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { CONV_CHUNKS } from '../../src/backend/kernels/conv2d-gemm-cpu.js';
import { setScratchHeapEnabled } from '../../src/backend/kernels/scratch-heap.js';
import {
  RELAXED_MODULES,
  SIMD_MODULES,
  simdFor,
  simdModuleBytes,
} from '../../src/backend/kernels/simd/modules.js';
import { registeredTrainingKernels } from '../../src/backend/register-training-kernels.js';
import { registerTrainingKernels } from '../../src/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';
import { type ConvCase, convGrads, maxAbs, outSize } from '../helpers/conv-reference.js';

const FULL = process.env.MEDKIT_FULL === '1';
const RUNS = FULL ? 300 : 40;

beforeAll(() => {
  registerTrainingKernels();
});

/** Random conv cases of a few MFLOP at most. */
function convCase(
  depthwise: boolean,
  dilated: boolean,
): fc.Arbitrary<ConvCase & { padding: 'valid' | 'same' | 'explicit' }> {
  return (
    fc
      .record({
        batch: fc.integer({ min: 1, max: FULL ? 64 : 3 }),
        height: fc.integer({ min: 1, max: FULL ? 17 : 9 }),
        width: fc.integer({ min: 1, max: FULL ? 17 : 9 }),
        inChannels: fc.integer({ min: 1, max: FULL ? 64 : 5 }),
        out: fc.integer({ min: 1, max: depthwise ? 3 : FULL ? 64 : 6 }),
        kh: fc.constantFrom(1, 3, 5, 7),
        kw: fc.constantFrom(1, 3, 5),
        stride: dilated ? fc.constant(1) : fc.constantFrom(1, 2, 3),
        dilation: dilated ? fc.constantFrom(2, 3) : fc.constant(1),
        padding: fc.constantFrom('valid', 'same', 'explicit') as fc.Arbitrary<
          'valid' | 'same' | 'explicit'
        >,
        explicit: fc.tuple(fc.nat(3), fc.nat(3), fc.nat(3), fc.nat(3)),
      })
      .map((r) => {
        const base = {
          batch: r.batch,
          height: r.height,
          width: r.width,
          inChannels: r.inChannels,
          out: r.out,
          kernel: [r.kh, r.kw] as [number, number],
          stride: [r.stride, r.stride] as [number, number],
          dilation: [r.dilation, r.dilation] as [number, number],
          padding: r.padding,
        };
        let pads: [number, number, number, number] = [0, 0, 0, 0];
        if (r.padding === 'explicit') pads = r.explicit;
        if (r.padding === 'same') {
          const info = tf.backend_util.computeConv2DInfo(
            [r.batch, r.height, r.width, r.inChannels],
            [r.kh, r.kw, r.inChannels, r.out],
            [r.stride, r.stride],
            [r.dilation, r.dilation],
            'same',
          );
          pads = [info.padInfo.top, info.padInfo.bottom, info.padInfo.left, info.padInfo.right];
        }
        return { ...base, pads };
      })
      .filter((c) => outSize(c)[0] >= 1 && outSize(c)[1] >= 1)
      // a budget per case (multiply-adds of the float64 reference), so the sweep stays minutes long
      .filter(
        (c) =>
          c.batch * c.height * c.width * c.kernel[0] * c.kernel[1] * c.inChannels * c.out <=
          (FULL ? 2e7 : 2e6),
      )
  );
}

function run(c: ConvCase & { padding: string }, depthwise: boolean) {
  const x = tf.randomNormal([c.batch, c.height, c.width, c.inChannels], 0, 1, 'float32', 1);
  const w = tf.randomNormal([...c.kernel, c.inChannels, c.out], 0, 1, 'float32', 2);
  const pad =
    c.padding === 'explicit'
      ? ([
          [0, 0],
          [c.pads[0], c.pads[1]],
          [c.pads[2], c.pads[3]],
          [0, 0],
        ] as tf.backend_util.ExplicitPadding)
      : (c.padding as 'valid' | 'same');
  const f = (xi: tf.Tensor4D, wi: tf.Tensor4D) =>
    depthwise
      ? tf.depthwiseConv2d(xi, wi, c.stride, pad, 'NHWC', c.dilation)
      : tf.conv2d(xi, wi, c.stride, pad, 'NHWC', c.dilation);
  const y = f(x as tf.Tensor4D, w as tf.Tensor4D);
  const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 3);
  const [gx, gw] = tf.grads((xi: tf.Tensor, wi: tf.Tensor) =>
    tf.sum(tf.mul(f(xi as tf.Tensor4D, wi as tf.Tensor4D), dy)),
  )([x, w]);
  const ref = convGrads(
    c,
    x.dataSync() as Float32Array,
    w.dataSync() as Float32Array,
    dy.dataSync() as Float32Array,
    depthwise,
  );
  expect(y.shape).toEqual(ref.outShape);
  const describe = JSON.stringify(c);
  expectClose(
    y,
    Array.from(ref.y),
    { rtol: 0, atol: 1e-4 * Math.max(1, maxAbs(ref.y)) },
    `y ${describe}`,
  );
  expectClose(
    gx!,
    Array.from(ref.dx),
    { rtol: 0, atol: 1e-4 * Math.max(1, maxAbs(ref.dx)) },
    `dx ${describe}`,
  );
  expectClose(
    gw!,
    Array.from(ref.dw),
    { rtol: 0, atol: 1e-4 * Math.max(1, maxAbs(ref.dw)) },
    `dW ${describe}`,
  );
  tf.dispose([x, w, y, dy, gx!, gw!]);
}

describeBackends('training kernels', (backend) => {
  it('conv2d gradients equal the reference (kernel 1-7, stride 1-3, all paddings)', () => {
    fc.assert(
      fc.property(convCase(false, false), (c) => run(c, false)),
      { numRuns: RUNS, seed: 42 },
    );
  });

  it('conv2d and its gradients with 8k filters (wasm: no im2row panel) equal the reference', () => {
    // (the padding of 'same' does not depend on the channels)
    const segmented = convCase(false, false).chain((c) =>
      fc
        .record({ inChannels: fc.constantFrom(1, 3, 4, 8, 12), out: fc.constantFrom(8, 16) })
        .map((k) => ({ ...c, ...k })),
    );
    fc.assert(
      fc.property(segmented, (c) => run(c, false)),
      { numRuns: RUNS, seed: 48 },
    );
    // dilated, and a batch whose dy spans several chunks of segments
    fc.assert(
      fc.property(
        convCase(false, true).map((c) => ({ ...c, inChannels: 4, out: 8 })),
        (c) => run(c, false),
      ),
      { numRuns: RUNS, seed: 49 },
    );
    run(
      {
        batch: 6,
        height: 28,
        width: 28,
        inChannels: 4,
        out: 64,
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [1, 1],
        pads: [1, 1, 1, 1],
        padding: 'same',
      },
      false,
    );
  });

  it('conv2d and depthwiseConv2d pad ‘same’ right at stride > 1 with non-square filters', () => {
    // the stock wasm kernels' own 'same' is wrong here (their explicit padding is right)
    for (const [h, w, kh, kw, s] of [
      [1, 2, 3, 1, 2],
      [2, 2, 1, 3, 3],
      [4, 3, 5, 1, 2],
      [9, 7, 3, 5, 2],
    ] as const)
      for (const depthwise of [false, true]) {
        const c = {
          batch: 2,
          height: h,
          width: w,
          inChannels: depthwise ? 3 : 2,
          out: depthwise ? 1 : 3,
          kernel: [kh, kw] as [number, number],
          stride: [s, s] as [number, number],
          dilation: [1, 1] as [number, number],
          padding: 'same',
        };
        const info = tf.backend_util.computeConv2DInfo(
          [2, h, w, c.inChannels],
          [kh, kw, c.inChannels, c.out],
          s,
          1,
          'same',
        );
        const { top, bottom, left, right } = info.padInfo;
        run({ ...c, pads: [top, bottom, left, right] }, depthwise);
      }
  });

  it('dilated conv2d gradients (tfjs-core has none) equal the reference', () => {
    fc.assert(
      fc.property(convCase(false, true), (c) => run(c, false)),
      { numRuns: RUNS, seed: 43 },
    );
  });

  it('depthwise conv2d gradients equal the reference', () => {
    fc.assert(
      fc.property(convCase(true, false), (c) => run(c, true)),
      { numRuns: RUNS, seed: 44 },
    );
  });

  it.each([
    [8, [3, 3], [1, 1], [1, 1], [1, 1, 1, 1]],
    [12, [3, 3], [2, 2], [1, 1], [0, 1, 0, 1]],
    [8, [5, 3], [1, 1], [2, 2], [4, 4, 2, 2]],
    [4, [3, 5], [3, 2], [1, 1], [2, 0, 3, 1]],
  ])(
    'one filter per channel, %i channels (the SIMD rows on wasm), kernel %j stride %j dilation %j pads %j',
    (channels, kernel, stride, dilation, pads) =>
      run(
        {
          batch: 2,
          height: 9,
          width: 10,
          inChannels: channels as number,
          out: 1,
          kernel: kernel as [number, number],
          stride: stride as [number, number],
          dilation: dilation as [number, number],
          pads: pads as [number, number, number, number],
          padding: 'explicit',
        },
        true,
      ),
  );

  it('dilated depthwise conv2d gradients equal the reference', () => {
    fc.assert(
      fc.property(convCase(true, true), (c) => run(c, true)),
      { numRuns: RUNS, seed: 45 },
    );
  });

  it('the seed CNN layer shapes: 64 channels, 28×28', () => {
    run(
      {
        batch: 4,
        height: 14,
        width: 14,
        inChannels: 32,
        out: 64,
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [1, 1],
        pads: [1, 1, 1, 1],
        padding: 'same',
      },
      false,
    );
    run(
      {
        batch: 4,
        height: 28,
        width: 28,
        inChannels: 1,
        out: 32,
        kernel: [3, 3],
        stride: [1, 1],
        dilation: [1, 1],
        pads: [0, 0, 0, 0],
        padding: 'valid',
      },
      false,
    );
  });

  it.each([
    [64, 512, 256],
    [7, 13, 5],
    [9, 33, 17],
    [4, 1, 8],
    [128, 64, 24],
    [1, 300, 3],
    // 1–3 rows past a multiple of four: the zero-padded block (a vector times a matrix)
    [1, 500, 72],
    [3, 20, 40],
    [6, 33, 17],
    // a matrix times a vector: SIMD row dots (K with and without a remainder of 8)
    [300, 400, 1],
    [250, 403, 1],
    // a matrix times a few columns: XNNPACK's product
    [200, 350, 3],
  ])('a %i×%i by %i product (both transposes) equals the float64 definition', (M, K, N) => {
    const a = tf.randomNormal([M, K], 0, 1, 'float32', 61);
    const b = tf.randomNormal([K, N], 0, 1, 'float32', 62);
    const av = a.dataSync();
    const bv = b.dataSync();
    const ref = new Float64Array(M * N);
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++)
        for (let k = 0; k < K; k++) ref[i * N + j]! += av[i * K + k]! * bv[k * N + j]!;
    const tol = { rtol: 0, atol: 1e-5 * Math.sqrt(K) * maxAbs(ref) };
    const plain = tf.matMul(a, b);
    const viaT = tf.tidy(() => tf.matMul(tf.transpose(a), tf.transpose(b), true, true));
    expectClose(plain, Array.from(ref), tol);
    expectClose(viaT, Array.from(ref), tol);
    tf.dispose([a, b, plain, viaT]);
  });

  it('transposed matrix products equal plain ones', () => {
    const a = tf.randomNormal([3, 7, 5], 0, 1, 'float32', 4);
    const b = tf.randomNormal([3, 7, 6], 0, 1, 'float32', 5);
    const ref = tf.matMul(tf.transpose(a, [0, 2, 1]), b).arraySync();
    expectClose(tf.matMul(a, b, true, false), (ref as number[][][]).flat(2), {
      rtol: 1e-5,
      atol: 1e-5,
    });
    const c = tf.randomNormal([6, 5], 0, 1, 'float32', 6);
    const d = tf.randomNormal([4, 5], 0, 1, 'float32', 7);
    const ref2 = tf.matMul(c, tf.transpose(d)).arraySync() as number[][];
    expectClose(tf.matMul(c, d, false, true), ref2.flat(), { rtol: 1e-5, atol: 1e-5 });
    const e = tf.randomNormal([4, 6], 0, 1, 'float32', 8);
    const f = tf.randomNormal([5, 4], 0, 1, 'float32', 9);
    const ref3 = tf.matMul(tf.transpose(e), tf.transpose(f)).arraySync() as number[][];
    expectClose(tf.matMul(e, f, true, true), ref3.flat(), { rtol: 1e-5, atol: 1e-5 });
    tf.dispose([a, b, c, d, e, f]);
  });

  it.each([
    [
      [2, 40],
      [30, 40],
    ],
    [
      [9, 33],
      [70, 33],
    ],
    [
      [3, 2, 40],
      [3, 30, 40],
    ],
  ])('A·Bᵀ with a short A (computed as (B·Aᵀ)ᵀ): %j by %j', (aShape, bShape) => {
    const a = tf.randomNormal(aShape, 0, 1, 'float32', 11);
    const b = tf.randomNormal(bShape, 0, 1, 'float32', 12);
    const rank = aShape.length;
    const perm = rank === 3 ? [0, 2, 1] : [1, 0];
    const ref = tf.tidy(() => tf.matMul(a, tf.transpose(b, perm)));
    const before = tf.memory().numTensors;
    const out = tf.matMul(a, b, false, true);
    expect(out.shape).toEqual(ref.shape);
    expectClose(out, Array.from(ref.dataSync()), { rtol: 1e-5, atol: 1e-5 });
    expect(tf.memory().numTensors).toBe(before + 1);
    tf.dispose([a, b, ref, out]);
  });

  it('gather gradient (UnsortedSegmentSum) sums repeated rows', () => {
    const table = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const g = tf.grad((t: tf.Tensor) =>
      tf.sum(
        tf.mul(
          tf.gather(t, tf.tensor1d([2, 0, 2, 2], 'int32')),
          tf.tensor2d([
            [1, 1],
            [2, 2],
            [3, 3],
            [4, 4],
          ]),
        ),
      ),
    )(table);
    expectClose(g, [2, 2, 0, 0, 8, 8]);
    tf.dispose([table, g]);
  });

  it(`registers what ${backend} lacks, idempotently`, () => {
    const first = registerTrainingKernels();
    expect(registerTrainingKernels()).toEqual(first);
    expect(first).toEqual(
      expect.arrayContaining(['Conv2D', 'Conv2DBackpropFilter', 'UnsortedSegmentSum']),
    );
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    // every provided kernel is in place (a silently skipped registration fails here)
    expect(registeredTrainingKernels()).toEqual(
      [
        'cpu/Add',
        'cpu/BatchMatMul',
        'cpu/Conv2D',
        'cpu/Conv2DBackpropFilter',
        'cpu/Conv2DBackpropInput',
        'cpu/DepthwiseConv2dNativeBackpropFilter',
        'cpu/DepthwiseConv2dNativeBackpropInput',
        'cpu/FusedConv2D',
        'cpu/MaxPoolGrad',
        'cpu/MedkitAdamUpdate',
        'cpu/MedkitConv2DBackward',
        'cpu/MedkitConv2DForward',
        'cpu/MedkitConv2DPoolBackward',
        'cpu/MedkitConv2DPoolForward',
        'cpu/MedkitDenseBackward',
        'cpu/MedkitDenseForward',
        'cpu/MedkitLeakyReluGrad',
        'cpu/MedkitLogSigmoid',
        'cpu/MedkitLogSigmoidGrad',
        'cpu/MedkitMaxPool',
        'cpu/MedkitMaxPoolReluGrad',
        'cpu/MedkitReluGrad',
        'cpu/Multiply',
        'cpu/Relu',
        'cpu/Slice',
        'cpu/Step',
        'cpu/Sum',
        'cpu/Transpose',
        'cpu/_FusedMatMul',
        'wasm/Add',
        'wasm/BatchMatMul',
        'wasm/_FusedMatMul',
        'wasm/Conv2D',
        'wasm/Conv2DBackpropFilter',
        'wasm/Conv2DBackpropInput',
        'wasm/Conv3D',
        'wasm/Conv3DBackpropFilterV2',
        'wasm/Conv3DBackpropInputV2',
        'wasm/DepthwiseConv2dNative',
        'wasm/DepthwiseConv2dNativeBackpropFilter',
        'wasm/DepthwiseConv2dNativeBackpropInput',
        'wasm/FusedConv2D',
        'wasm/GatherV2',
        'wasm/MaxPool',
        'wasm/MaxPool3D',
        'wasm/MaxPool3DGrad',
        'wasm/LeakyRelu',
        'wasm/MaxPoolGrad',
        'wasm/Identity',
        'wasm/MedkitAdamUpdate',
        'wasm/MedkitConv2DBackward',
        'wasm/MedkitConv2DForward',
        'wasm/MedkitConv2DPoolBackward',
        'wasm/MedkitConv2DPoolForward',
        'wasm/MedkitDenseBackward',
        'wasm/MedkitDenseForward',
        'wasm/MedkitLeakyReluGrad',
        'wasm/MedkitLogSigmoid',
        'wasm/MedkitLogSigmoidGrad',
        'wasm/MedkitMaxPool',
        'wasm/MedkitMaxPoolReluGrad',
        'wasm/MedkitReluGrad',
        'wasm/Multiply',
        'wasm/RealDiv',
        'wasm/Relu',
        'wasm/Slice',
        'wasm/Sub',
        'wasm/Sum',
        'wasm/Tanh',
        'wasm/Transpose',
        'wasm/UnsortedSegmentSum',
      ].sort(),
    );
  });

  it('leaves no tensor behind over many steps', async () => {
    const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 8);
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.1, 'float32', 9));
    const dwise = tf.variable(tf.randomNormal([3, 3, 4, 2], 0, 0.1, 'float32', 10));
    const opt = tf.train.adam(0.01);
    const step = () =>
      opt.minimize(() => {
        const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w as tf.Variable<tf.Rank.R4>, 2, 'same'));
        const d = tf.depthwiseConv2d(
          h as tf.Tensor4D,
          dwise as unknown as tf.Tensor4D,
          1,
          'same',
          'NHWC',
          2,
        );
        return tf.mean(tf.square(d)) as tf.Scalar;
      });
    step();
    await expectNoLeak(() => {
      for (let i = 0; i < 20; i++) step();
    });
    tf.dispose([x, w, dwise]);
    opt.dispose();
  });
});

// tfjs-backend-cpu's own kernels, captured before registerTrainingKernels() replaces them
const STOCK_CPU = {
  input: tf.getKernel('Conv2DBackpropInput', 'cpu')!.kernelFunc,
  filter: tf.getKernel('Conv2DBackpropFilter', 'cpu')!.kernelFunc,
  maxPoolGrad: tf.getKernel('MaxPoolGrad', 'cpu')!.kernelFunc,
};

// the stock leaky ReLU: wasm's forward kernel and tfjs-core's gradient, before registration
const STOCK_LEAKY = {
  wasm: tf.getKernel('LeakyRelu', 'wasm')!.kernelFunc,
  gradient: tf.getGradient('LeakyRelu')!,
};

// tfjs-core's ReLU gradient (Step, Cast, Multiply), before registration
const STOCK_RELU_GRADIENT = tf.getGradient('Relu')!;

const STOCK_CPU_STEP = tf.getKernel('Step', 'cpu')!.kernelFunc;
const STOCK_CPU_RELU = tf.getKernel('Relu', 'cpu')!.kernelFunc;
const STOCK_CPU_BINARY = {
  Multiply: tf.getKernel('Multiply', 'cpu')!.kernelFunc,
  Add: tf.getKernel('Add', 'cpu')!.kernelFunc,
};

describeBackends('Relu on cpu', (backend) => {
  it.runIf(backend === 'cpu')('bit for bit the stock kernel, NaN, ±0 and ±∞ included', () => {
    const x = tf.tensor1d([Number.NaN, -0, 0, 1e-45, -1e-45, 3, -3, Infinity, -Infinity]);
    const stock = tf.engine().makeTensorFromTensorInfo(
      STOCK_CPU_RELU({
        inputs: { x },
        attrs: {},
        backend: tf.backend(),
      } as never) as tf.TensorInfo,
    );
    const got = tf.relu(x);
    const [a, b] = [Array.from(got.dataSync()), Array.from(stock.dataSync())];
    expect(a.every((v, i) => Object.is(v, b[i]!))).toBe(true);
    tf.dispose([x, stock, got]);
  });
});

describeBackends('Multiply and Add on cpu', (backend) => {
  it.runIf(backend === 'cpu').each(['Multiply', 'Add'] as const)(
    '%s: bit for bit the stock kernel: same shapes, a scalar either side, broadcasts, int32',
    (name) => {
      const special = [Number.NaN, -0, 0, 1e-40, 3.3, -7, Number.POSITIVE_INFINITY, -Infinity];
      const pairs: [tf.Tensor, tf.Tensor][] = [
        [tf.tensor1d(special), tf.tensor1d(special.slice().reverse())],
        [tf.randomNormal([5, 7], 0, 1, 'float32', 1), tf.randomNormal([5, 7], 0, 1, 'float32', 2)],
        [tf.randomNormal([5, 7], 0, 1, 'float32', 3), tf.scalar(0.1)],
        [tf.scalar(-2.5), tf.randomNormal([3, 1, 4], 0, 1, 'float32', 4)],
        [tf.tensor2d([[1.5]]), tf.scalar(3)],
        [tf.randomNormal([4, 3], 0, 1, 'float32', 5), tf.randomNormal([3], 0, 1, 'float32', 6)],
        [tf.tensor1d([1, 2, 3], 'int32'), tf.tensor1d([4, 5, 6], 'int32')],
        // a bias along the last axis
        [
          tf.randomNormal([2, 3, 5], 0, 1, 'float32', 7),
          tf.tensor1d([1, -0, Number.NaN, 2e-39, 4]),
        ],
      ];
      for (const [a, b] of pairs) {
        const got = name === 'Multiply' ? tf.mul(a, b) : tf.add(a, b);
        const stock = tf.engine().makeTensorFromTensorInfo(
          STOCK_CPU_BINARY[name]({
            inputs: { a, b },
            attrs: {},
            backend: tf.backend(),
          } as never) as tf.TensorInfo,
        );
        expect(got.shape).toEqual(stock.shape);
        expect(got.dtype).toBe(stock.dtype);
        const [x, y] = [Array.from(got.dataSync()), Array.from(stock.dataSync())];
        expect(x.every((v, i) => Object.is(v, y[i]!))).toBe(true);
        tf.dispose([a, b, got, stock]);
      }
    },
  );
});

describeBackends('Step (every ReLU gradient)', (backend) => {
  it.runIf(backend === 'cpu').each([0, 0.25])(
    'α %d: bit for bit the stock kernel, NaN, ±0 and ±∞ included',
    async (alpha) => {
      const values = [Number.NaN, -0, 0, 1e-45, -1e-45, 3, -3, Number.POSITIVE_INFINITY, -Infinity];
      const x = tf.tensor1d(values);
      const stock = tf.engine().makeTensorFromTensorInfo(
        STOCK_CPU_STEP({
          inputs: { x },
          attrs: { alpha },
          backend: tf.backend(),
        } as never) as tf.TensorInfo,
      );
      const got = tf.step(x, alpha);
      const [a, b] = [Array.from(got.dataSync()), Array.from(stock.dataSync())];
      expect(a.every((v, i) => Object.is(v, b[i]!))).toBe(true);
      const relu = tf.grad((t: tf.Tensor) => tf.sum(tf.relu(t)))(x);
      expect(Array.from(relu.dataSync()).map((v) => (Number.isNaN(v) ? 'NaN' : v))).toEqual([
        'NaN',
        0,
        0,
        1,
        0,
        1,
        0,
        1,
        0,
      ]);
      tf.dispose([x, stock, got, relu]);
    },
  );
});

describeBackends('leaky ReLU', (backend) => {
  const special = [Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1e-40];
  const input = (n: number) => {
    const values = Array.from(tf.randomNormal([n], 0, 2, 'float32', n).dataSync());
    special.forEach((v, i) => {
      values[(i * 5) % n] = v;
    });
    return tf.tensor1d(values);
  };
  const same = (a: tf.Tensor, b: tf.Tensor) => {
    const [av, bv] = [Array.from(a.dataSync()), Array.from(b.dataSync())];
    expect(av.map((v, i) => Object.is(v, bv[i]!) || i).filter((v) => v !== true)).toEqual([]);
  };
  it.each([
    [0.2, 13],
    [0.2, 64],
    [1.5, 31],
    [-0.3, 8],
  ])(`${backend}: α %d, %i values: forward and gradient bit for bit the stock ones`, (alpha, n) => {
    const x = input(n);
    const dy = tf.randomNormal([n], 0, 1, 'float32', 99);
    if (backend === 'wasm') {
      const stock = tf.engine().makeTensorFromTensorInfo(
        STOCK_LEAKY.wasm({
          inputs: { x },
          attrs: { alpha },
          backend: tf.backend(),
        } as never) as tf.TensorInfo,
      );
      const y = tf.leakyRelu(x, alpha);
      same(y, stock);
      tf.dispose([y, stock]);
    }
    const expected = tf.tidy(() =>
      (STOCK_LEAKY.gradient.gradFunc(dy, [x], { alpha } as never) as { x: () => tf.Tensor }).x(),
    );
    const [dx] = tf.grads((t: tf.Tensor) => tf.leakyRelu(t, alpha))([x], dy);
    same(dx!, expected);
    tf.dispose([x, dy, dx!, expected]);
  });

  it(`${backend}: the gradient's gradient (double backpropagation) is linear in dy, zero in x`, () => {
    const x = input(10);
    const c = tf.randomNormal([10], 0, 1, 'float32', 5);
    // ∂/∂x of Σ c·∂(Σ leakyRelu(x·w))/∂x at w = 1.5: zero (the mask is piecewise constant)
    const inner = (t: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(tf.leakyRelu(u, 0.2)))(t);
    const outer = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(c, inner(tf.mul(t, 1.5)))))(x);
    expect(Array.from(outer.dataSync()).every((v) => v === 0)).toBe(true);
    // ∂/∂dy of Σ c·dx(dy): the same mask applied to c
    const viaDy = tf.grad((d: tf.Tensor) =>
      tf.sum(tf.mul(c, tf.grads((t: tf.Tensor) => tf.leakyRelu(t, 0.2))([x], d)[0]!)),
    )(tf.onesLike(x));
    const xv = x.dataSync();
    const cv = c.dataSync();
    expect(Array.from(viaDy.dataSync())).toEqual(
      Array.from(cv, (v, i) => (xv[i]! > 0 ? v : Math.fround(Math.fround(0.2) * v))),
    );
    tf.dispose([x, c, outer, viaDy]);
  });
});

describeBackends('the ReLU gradient', (backend) => {
  // x and dy with NaN, ±0, ±∞ and subnormals: dy·0 is −0 for negative dy and NaN for infinite dy
  const special = [Number.NaN, -0, 0, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1e-40];
  const withSpecial = (n: number, seed: number, stride: number) => {
    const values = Array.from(tf.randomNormal([n], 0, 2, 'float32', seed).dataSync());
    special.forEach((v, i) => {
      values[(i * stride + stride) % n] = v;
    });
    return tf.tensor1d(values);
  };
  it.each([13, 64, 1001])(`${backend}: %i values, bit for bit tfjs-core's dy · step(x)`, (n) => {
    const x = withSpecial(n, n, 5);
    const dy = withSpecial(n, n + 1, 3);
    const expected = tf.tidy(() =>
      (STOCK_RELU_GRADIENT.gradFunc(dy, [x], {}) as { x: () => tf.Tensor }).x(),
    );
    const [dx] = tf.grads((t: tf.Tensor) => tf.relu(t))([x], dy);
    const [a, b] = [Array.from(dx!.dataSync()), Array.from(expected.dataSync())];
    expect(a.map((v, i) => Object.is(v, b[i]!) || i).filter((v) => v !== true)).toEqual([]);
    expect(a.some((v) => Object.is(v, -0))).toBe(true);
    tf.dispose([x, dy, dx!, expected]);
  });

  it(`${backend}: one kernel call, and a gradient of its own: linear in dy, zero in x`, async () => {
    const x = withSpecial(10, 3, 7);
    const dy = tf.randomNormal([10], 0, 1, 'float32', 4);
    const { kernels } = await tf.profile(() => tf.grads((t: tf.Tensor) => tf.relu(t))([x], dy));
    expect(kernels.map((k) => k.name)).toContain('MedkitReluGrad');
    expect(kernels.map((k) => k.name)).not.toContain('Step');
    const c = tf.randomNormal([10], 0, 1, 'float32', 5);
    const inner = (t: tf.Tensor) => tf.grad((u: tf.Tensor) => tf.sum(tf.relu(u)))(t);
    const outer = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(c, inner(tf.mul(t, 1.5)))))(x);
    expect(Array.from(outer.dataSync()).every((v) => v === 0 || Number.isNaN(v))).toBe(true);
    const viaDy = tf.grad((d: tf.Tensor) =>
      tf.sum(tf.mul(c, tf.grads((t: tf.Tensor) => tf.relu(t))([x], d)[0]!)),
    )(tf.onesLike(x));
    const xv = x.dataSync();
    const cv = c.dataSync();
    expect(Array.from(viaDy.dataSync())).toEqual(
      Array.from(cv, (v, i) => v * (xv[i]! > 0 ? 1 : Number.isNaN(xv[i]!) ? Number.NaN : 0)),
    );
    tf.dispose([x, dy, c, outer, viaDy]);
  });
});

describeBackends('undilated conv2d gradients against stock tfjs-backend-cpu', (backend) => {
  it(`${backend} equals the stock cpu kernels to 1e-4 of the largest gradient`, async () => {
    type Shape4 = [number, number, number, number];
    const shapes: { x: Shape4; w: Shape4; s: number; pad: 'same' | 'valid' }[] = [
      { x: [4, 11, 13, 3], w: [3, 3, 3, 8], s: 2, pad: 'same' },
      { x: [2, 10, 10, 8], w: [5, 5, 8, 4], s: 3, pad: 'valid' },
      { x: [3, 7, 9, 2], w: [1, 1, 2, 5], s: 1, pad: 'valid' },
    ];
    for (const sh of shapes) {
      await tf.setBackend('cpu');
      const x = tf.randomNormal(sh.x, 0, 1, 'float32', 11) as tf.Tensor4D;
      const w = tf.randomNormal(sh.w, 0, 1, 'float32', 12) as tf.Tensor4D;
      const y = tf.conv2d(x, w, sh.s, sh.pad);
      const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 13);
      const cpu = tf.backend() as unknown as {
        readSync(id: tf.DataId): Float32Array;
        disposeData(id: tf.DataId): void;
      };
      const attrs = { strides: [sh.s, sh.s], pad: sh.pad, dataFormat: 'NHWC' };
      const stockDx = STOCK_CPU.input({
        inputs: { dy, filter: w },
        backend: cpu,
        attrs: { ...attrs, inputShape: sh.x },
      } as never) as tf.TensorInfo;
      const stockDw = STOCK_CPU.filter({
        inputs: { x, dy },
        backend: cpu,
        attrs: { ...attrs, filterShape: sh.w },
      } as never) as tf.TensorInfo;
      const stock = [
        Array.from(cpu.readSync(stockDx.dataId)),
        Array.from(cpu.readSync(stockDw.dataId)),
      ];
      cpu.disposeData(stockDx.dataId);
      cpu.disposeData(stockDw.dataId);
      const values = [x, w, dy].map((t) => ({ data: Array.from(t.dataSync()), shape: t.shape }));
      tf.dispose([x, w, y, dy]);
      await tf.setBackend(backend);
      const [xb, wb, dyb] = values.map((v) => tf.tensor(v.data, v.shape));
      const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, sh.s, sh.pad), dyb!)),
      )([xb!, wb!]);
      expectClose(gx!, stock[0]!, { rtol: 0, atol: 1e-4 * maxAbs(stock[0]!) }, 'dx');
      expectClose(gw!, stock[1]!, { rtol: 0, atol: 1e-4 * maxAbs(stock[1]!) }, 'dW');
      tf.dispose([xb!, wb!, dyb!, gx!, gw!]);
    }
  });
});

/** Float64 reference of op(A)·op(B) for batches of matrices (a batch of 1 broadcasts). */
function matMulReference(
  a: Float32Array,
  b: Float32Array,
  [batchA, ra, ca]: number[],
  [batchB, rb, cb]: number[],
  ta: boolean,
  tb: boolean,
): number[] {
  const [M, K] = ta ? [ca!, ra!] : [ra!, ca!];
  const N = tb ? rb! : cb!;
  const out: number[] = [];
  for (let m = 0; m < Math.max(batchA!, batchB!); m++) {
    const oa = (batchA === 1 ? 0 : m) * ra! * ca!;
    const ob = (batchB === 1 ? 0 : m) * rb! * cb!;
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++)
          s +=
            a[oa + (ta ? k * ca! + i : i * ca! + k)]! * b[ob + (tb ? j * cb! + k : k * cb! + j)]!;
        out.push(s);
      }
  }
  return out;
}

/**
 * The cpu conv sweep and two forward passes (with and without a bias and an activation) under
 * `change` (a setting of the SIMD path, undone by the function it returns): the forward passes
 * equal those made before the change.
 */
function sweepUnder(change: () => () => void, seed: number, numRuns: number): void {
  const x = tf.randomNormal([3, 9, 7, 5], 0, 1, 'float32', 61) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 5, 6], 0, 1, 'float32', 62) as tf.Tensor4D;
  const bias = tf.randomNormal([6], 0, 1, 'float32', 63);
  const forward = () => [
    tf.conv2d(x, w, 2, 'same'),
    tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'valid', bias, activation: 'relu' }),
  ];
  const before = forward();
  const undo = change();
  try {
    forward().forEach((y, i) => {
      expectClose(y, Array.from(before[i]!.dataSync()), { rtol: 1e-5, atol: 1e-5 });
      y.dispose();
    });
    fc.assert(
      fc.property(convCase(false, false), (c) => run(c, false)),
      { numRuns, seed },
    );
  } finally {
    undo();
    tf.dispose([x, w, bias, ...before]);
  }
}

describeBackends('cpu convolutions and products on the scratch heap', (backend) => {
  it.runIf(backend === 'cpu')(
    'the conv sweep holds on the JavaScript loops too (scratch heap off)',
    () => {
      sweepUnder(
        () => {
          const was = setScratchHeapEnabled(false);
          return () => setScratchHeapEnabled(was);
        },
        7,
        20,
      );
    },
  );

  it.runIf(backend === 'cpu')(
    'the conv sweep holds in chunks of a few output rows and groups of one sample',
    () => {
      sweepUnder(
        () => {
          const was = { ...CONV_CHUNKS };
          Object.assign(CONV_CHUNKS, { panel: 300, input: 200 });
          return () => Object.assign(CONV_CHUNKS, was);
        },
        9,
        30,
      );
    },
  );

  it.runIf(backend === 'cpu')(
    'a convolution larger than one panel (chunks of output rows) equals the reference, with a bias',
    () => {
      const c = {
        batch: 8,
        height: 64,
        width: 64,
        inChannels: 16,
        out: 4,
        kernel: [3, 3] as [number, number],
        stride: [1, 1] as [number, number],
        dilation: [1, 1] as [number, number],
        pads: [1, 1, 1, 1] as [number, number, number, number],
      };
      run({ ...c, padding: 'same' }, false);
      // the forward pass with a bias (the panel's column of ones), against float64 sums
      const x = tf.randomNormal([8, 64, 64, 16], 0, 1, 'float32', 21) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 16, 4], 0, 1, 'float32', 22) as tf.Tensor4D;
      const bias = tf.randomNormal([4], 0, 1, 'float32', 23) as tf.Tensor1D;
      const y = tf.fused.conv2d({ x, filter: w, strides: 1, pad: 'same', bias });
      const [xv, wv, bv] = [x, w, bias].map((t) => t.dataSync() as Float32Array);
      const ref = new Float64Array(8 * 64 * 64 * 4);
      for (let b = 0; b < 8; b++)
        for (let i = 0; i < 64; i++)
          for (let j = 0; j < 64; j++)
            for (let o = 0; o < 4; o++) {
              let s = bv![o]!;
              for (let kh = 0; kh < 3; kh++)
                for (let kw = 0; kw < 3; kw++) {
                  const [ih, iw] = [i + kh - 1, j + kw - 1];
                  if (ih < 0 || ih >= 64 || iw < 0 || iw >= 64) continue;
                  for (let ci = 0; ci < 16; ci++)
                    s +=
                      xv![((b * 64 + ih) * 64 + iw) * 16 + ci]! *
                      wv![((kh * 3 + kw) * 16 + ci) * 4 + o]!;
                }
              ref[((b * 64 + i) * 64 + j) * 4 + o] = s;
            }
      expectClose(y, Array.from(ref), { rtol: 0, atol: 1e-4 * maxAbs(ref) });
      tf.dispose([x, w, bias, y]);
    },
  );

  it.runIf(backend === 'cpu').each([
    [[1, 67, 45], [1, 45, 130], false, false],
    [[1, 45, 67], [1, 45, 130], true, false],
    [[1, 67, 45], [1, 130, 45], false, true],
    [[1, 45, 67], [1, 130, 45], true, true],
    [[3, 33, 70], [1, 70, 21], false, false],
    [[1, 70, 33], [3, 21, 70], true, true],
    [[2, 64, 3136], [2, 3136, 128], false, false],
    [[1, 300, 200], [1, 200, 1], false, false], // matrix · vector: the dot-product loop
    [[1, 200, 1], [1, 300, 200], true, true],
  ])(
    'products %j · %j (transposeA %s, transposeB %s) on both paths equal the definition',
    (as, bs, ta, tb) => {
      const a = tf.randomNormal(as, 0, 1, 'float32', 31);
      const b = tf.randomNormal(bs, 0, 1, 'float32', 32);
      const ref = matMulReference(
        a.dataSync() as Float32Array,
        b.dataSync() as Float32Array,
        as,
        bs,
        ta,
        tb,
      );
      for (const on of [true, false]) {
        const was = setScratchHeapEnabled(on);
        const before = tf.memory().numTensors;
        const c = tf.matMul(a, b, ta, tb);
        expect(tf.memory().numTensors).toBe(before + 1);
        expectClose(c, ref, { rtol: 0, atol: 1e-5 * maxAbs(ref) }, `scratch ${on}`);
        c.dispose();
        setScratchHeapEnabled(was);
      }
      tf.dispose([a, b]);
    },
  );
  it.runIf(backend === 'wasm').each([
    [[6, 64, 196], [6, 196, 32], false, false], // per-example products of DP-SGD, one gemm an item
    [[5, 30, 50], [5, 50, 21], false, false], // rows past the last four, columns past the last eight
    [[4, 16, 40], [1, 40, 24], false, false], // one right matrix for every item
    [[1, 16, 40], [3, 40, 24], false, false], // one left matrix for every item
    [[3, 40, 17], [3, 40, 24], true, false],
    [[3, 17, 40], [3, 24, 40], false, true],
    [[4, 33, 70], [4, 70, 3], false, false], // a few columns: XNNPACK
  ])(
    'batched products %j · %j (transposeA %s, transposeB %s) on wasm equal the definition',
    (as, bs, ta, tb) => {
      const a = tf.randomNormal(as, 0, 1, 'float32', 41);
      const b = tf.randomNormal(bs, 0, 1, 'float32', 42);
      const ref = matMulReference(
        a.dataSync() as Float32Array,
        b.dataSync() as Float32Array,
        as,
        bs,
        ta,
        tb,
      );
      const before = tf.memory().numTensors;
      const c = tf.matMul(a, b, ta, tb);
      expect(tf.memory().numTensors).toBe(before + 1);
      expectClose(c, ref, { rtol: 0, atol: 1e-5 * maxAbs(ref) });
      tf.dispose([a, b, c]);
    },
  );

  it.runIf(backend === 'wasm').each([
    [64, 128, 2], // a dense layer's logits: every column an edge
    [5, 30, 21], // the gemm rows' columns past 16, the last row's past 20
  ])(
    'a %i×%i by %i product’s edge columns are float32 sums with k in order, bit for bit',
    (M, K, N) => {
      const a = tf.randomNormal([M, K], 0, 1, 'float32', 45);
      const b = tf.randomNormal([K, N], 0, 1, 'float32', 46);
      const [av, bv] = [a.dataSync(), b.dataSync()];
      const c = tf.matMul(a, b);
      const got = c.dataSync();
      const [M4, N8, N4] = [M - (M % 4), N - (N % 8), N - (N % 4)];
      for (let i = 0; i < M; i++)
        for (let j = i < M4 ? N8 : N4; j < N; j++) {
          let s = 0;
          for (let k = 0; k < K; k++)
            s = Math.fround(s + Math.fround(av[i * K + k]! * bv[k * N + j]!));
          expect(Object.is(got[i * N + j], s)).toBe(true);
        }
      tf.dispose([a, b, c]);
    },
  );

  it.runIf(backend === 'wasm')(
    'the SIMD row loops take four rows at a time with the sums of one row at a time, bit for bit',
    () => {
      // a matrix times a vector (rowDots): 7 rows (a group of four, then three one by one), each
      // equal to that row's product alone
      const a = tf.randomNormal([7, 203], 0, 1, 'float32', 43);
      const v = tf.randomNormal([203, 1], 0, 1, 'float32', 44);
      const all = tf.matMul(a, v);
      const rows = all.dataSync();
      for (let i = 0; i < 7; i++) {
        const row = tf.tidy(() => tf.matMul(tf.slice(a, [i, 0], [1, 203]), v));
        expect(row.dataSync()[0]).toBe(rows[i]);
        row.dispose();
      }
      // a vector times a matrix (scaledRows over 11 rows of the right operand: two groups of
      // four, then three): each column the float32 sum of the products in order (with the
      // relaxed-SIMD loops, each term a fused multiply-add: within the bound of fused rounding)
      const x = tf.randomNormal([1, 11], 0, 1, 'float32', 45);
      const B = tf.randomNormal([11, 12], 0, 1, 'float32', 46);
      const xv = x.dataSync();
      const bv = B.dataSync();
      const product = tf.matMul(x, B);
      const got = product.dataSync();
      const fused = simdFor(tf.backend())?.relaxed === true;
      for (let j = 0; j < 12; j++) {
        let sum = 0;
        let magnitude = 0;
        for (let k = 0; k < 11; k++) {
          sum = Math.fround(sum + Math.fround(xv[k]! * bv[k * 12 + j]!));
          magnitude += Math.abs(xv[k]! * bv[k * 12 + j]!);
        }
        if (fused)
          expect(Math.abs(got[j]! - sum)).toBeLessThanOrEqual(2 * 11 * 2 ** -24 * magnitude);
        else expect(got[j]).toBe(sum);
      }
      tf.dispose([a, v, all, x, B, product]);
    },
  );
});

/** Float64 reference of Σ dy·conv3d(x, w) gradients (stride s, explicit pads [front, top, left]). */
function conv3dGrads(
  xs: number[],
  ws: number[],
  x: Float32Array,
  w: Float32Array,
  dy: Float32Array,
  out: number[],
  s: number,
  p: [number, number, number],
) {
  const [B, D, H, W, C] = xs as [number, number, number, number, number];
  const [KD, KH, KW, , O] = ws as [number, number, number, number, number];
  const [, OD, OH, OW] = out as [number, number, number, number];
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  for (let b = 0; b < B; b++)
    for (let od = 0; od < OD; od++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++)
          for (let kd = 0; kd < KD; kd++)
            for (let kh = 0; kh < KH; kh++)
              for (let kw = 0; kw < KW; kw++) {
                const id = od * s + kd - p[0];
                const ih = oh * s + kh - p[1];
                const iw = ow * s + kw - p[2];
                if (id < 0 || id >= D || ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                for (let c = 0; c < C; c++)
                  for (let o = 0; o < O; o++) {
                    const g = dy[(((b * OD + od) * OH + oh) * OW + ow) * O + o]!;
                    const xi = (((b * D + id) * H + ih) * W + iw) * C + c;
                    const wi = (((kd * KH + kh) * KW + kw) * C + c) * O + o;
                    dx[xi]! += g * w[wi]!;
                    dw[wi]! += g * x[xi]!;
                  }
              }
  return { dx, dw };
}

type Shape5 = [number, number, number, number, number];

describeBackends('conv3d forward', () => {
  it.each([
    [[2, 5, 6, 7, 3], [3, 3, 2, 3, 4], 1, 1, 'same' as const],
    [[2, 5, 6, 7, 3], [3, 3, 2, 3, 4], 2, 1, 'valid' as const],
    [[1, 7, 5, 6, 2], [3, 2, 3, 2, 5], 1, 2, 'same' as const],
    [[2, 4, 5, 5, 1], [1, 1, 1, 1, 8], 1, 1, 'valid' as const],
    [[1, 6, 6, 6, 4], [2, 3, 3, 4, 3], 3, 1, 'same' as const],
  ])('x %j, W %j, stride %i, dilation %i, %s: equals the definition', (xs, ws, s, d, pad) => {
    const x = tf.randomNormal(xs as Shape5, 0, 1, 'float32', 24) as tf.Tensor5D;
    const w = tf.randomNormal(ws as Shape5, 0, 1, 'float32', 25) as tf.Tensor5D;
    const y = tf.conv3d(x, w, s, pad, 'NDHWC', d);
    const info = tf.backend_util.computeConv3DInfo(xs as never, ws as never, s, d, pad);
    const [B, D, H, W, C] = xs as number[];
    const [KD, KH, KW, , O] = ws as number[];
    const { outDepth: OD, outHeight: OH, outWidth: OW } = info;
    const { front, top, left } = info.padInfo;
    const xv = x.dataSync();
    const wv = w.dataSync();
    const ref = new Float64Array(B! * OD * OH * OW * O!);
    for (let b = 0; b < B!; b++)
      for (let od = 0; od < OD; od++)
        for (let oh = 0; oh < OH; oh++)
          for (let ow = 0; ow < OW; ow++)
            for (let kd = 0; kd < KD!; kd++)
              for (let kh = 0; kh < KH!; kh++)
                for (let kw = 0; kw < KW!; kw++) {
                  const id = od * s + kd * d - front;
                  const ih = oh * s + kh * d - top;
                  const iw = ow * s + kw * d - left;
                  if (id < 0 || id >= D! || ih < 0 || ih >= H! || iw < 0 || iw >= W!) continue;
                  for (let c = 0; c < C!; c++)
                    for (let o = 0; o < O!; o++)
                      ref[(((b * OD + od) * OH + oh) * OW + ow) * O! + o]! +=
                        xv[(((b * D! + id) * H! + ih) * W! + iw) * C! + c]! *
                        wv[(((kd * KH! + kh) * KW! + kw) * C! + c) * O! + o]!;
                }
    expect(y.shape).toEqual(info.outShape);
    expectClose(y, Array.from(ref), { rtol: 0, atol: 1e-5 * maxAbs(ref) });
    tf.dispose([x, w, y]);
  });
});

describeBackends('conv3d gradients', () => {
  it.each([
    [1, 'same' as const],
    [2, 'same' as const],
    [1, 'valid' as const],
    [2, 'valid' as const],
  ])('stride %i, %s padding: dx and dW equal the reference', (stride, padding) => {
    const xs: [number, number, number, number, number] = [2, 5, 6, 7, 3];
    const ws: [number, number, number, number, number] = [3, 3, 2, 3, 4];
    const x = tf.randomNormal(xs, 0, 1, 'float32', 21) as tf.Tensor5D;
    const w = tf.randomNormal(ws, 0, 1, 'float32', 22) as tf.Tensor5D;
    const y = tf.conv3d(x, w, stride, padding);
    const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 23);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv3d(a as tf.Tensor5D, b as tf.Tensor5D, stride, padding), dy)),
    )([x, w]);
    const info = tf.backend_util.computeConv3DInfo(xs as never, ws as never, stride, 1, padding);
    const ref = conv3dGrads(
      xs,
      ws,
      x.dataSync() as Float32Array,
      w.dataSync() as Float32Array,
      dy.dataSync() as Float32Array,
      y.shape,
      stride,
      [info.padInfo.front, info.padInfo.top, info.padInfo.left],
    );
    expectClose(gx!, Array.from(ref.dx), { rtol: 0, atol: 1e-4 * maxAbs(ref.dx) }, 'dx');
    expectClose(gw!, Array.from(ref.dw), { rtol: 0, atol: 1e-4 * maxAbs(ref.dw) }, 'dW');
    tf.dispose([x, w, y, dy, gx!, gw!]);
  });
});

describeBackends('max-pool gradient', (backend) => {
  it.runIf(backend === 'wasm')('wasm: the SIMD loops bind to the backend memory', () => {
    const loops = simdFor(tf.backend());
    expect(loops).toBeDefined();
    expect(simdFor(tf.backend())).toBe(loops);
    expect(SIMD_MODULES).toBeGreaterThan(1);
    for (let part = 0; part < SIMD_MODULES; part++) {
      expect(WebAssembly.validate(simdModuleBytes(true, part))).toBe(true);
      // Chromium compiles at most 4 KB synchronously on a page's main thread
      expect(simdModuleBytes(false, part).length).toBeLessThan(4096);
    }
    for (let part = 0; part < RELAXED_MODULES; part++)
      expect(simdModuleBytes(false, part, true).length).toBeLessThan(4096);
    // every loop of every module is bound
    expect(typeof loops!.gemm).toBe('function');
    expect(typeof loops!.leakyReluGrad).toBe('function');
  });

  it.each([
    // the SIMD rows: windows tiling the input (one call, shared with a helper where one runs),
    // odd sizes (a call per image), 'same' without padding
    [[2, 8, 10, 8], 'valid' as const, true],
    [[3, 7, 9, 12], 'valid' as const, true],
    [[1, 6, 6, 4], 'same' as const, true],
    // the stock kernel: padding, channels not a multiple of 4 (no NaN: the stock wasm kernel
    // gives −∞ for a window holding one)
    [[1, 7, 7, 8], 'same' as const, false],
    [[2, 6, 6, 3], 'valid' as const, false],
  ])(
    `${backend}: MaxPool 2×2 stride 2 on %j %s equals stock cpu bit for bit (ties, ±0, −∞; NaN: %s)`,
    async (shape, pad, withNaN) => {
      const values = tf.tidy(() => {
        const v = tf.floor(tf.mul(tf.randomUniform(shape, 0, 1, 'float32', 51), 3));
        const special = tf.randomUniform(shape, 0, 1, 'float32', 52);
        const signed = tf.where(tf.less(special, 0.4), tf.neg(v), v); // −0 and +0 both
        return tf
          .where(
            tf.less(special, withNaN ? 0.08 : 0),
            tf.fill(shape, Number.NaN),
            tf.where(tf.less(special, 0.2), tf.fill(shape, Number.NEGATIVE_INFINITY), signed),
          )
          .dataSync() as Float32Array;
      });
      const pool = () => {
        const x = tf.tensor4d(values, shape as [number, number, number, number]);
        const y = tf.maxPool(x, 2, 2, pad);
        const out = new Uint32Array((y.dataSync() as Float32Array).slice().buffer);
        tf.dispose([x, y]);
        return Array.from(out);
      };
      await tf.setBackend('cpu');
      const cpu = pool();
      await tf.setBackend(backend);
      expect(await expectNoLeak(pool)).toEqual(cpu);
    },
  );

  it.each([
    [[2, 2], [2, 2], 'valid' as const, 3],
    [[3, 3], [2, 2], 'same' as const, 3],
    [[3, 2], [1, 2], 'valid' as const, 3],
    [[2, 2], [2, 2], 'same' as const, 3],
    // four channels a step (the wasm SIMD loop), odd sizes: the edge windows take the loop
    [[2, 2], [2, 2], 'valid' as const, 8],
    [[2, 2], [2, 2], 'same' as const, 12],
  ])(
    `${backend}: pool %j stride %j %s, %i channels, equals stock cpu, ties, NaN and −∞ included`,
    async (pool, strides, pad, channels) => {
      // integer-valued inputs make ties common (as after a ReLU): the first maximum must win;
      // NaN never wins, and a window of −∞ passes no gradient
      const make = () =>
        tf.tidy(() => {
          const shape: [number, number, number, number] = [2, 7, 9, channels];
          const u = tf.randomUniform(shape, 0, 1, 'float32', 31);
          const v = tf.floor(tf.mul(u, 3));
          const special = tf.randomUniform(shape, 0, 1, 'float32', 32);
          return tf.where(
            tf.less(special, 0.05),
            tf.fill(shape, Number.NaN),
            tf.where(tf.less(special, 0.3), tf.fill(shape, Number.NEGATIVE_INFINITY), v),
          ) as tf.Tensor4D;
        });
      const run = () => {
        const x = make();
        const g = tf.grad((a: tf.Tensor) =>
          tf.sum(
            tf.mul(
              tf.maxPool(
                a as tf.Tensor4D,
                pool as [number, number],
                strides as [number, number],
                pad,
              ),
              1.5,
            ),
          ),
        )(x);
        const out = Array.from(g.dataSync());
        tf.dispose([x, g]);
        return out;
      };
      // the stock cpu kernel (captured before registration), called directly
      await tf.setBackend('cpu');
      const cpu = tf.backend() as unknown as {
        readSync(id: tf.DataId): Float32Array;
        disposeData(id: tf.DataId): void;
      };
      const x = make();
      const y = tf.maxPool(x, pool as [number, number], strides as [number, number], pad);
      const dy = tf.fill(y.shape, 1.5);
      const dx = STOCK_CPU.maxPoolGrad({
        inputs: { dy, input: x, output: y },
        backend: cpu,
        attrs: { filterSize: pool, strides, pad },
      } as never) as tf.TensorInfo;
      const stock = Array.from(cpu.readSync(dx.dataId));
      cpu.disposeData(dx.dataId);
      tf.dispose([x, y, dy]);
      await tf.setBackend(backend);
      expect(run()).toEqual(stock);
    },
  );
});

describeBackends('max-pool 3D', (backend) => {
  it.each([
    [[2, 6, 8, 4, 8], 'valid' as const],
    [[1, 5, 7, 6, 4], 'valid' as const],
    [[1, 4, 4, 6, 12], 'same' as const],
    [[1, 5, 5, 5, 4], 'same' as const],
    [[2, 4, 4, 4, 3], 'valid' as const],
  ])(
    `${backend}: 2×2×2 stride 2 on %j %s equals stock cpu, ties, NaN and −∞ included`,
    async (shape, pad) => {
      const values = (() => {
        const t = tf.tidy(() => {
          const v = tf.floor(tf.mul(tf.randomUniform(shape, 0, 1, 'float32', 41), 3));
          const special = tf.randomUniform(shape, 0, 1, 'float32', 42);
          return tf.where(
            tf.less(special, 0.05),
            tf.fill(shape, Number.NaN),
            tf.where(tf.less(special, 0.2), tf.fill(shape, Number.NEGATIVE_INFINITY), v),
          );
        });
        const out = t.dataSync().slice();
        t.dispose();
        return out;
      })();
      const run = () => {
        const x = tf.tensor(values, shape as Shape5) as tf.Tensor5D;
        const y = tf.maxPool3d(x, 2, 2, pad);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 43);
        const g = tf.grad((a: tf.Tensor) =>
          tf.sum(tf.mul(tf.maxPool3d(a as tf.Tensor5D, 2, 2, pad), dy)),
        )(x);
        const out = { y: Array.from(y.dataSync()), g: Array.from(g.dataSync()) };
        tf.dispose([x, y, dy, g]);
        return out;
      };
      await tf.setBackend('cpu');
      const stock = run();
      await tf.setBackend(backend);
      expect(run()).toEqual(stock);
    },
  );
});

describeBackends('slice', (backend) => {
  it(`${backend}: every rank, contiguous or not, int32 and bool too, equals the definition`, () => {
    const cases: [number[], number[], number[]][] = [
      [[7], [2], [3]],
      [
        [4096, 16],
        [128, 0],
        [64, 16],
      ],
      [
        [5, 6],
        [1, 2],
        [3, -1],
      ],
      [
        [3, 4, 5],
        [1, 0, 2],
        [2, 4, 2],
      ],
      [
        [2, 3, 4, 5],
        [0, 1, 1, 0],
        [2, 2, 2, 5],
      ],
      [
        [2, 3, 2, 3, 2],
        [1, 0, 1, 1, 0],
        [1, 3, 1, 2, 2],
      ],
      [
        [4, 4],
        [1, 1],
        [0, 2],
      ],
      // a convolution tap's input window (rows and columns in part, channels whole), and one
      // whose columns are whole too (runs of columns × channels)
      [
        [3, 6, 6, 4],
        [0, 1, 2, 0],
        [3, 4, 4, 4],
      ],
      [
        [2, 5, 5, 4],
        [0, 1, 0, 0],
        [2, 3, 5, 4],
      ],
    ];
    for (const [shape, begin, size] of cases) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : i));
        const x = tf.tensor(values as number[], shape, dtype);
        const got = tf.slice(x, begin, size);
        const buf = x.bufferSync();
        const size_ = size.map((s, d) => (s === -1 ? shape[d]! - begin[d]! : s));
        const expected: number[] = [];
        const total = size_.reduce((a, b) => a * b, 1);
        for (let k = 0; k < total; k++) {
          let rem = k;
          const idx = size_.map(() => 0);
          for (let d = size_.length - 1; d >= 0; d--) {
            idx[d] = (rem % size_[d]!) + begin[d]!;
            rem = Math.floor(rem / size_[d]!);
          }
          expected.push(Number(buf.get(...idx)));
        }
        expect(got.shape).toEqual(size_);
        expect(Array.from(got.dataSync()).map(Number)).toEqual(expected);
        tf.dispose([x, got]);
      }
    }
  });
});

describeBackends('transpose', (backend) => {
  it(`${backend}: the last two axes of batches of matrices, odd sizes, int32 too, and other permutations, equal the definition`, () => {
    const cases: [number[], number[]][] = [
      [
        [4, 4],
        [1, 0],
      ],
      [
        [64, 256],
        [1, 0],
      ],
      [
        [7, 13],
        [1, 0],
      ],
      [
        [1, 5],
        [1, 0],
      ],
      [
        [3, 9, 6],
        [0, 2, 1],
      ],
      [
        [2, 2, 5, 8],
        [0, 1, 3, 2],
      ],
      [
        [3, 4, 5],
        [2, 0, 1],
      ],
    ];
    for (const [shape, perm] of cases) {
      for (const dtype of ['float32', 'int32'] as const) {
        const n = shape.reduce((a, b) => a * b, 1);
        const x = tf.tensor(
          Array.from({ length: n }, (_, i) => i - 7),
          shape,
          dtype,
        );
        const got = tf.transpose(x, perm);
        const outShape = perm.map((p) => shape[p]!);
        expect(got.shape).toEqual(outShape);
        const xb = x.bufferSync();
        const gb = got.bufferSync();
        for (let k = 0; k < n; k++) {
          const at = gb.indexToLoc(k);
          const from = at.slice();
          perm.forEach((p, d) => {
            from[p] = at[d]!;
          });
          expect(gb.get(...at)).toBe(xb.get(...from));
        }
        tf.dispose([x, got]);
      }
    }
  });
});

describeBackends('gather', (backend) => {
  it(`${backend}: every axis, repeated and multi-dimensional indices, int32 and bool too, equals the definition`, () => {
    const cases: [number[], number[][] | number[], number][] = [
      [[4096, 16], [5, 4095, 0, 5], 0],
      [
        [6, 5],
        [
          [1, 2],
          [0, 5],
        ],
        0,
      ],
      [[3, 4, 5], [3, 0, 3], 1],
      [[3, 4, 5], [4, 0], -1],
      [[2, 3, 2, 3], [[1], [0]], 2],
    ];
    for (const [shape, indices, axis] of cases) {
      for (const dtype of ['float32', 'int32', 'bool'] as const) {
        const n = shape.reduce((a, b) => a * b, 1);
        const values = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 3 === 0 : i));
        const x = tf.tensor(values as number[], shape, dtype);
        const idx = tf.tensor(indices, undefined, 'int32');
        const got = tf.gather(x, idx, axis);
        const ax = axis < 0 ? shape.length + axis : axis;
        const flat = idx.dataSync();
        const outer = shape.slice(0, ax).reduce((a, b) => a * b, 1);
        const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1);
        const xs = Array.from(x.dataSync()).map(Number);
        const expected: number[] = [];
        for (let o = 0; o < outer; o++)
          for (const j of flat)
            for (let k = 0; k < inner; k++) expected.push(xs[(o * shape[ax]! + j) * inner + k]!);
        expect(got.shape).toEqual([...shape.slice(0, ax), ...idx.shape, ...shape.slice(ax + 1)]);
        expect(Array.from(got.dataSync()).map(Number)).toEqual(expected);
        tf.dispose([x, idx, got]);
      }
    }
  });

  it(`${backend}: an index outside the axis is the backend's own error`, () => {
    const x = tf.zeros([3, 2]);
    const idx = tf.tensor1d([0, 3], 'int32');
    expect(() => tf.gather(x, idx)).toThrow(/index value 3/);
    tf.dispose([x, idx]);
  });

  it(`${backend}: the gather gradient and a training batch draw leave no tensor behind`, async () => {
    const x = tf.randomNormal([50, 8], 0, 1, 'float32', 3);
    await expectNoLeak(() => {
      const g = tf.grad((t: tf.Tensor) => tf.sum(tf.gather(t, tf.tensor1d([3, 3, 49], 'int32'))))(
        x,
      );
      const row = Array.from(g.dataSync()).slice(3 * 8, 4 * 8);
      expect(row).toEqual(Array(8).fill(2));
      g.dispose();
    });
    x.dispose();
  });
});

/** tfjs-core's 'same' padding of a convolution, [top, bottom, left, right]. */
function samePads(
  xShape: [number, number, number, number],
  wShape: [number, number, number, number],
  stride: number,
): [number, number, number, number] {
  const { top, bottom, left, right } = tf.backend_util.computeConv2DInfo(
    xShape,
    wShape,
    stride,
    1,
    'same',
  ).padInfo;
  return [top, bottom, left, right];
}

describeBackends('fused conv2d', (backend) => {
  // a 3 × 2 filter at stride 2, 'same' (the padding the stock wasm convolution gets wrong in some
  // shapes), 5 or 16 filters
  it.each(
    (['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const).flatMap(
      (activation) =>
        [
          [activation, 5, [5]],
          [activation, 16, [16]],
        ] as const,
    ),
  )(
    `${backend}: bias + %s (%i filters, bias %j) equals conv, add and the activation`,
    (activation, co, biasShape) => {
      const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 41) as tf.Tensor4D;
      const w = tf.randomNormal([3, 2, 3, co], 0, 1, 'float32', 42) as tf.Tensor4D;
      const bias = tf.randomNormal([...biasShape], 0, 1, 'float32', 43);
      const alpha = tf.randomUniform([co], 0, 0.3, 'float32', 44);
      const before = tf.memory().numTensors;
      const fused = tf.fused.conv2d({
        x,
        filter: w,
        strides: 2,
        pad: 'same',
        bias,
        activation,
        ...(activation === 'prelu' ? { preluActivationWeights: alpha } : {}),
        ...(activation === 'leakyrelu' ? { leakyreluAlpha: 0.1 } : {}),
      });
      expect(tf.memory().numTensors).toBe(before + 1); // the output alone
      const z = tf.add(tf.conv2d(x, w, 2, 'same'), bias);
      const acts: Record<string, () => tf.Tensor> = {
        linear: () => z,
        relu: () => tf.relu(z),
        relu6: () => tf.relu6(z),
        elu: () => tf.elu(z),
        sigmoid: () => tf.sigmoid(z),
        leakyrelu: () => tf.leakyRelu(z, 0.1),
        prelu: () => tf.prelu(z, alpha),
      };
      // the float64 reference of the convolution, then the bias and the activation
      const ref = convGrads(
        {
          batch: 2,
          height: 7,
          width: 6,
          inChannels: 3,
          out: co,
          kernel: [3, 2],
          stride: [2, 2],
          dilation: [1, 1],
          pads: samePads([2, 7, 6, 3], [3, 2, 3, co], 2),
        },
        x.dataSync() as Float32Array,
        w.dataSync() as Float32Array,
        new Float32Array(fused.size),
        false,
      ).y;
      expectClose(
        z,
        Array.from(ref, (v, i) => v + bias.dataSync()[i % co]!),
        { rtol: 0, atol: 1e-4 },
      );
      expectClose(fused, acts[activation]!(), { rtol: 1e-5, atol: 1e-5 });
      tf.dispose([x, w, bias, alpha, fused, z]);
    },
  );
});

describeBackends('fused matMul', (backend) => {
  const activations: Record<string, (z: tf.Tensor, alpha: tf.Tensor) => tf.Tensor> = {
    linear: (z) => z,
    relu: (z) => tf.relu(z),
    relu6: (z) => tf.relu6(z),
    elu: (z) => tf.elu(z),
    sigmoid: (z) => tf.sigmoid(z),
    leakyrelu: (z) => tf.leakyRelu(z, 0.1),
    prelu: (z, alpha) => tf.prelu(z, alpha),
  };
  it.each([
    ['linear', false, false, [70]],
    ['relu', true, false, [70]],
    ['relu6', false, true, [70]],
    ['elu', true, true, [70]],
    ['sigmoid', false, false, [70]],
    ['leakyrelu', true, false, [70]],
    ['prelu', false, false, [70]],
    ['linear', true, true, [33, 70]],
  ] as const)(
    `${backend}: bias + %s (transposeA %s, transposeB %s, bias %j) equals the product, the sum and the activation`,
    (activation, ta, tb, biasShape) => {
      // the stock wasm kernel adds a bias along the wrong axis when an operand is transposed, and
      // refuses a 2-D bias
      const a = tf.randomNormal(ta ? [40, 33] : [33, 40], 0, 1, 'float32', 51) as tf.Tensor2D;
      const b = tf.randomNormal(tb ? [70, 40] : [40, 70], 0, 1, 'float32', 52) as tf.Tensor2D;
      const bias = tf.randomNormal([...biasShape], 0, 1, 'float32', 53);
      const alpha = tf.randomUniform([70], 0, 0.3, 'float32', 54);
      const before = tf.memory().numTensors;
      const fused = tf.fused.matMul({
        a,
        b,
        transposeA: ta,
        transposeB: tb,
        bias,
        activation,
        ...(activation === 'prelu' ? { preluActivationWeights: alpha } : {}),
        ...(activation === 'leakyrelu' ? { leakyreluAlpha: 0.1 } : {}),
      });
      expect(tf.memory().numTensors).toBe(before + 1);
      const ref = tf.tidy(() =>
        activations[activation]!(tf.add(tf.matMul(a, b, ta, tb), bias), alpha),
      );
      expectClose(fused, Array.from(ref.dataSync()), { rtol: 1e-5, atol: 1e-5 });
      tf.dispose([a, b, bias, alpha, fused, ref]);
    },
  );

  it(`${backend}: weights used again and again (inference) give the same results, transposed too`, () => {
    const a = tf.randomNormal([33, 40], 0, 1, 'float32', 55) as tf.Tensor2D;
    const b = tf.randomNormal([40, 70], 0, 1, 'float32', 56) as tf.Tensor2D;
    const bt = tf.transpose(b) as tf.Tensor2D;
    const bias = tf.randomNormal([70], 0, 1, 'float32', 57);
    const ref = tf.tidy(() => tf.relu(tf.add(tf.matMul(a, b), bias)));
    for (let i = 0; i < 6; i++) {
      const y = tf.fused.matMul({ a, b, bias, activation: 'relu' });
      const z = tf.fused.matMul({ a, b: bt, transposeB: true, bias, activation: 'relu' });
      expectClose(y, Array.from(ref.dataSync()), { rtol: 1e-5, atol: 1e-5 }, `call ${i}`);
      expectClose(z, Array.from(ref.dataSync()), { rtol: 1e-5, atol: 1e-5 }, `transposed ${i}`);
      tf.dispose([y, z]);
    }
    tf.dispose([a, b, bt, bias, ref]);
  });
});

describeBackends('sum', (backend) => {
  it(`${backend}: a bias gradient's sum over leading axes (64 × 7 × 7 × 8) in double precision`, () => {
    const x = tf.add(tf.randomNormal([64, 7, 7, 8], 0, 1, 'float32', 52), 1000);
    const values = x.dataSync();
    const ref = new Float64Array(8);
    values.forEach((v, i) => {
      ref[i % 8]! += v;
    });
    const s = tf.sum(x, [0, 1, 2]);
    // float64 accumulation: within float32 rounding of the exact sum (~3e6 here)
    expectClose(s, Array.from(ref), { rtol: 1e-7, atol: 0 });
    const rows = tf.sum(tf.reshape(x, [64 * 7, 56]), 0);
    const refRows = new Float64Array(56);
    values.forEach((v, i) => {
      refRows[i % 56]! += v;
    });
    expectClose(rows, Array.from(refRows), { rtol: 1e-7, atol: 0 });
    tf.dispose([x, s, rows]);
  });

  it(`${backend}: column sums of 4 to 72 columns: the float64 sum in row order, rounded once`, () => {
    for (const width of [4, 8, 16, 32, 56, 72]) {
      const x = tf.randomNormal([97, width], 3, 10, 'float32', width);
      const values = x.dataSync();
      const ref = new Float64Array(width);
      values.forEach((v, i) => {
        ref[i % width]! += v;
      });
      const s = tf.sum(x, 0);
      expect(Array.from(s.dataSync())).toEqual(Array.from(ref, Math.fround));
      tf.dispose([x, s]);
    }
  });

  it(`${backend}: every axis pattern and keepDims equals the definition`, () => {
    const x = tf.randomNormal([3, 4, 5, 2], 0, 1, 'float32', 51);
    const values = Array.from(x.dataSync());
    const ref = (axes: number[]) => {
      const shape = [3, 4, 5, 2];
      const outShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
      const out = new Float64Array(outShape.reduce((a, b) => a * b, 1));
      values.forEach((v, flat) => {
        let rem = flat;
        const idx = [0, 0, 0, 0];
        for (let d = 3; d >= 0; d--) {
          idx[d] = rem % shape[d]!;
          rem = Math.floor(rem / shape[d]!);
        }
        const o = idx.reduce((acc, iv, d) => acc * outShape[d]! + (axes.includes(d) ? 0 : iv), 0);
        out[o]! += v;
      });
      return Array.from(out);
    };
    for (const axes of [[0], [0, 1, 2], [3], [2, 3], [1], [1, 2], [0, 1, 2, 3], [0, 3]]) {
      for (const keepDims of [false, true]) {
        const s = tf.sum(x, axes, keepDims);
        expectClose(s, ref(axes), { rtol: 1e-5, atol: 1e-5 }, `axes ${axes}`);
        expect(s.rank).toBe(keepDims ? 4 : 4 - axes.length);
        s.dispose();
      }
    }
    const ints = tf.tensor2d(
      [
        [1, 2],
        [3, 4],
      ],
      undefined,
      'int32',
    );
    const si = tf.sum(ints, 0);
    expect(Array.from(si.dataSync())).toEqual([4, 6]);
    tf.dispose([x, ints, si]);
  });
});
