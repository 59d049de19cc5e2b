/**
 * Hand-checkable values, extreme logits, precision of small losses, errors, leaks, and the
 * no-sync guarantee inside a compiled fit.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { MedkitError } from '../../src/index.js';
import {
  binaryCrossEntropy,
  categoricalCrossEntropy,
  createLoss,
  logSigmoid,
  logSoftmax,
  sigmoidCrossEntropy,
  sigmoidFocalLoss,
  softmaxCrossEntropy,
  softmaxFocalLoss,
  sparseCategoricalCrossEntropy,
  sparseSoftmaxCrossEntropy,
  sparseSoftmaxFocalLoss,
} from '../../src/losses/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';
import { expectClose } from '../helpers/close.js';

const value = (t: tf.Tensor) => {
  const v = Array.from(t.dataSync());
  t.dispose();
  return v;
};

describeBackends('losses: hand-checked values', () => {
  it('all-correct confident logits give 0; ±10 all wrong give 20', () => {
    const oneHot = tf.tensor2d([
      [1, 0],
      [0, 1],
    ]);
    expectClose(
      value(
        softmaxCrossEntropy(
          oneHot,
          tf.tensor2d([
            [10, -10],
            [-10, 10],
          ]),
        ),
      ),
      [0],
      { atol: 1e-8 },
    );
    expectClose(
      value(
        softmaxCrossEntropy(
          oneHot,
          tf.tensor2d([
            [-10, 10],
            [10, -10],
          ]),
        ),
      ),
      [20],
      { rtol: 1e-6 },
    );
    expectClose(
      value(
        sparseSoftmaxCrossEntropy(
          [0, 1],
          tf.tensor2d([
            [-10, 10],
            [10, -10],
          ]),
        ),
      ),
      [20],
      { rtol: 1e-6 },
    );
    expectClose(value(sigmoidCrossEntropy([1, 0], tf.tensor1d([-20, 20]))), [20], { rtol: 1e-6 });
  });

  it('uniform logits give log C', () => {
    expectClose(value(sparseSoftmaxCrossEntropy([3], tf.zeros([1, 7]))), [Math.log(7)], {
      rtol: 1e-6,
    });
    expectClose(value(sigmoidCrossEntropy([1], tf.zeros([1]))), [Math.log(2)], { rtol: 1e-6 });
  });

  it('label smoothing follows its formula', () => {
    // C = 4, ε = 0.2, uniform logits: ℓ = −Σ ỹ log(1/4) = log 4 for any target
    expectClose(
      value(sparseSoftmaxCrossEntropy([2], tf.zeros([1, 4]), { labelSmoothing: 0.2 })),
      [Math.log(4)],
      {
        rtol: 1e-6,
      },
    );
    // logits (0, z): ℓ = −[(1 − ε + ε/2)·log p₁ + (ε/2)·log p₀]
    const z = 3;
    const p1 = 1 / (1 + Math.exp(-z));
    const eps = 0.1;
    const expected = -((1 - eps / 2) * Math.log(p1) + (eps / 2) * Math.log(1 - p1));
    expectClose(
      value(sparseSoftmaxCrossEntropy([1], tf.tensor2d([[0, z]]), { labelSmoothing: eps })),
      [expected],
      {
        rtol: 1e-6,
      },
    );
    // sigmoid: ỹ = (1 − ε)·y + ε/2
    const ys = 1 - eps / 2;
    expectClose(
      value(sigmoidCrossEntropy([1], tf.tensor1d([z]), { labelSmoothing: eps })),
      [-(ys * Math.log(p1) + (1 - ys) * Math.log(1 - p1))],
      { rtol: 1e-6 },
    );
  });

  it('each reduction divides by what it documents', () => {
    const logits = tf.zeros([3, 2]);
    const l = Math.log(2);
    const opts = { classWeights: [1, 3], sampleWeights: [2, 0, 1] };
    // per sample: s·w_y·l = 2·1·l, 0·3·l, 1·3·l → sum 5l
    expectClose(
      value(sparseSoftmaxCrossEntropy([0, 1, 1], logits, { ...opts, reduction: 'none' })),
      [2 * l, 0, 3 * l],
    );
    expectClose(
      value(sparseSoftmaxCrossEntropy([0, 1, 1], logits, { ...opts, reduction: 'sum' })),
      [5 * l],
    );
    expectClose(
      value(sparseSoftmaxCrossEntropy([0, 1, 1], logits, { ...opts, reduction: 'mean' })),
      [(5 * l) / 3],
    );
    expectClose(
      value(
        sparseSoftmaxCrossEntropy([0, 1, 1], logits, { ...opts, reduction: 'sumByNonzeroWeights' }),
      ),
      [(5 * l) / 2],
    );
    // Σ s·w_y = 2 + 0 + 3
    expectClose(
      value(sparseSoftmaxCrossEntropy([0, 1, 1], logits, { ...opts, reduction: 'weightedMean' })),
      [(5 * l) / 5],
    );
  });

  it('ignoreIndex leaves samples out of sums and denominators; all ignored gives 0, not NaN', () => {
    const logits = tf.tensor2d([
      [2, 0],
      [0, 2],
      [5, -5],
    ]);
    const kept = value(
      sparseSoftmaxCrossEntropy(
        [0, 1],
        tf.tensor2d([
          [2, 0],
          [0, 2],
        ]),
      ),
    );
    expectClose(value(sparseSoftmaxCrossEntropy([0, 1, -1], logits, { ignoreIndex: -1 })), kept);
    expectClose(
      value(
        sparseSoftmaxCrossEntropy([0, 1, -1], logits, { ignoreIndex: -1, reduction: 'none' }),
      ).at(2)!,
      0,
    );
    expect(value(sparseSoftmaxCrossEntropy([-1, -1, -1], logits, { ignoreIndex: -1 }))).toEqual([
      0,
    ]);
  });

  it('sparse and one-hot agree for every option', () => {
    const logits = tf.tensor2d([
      [1, 2, -1],
      [0.5, -2, 3],
    ]);
    const opts = {
      classWeights: [0.5, 2, 1],
      sampleWeights: [1, 3],
      labelSmoothing: 0.2,
      reduction: 'weightedMean' as const,
    };
    expectClose(
      value(sparseSoftmaxCrossEntropy([1, 2], logits, opts)),
      value(
        softmaxCrossEntropy(
          [
            [0, 1, 0],
            [0, 0, 1],
          ],
          logits,
          opts,
        ),
      ),
      { rtol: 1e-6 },
    );
    expectClose(
      value(sparseSoftmaxFocalLoss([1, 2], logits, opts)),
      value(
        softmaxFocalLoss(
          [
            [0, 1, 0],
            [0, 0, 1],
          ],
          logits,
          opts,
        ),
      ),
      { rtol: 1e-6 },
    );
  });

  it('labels may be int32, whole-number float, number[] or [N, 1]', () => {
    const logits = tf.tensor2d([
      [1, 2],
      [3, 0],
    ]);
    const ref = value(sparseSoftmaxCrossEntropy([1, 0], logits));
    expectClose(value(sparseSoftmaxCrossEntropy(tf.tensor1d([1, 0], 'int32'), logits)), ref);
    expectClose(value(sparseSoftmaxCrossEntropy(tf.tensor1d([1, 0], 'float32'), logits)), ref);
    expectClose(value(sparseSoftmaxCrossEntropy(tf.tensor2d([[1], [0]]), logits)), ref);
  });

  it('focal loss with γ = 0 and α off is cross-entropy', () => {
    const z = tf.tensor1d([-3, 0.5, 4]);
    expectClose(
      value(sigmoidFocalLoss([1, 0, 1], z, { gamma: 0, alpha: null })),
      value(sigmoidCrossEntropy([1, 0, 1], z)),
      {
        rtol: 1e-6,
      },
    );
    const logits = tf.tensor2d([[1, -2, 0.3]]);
    expectClose(
      value(sparseSoftmaxFocalLoss([2], logits, { gamma: 0, alpha: 1 })),
      value(sparseSoftmaxCrossEntropy([2], logits)),
      { rtol: 1e-6 },
    );
  });

  it('probability variants equal the logit forms on softmax/sigmoid outputs', () => {
    const logits = tf.tensor2d([
      [1, 2, -1],
      [0.5, -2, 3],
    ]);
    expectClose(
      value(sparseCategoricalCrossEntropy([1, 2], tf.softmax(logits))),
      value(sparseSoftmaxCrossEntropy([1, 2], logits)),
      { rtol: 1e-5 },
    );
    expectClose(
      value(
        categoricalCrossEntropy(
          [
            [0, 1, 0],
            [1, 0, 0],
          ],
          tf.softmax(logits),
        ),
      ),
      value(
        softmaxCrossEntropy(
          [
            [0, 1, 0],
            [1, 0, 0],
          ],
          logits,
        ),
      ),
      { rtol: 1e-5 },
    );
    const z = tf.tensor1d([-2, 0.3, 1.5]);
    expectClose(
      value(binaryCrossEntropy([0, 1, 1], tf.sigmoid(z))),
      value(sigmoidCrossEntropy([0, 1, 1], z)),
      {
        rtol: 1e-5,
      },
    );
  });
});

describeBackends('losses: extreme logits', () => {
  it('gradients stay finite and exact at ±1e4 (softmax − target; σ(z) − y)', () => {
    const y = tf.tensor2d([
      [1, 0, 0],
      [0, 0, 1],
    ]);
    const z = tf.tensor2d([
      [-1e4, 1e4, 0],
      [1e4, -1e4, 1e4],
    ]);
    const g = tf.grad((x: tf.Tensor) => softmaxCrossEntropy(y, x, { reduction: 'sum' }))(z);
    expectClose(g, [-1, 1, 0, 0.5, 0, -0.5], { atol: 1e-6 });
    const gs = tf.grad((x: tf.Tensor) =>
      sigmoidCrossEntropy([1, 0, 1, 0], x, { reduction: 'sum' }),
    )(tf.tensor1d([-1e4, 1e4, 1e4, -1e4]));
    expectClose(gs, [-1, 1, 0, 0], { atol: 1e-6 });
    expectClose(value(softmaxCrossEntropy(y, z, { reduction: 'none' })), [2e4, Math.log(2)], {
      rtol: 1e-6,
    });
  });

  it('keeps small losses: logits near 100 lose nothing below 1e-5', () => {
    // ℓ = log(1 + e^(−20)) = 2.0611536e-9 (float64)
    expectClose(
      value(sparseSoftmaxCrossEntropy([0], tf.tensor2d([[100, 80]]))),
      [2.0611536181902037e-9],
      { rtol: 1e-6 },
    );
    expectClose(
      value(logSoftmax(tf.tensor2d([[100, 80, 60]]))),
      [-2.061153620314381e-9, -20.000000002061153, -40],
      {
        rtol: 1e-6,
      },
    );
    expectClose(
      value(sigmoidCrossEntropy([1, 0], tf.tensor1d([20, -20]))),
      [2.0611536181902037e-9],
      { rtol: 1e-6 },
    );
    expectClose(value(logSigmoid(tf.tensor1d([30]))), [-9.357622968840175e-14], { rtol: 1e-6 });
  });

  it('gradient is exact at tied maxima and at z = 0', () => {
    const g = tf.grad((x: tf.Tensor) => softmaxCrossEntropy([[1, 0, 0]], x, { reduction: 'sum' }))(
      tf.tensor2d([[3, 3, 1]]),
    );
    const s = 2 * Math.exp(3) + Math.exp(1);
    expectClose(g, [Math.exp(3) / s - 1, Math.exp(3) / s, Math.exp(1) / s], { rtol: 1e-6 });
    const gz = tf.grad((x: tf.Tensor) => sigmoidCrossEntropy([1], x, { reduction: 'sum' }))(
      tf.zeros([1]),
    );
    expectClose(gz, [-0.5], { rtol: 1e-6 });
  });
});

describeBackends('losses: bad input', () => {
  let logits: tf.Tensor;
  beforeAll(() => {
    logits = tf.tensor2d([
      [1, 2, 3],
      [0, 1, 0],
    ]);
  });
  afterAll(() => logits.dispose());
  it.each([
    [
      'mismatched shapes',
      () => softmaxCrossEntropy(tf.ones([2, 2]), logits),
      /must have the same shape.*labels.shape=\[2, 2\]/,
    ],
    [
      'labels out of range',
      () => sparseSoftmaxCrossEntropy([0, 3], logits),
      /class indices in \[0, 3\).*Received: 3 at index 1/,
    ],
    ['negative label', () => sparseSoftmaxCrossEntropy([-1, 0], logits), /Received: -1/],
    ['non-whole label', () => sparseSoftmaxCrossEntropy([0.5, 0], logits), /Received: 0.5/],
    ['label shape', () => sparseSoftmaxCrossEntropy([0, 1, 2], logits), /must have shape \[2\]/],
    [
      'wrong dtype',
      () => softmaxCrossEntropy(tf.ones([2, 3]), tf.ones([2, 3], 'bool')),
      /dtype float32/,
    ],
    [
      'string labels',
      () => sigmoidCrossEntropy(['a'] as unknown as number[], tf.ones([1])),
      /must be a tensor|dtype/,
    ],
    [
      'class weights length',
      () => sparseSoftmaxCrossEntropy([0, 1], logits, { classWeights: [1, 2] }),
      /vector of 3 weights/,
    ],
    [
      'negative class weight',
      () => sparseSoftmaxCrossEntropy([0, 1], logits, { classWeights: [1, -2, 1] }),
      /weights ≥ 0/,
    ],
    [
      'sample weights length',
      () => sparseSoftmaxCrossEntropy([0, 1], logits, { sampleWeights: [1, 2, 3] }),
      /sampleWeights/,
    ],
    [
      'NaN sample weight',
      () => sparseSoftmaxCrossEntropy([0, 1], logits, { sampleWeights: [1, Number.NaN] }),
      /NaN/,
    ],
    [
      'posWeight length',
      () => sigmoidCrossEntropy(tf.ones([2, 3]), logits, { posWeight: [1, 2] }),
      /posWeight.*3 weights/,
    ],
    [
      'negative smoothing',
      () => softmaxCrossEntropy(tf.ones([2, 3]), logits, { labelSmoothing: -0.1 }),
      /labelSmoothing.*\[0, 1\]/,
    ],
    [
      'unknown reduction',
      () => softmaxCrossEntropy(tf.ones([2, 3]), logits, { reduction: 'avg' as 'sum' }),
      /reduction.*one of/,
    ],
    [
      'unknown option',
      () => softmaxCrossEntropy(tf.ones([2, 3]), logits, { smoothing: 0.1 } as object),
      /unknown option `smoothing`/,
    ],
    ['empty input', () => sparseSoftmaxCrossEntropy([], tf.zeros([0, 3])), /must not be empty/],
    [
      'soft labels out of [0, 1]',
      () => sigmoidCrossEntropy([2], tf.ones([1])),
      /values in \[0, 1\]/,
    ],
    ['focal gamma', () => sigmoidFocalLoss([1], tf.ones([1]), { gamma: -1 }), /gamma/],
    [
      'focal alpha',
      () => softmaxFocalLoss(tf.ones([2, 3]), logits, { alpha: [1, 2] }),
      /one weight per class/,
    ],
    [
      'disposed tensor',
      () => {
        const t = tf.ones([2, 3]);
        t.dispose();
        return softmaxCrossEntropy(t, logits);
      },
      /disposed/,
    ],
  ])('%s → MedkitError', (_name, call, message) => {
    // tidy disposes what the test itself creates; the count proves the library kept nothing
    const before = tf.memory().numTensors;
    expect(() => tf.tidy(call)).toThrow(MedkitError);
    expect(() => tf.tidy(call)).toThrow(message);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('value checks on tensors are opt-in (checkValues)', () => {
    const labels = tf.tensor1d([0, 7], 'int32');
    expect(() => sparseSoftmaxCrossEntropy(labels, logits, { checkValues: true })).toThrow(
      /\[0, 3\)/,
    );
    const nanLogits = tf.tensor2d([[Number.NaN, 0, 0]]);
    expect(() => sparseSoftmaxCrossEntropy([0], nanLogits, { checkValues: true })).toThrow(
      /finite numbers.*NaN/,
    );
    expect(() =>
      sparseSoftmaxCrossEntropy(tf.tensor1d([-100, 0], 'int32'), logits, {
        checkValues: true,
        ignoreIndex: -100,
      }),
    ).not.toThrow();
    tf.dispose([labels, nanLogits]);
  });
});

const PROBS = [
  [0.2, 0.8],
  [0.6, 0.4],
];

describeBackends('losses: leaks', () => {
  // each case maps logits x of shape [2, 2] to a loss
  const cases: [string, (x: tf.Tensor) => tf.Tensor, number[][]?][] = [
    [
      'softmaxCrossEntropy',
      (x) =>
        softmaxCrossEntropy(
          [
            [0, 1],
            [1, 0],
          ],
          x,
          { labelSmoothing: 0.1, classWeights: [1, 2] },
        ),
    ],
    [
      'sparseSoftmaxCrossEntropy',
      (x) =>
        sparseSoftmaxCrossEntropy([1, -1], x, {
          ignoreIndex: -1,
          sampleWeights: [1, 2],
          reduction: 'weightedMean',
        }),
    ],
    [
      'sigmoidCrossEntropy',
      (x) =>
        sigmoidCrossEntropy(
          [
            [1, 0],
            [0, 1],
          ],
          x,
          { posWeight: [2, 1], classWeights: [1, 2] },
        ),
    ],
    [
      'categoricalCrossEntropy',
      (p) =>
        categoricalCrossEntropy(
          [
            [0, 1],
            [1, 0],
          ],
          p,
        ),
      PROBS,
    ],
    ['sparseCategoricalCrossEntropy', (p) => sparseCategoricalCrossEntropy([1, 0], p), PROBS],
    [
      'binaryCrossEntropy',
      (p) =>
        binaryCrossEntropy(
          [
            [1, 0],
            [1, 1],
          ],
          p,
        ),
      PROBS,
    ],
    [
      'sigmoidFocalLoss',
      (x) =>
        sigmoidFocalLoss(
          [
            [1, 0],
            [1, 1],
          ],
          x,
          { reduction: 'sumByNonzeroWeights' },
        ),
    ],
    [
      'softmaxFocalLoss',
      (x) =>
        softmaxFocalLoss(
          [
            [0, 1],
            [1, 0],
          ],
          x,
        ),
    ],
    [
      'sparseSoftmaxFocalLoss',
      (x) => sparseSoftmaxFocalLoss([1, 0], x, { alpha: [0.5, 0.5], reduction: 'none' }),
    ],
    ['logSoftmax', (x) => logSoftmax(x)],
    ['logSigmoid', (x) => logSigmoid(x)],
  ];
  it.each(cases)('%s: value and gradient leave no tensor behind', async (_name, loss, values) => {
    const init = tf.tensor2d(
      values ?? [
        [0.2, 0.7],
        [-1, 3],
      ],
    );
    const x = tf.variable(init);
    init.dispose();
    await expectNoLeak(() => loss(x).dispose());
    await expectNoLeak(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(loss(x)) as tf.Scalar, [x]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    await expectNoLeak(() => {
      const opt = tf.train.sgd(0.1);
      for (let i = 0; i < 3; i++) opt.minimize(() => tf.sum(loss(x)) as tf.Scalar, false, [x]);
      opt.dispose();
    });
    x.dispose();
  });
});

describeBackends('losses: inside model.fit', () => {
  afterEach(() => vi.restoreAllMocks());

  it('a compiled fit with the library losses reads no tensor back from inside the loss', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [4] })] });
    model.compile({
      optimizer: tf.train.adam(0.01),
      loss: createLoss('softmaxCrossEntropy', { labelSmoothing: 0.1, classWeights: [1, 2, 1] }),
    });
    const x = tf.randomNormal([32, 4], 0, 1, 'float32', 1);
    const y = tf.oneHot(
      tf.tensor1d(
        [
          0, 1, 2, 1, 0, 2, 1, 1, 0, 2, 1, 0, 2, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 1, 2, 0, 1, 2,
          0, 1,
        ],
        'int32',
      ),
      3,
    );
    // tfjs itself reads each batch's loss back for its logs; what must not happen is a read
    // whose caller is the library, so each spy records its caller's stack.
    const fromLibrary: string[] = [];
    const record = <T extends object, K extends keyof T>(target: T, method: K) => {
      const original = target[method] as (...a: unknown[]) => unknown;
      vi.spyOn(target as Record<string, () => unknown>, method as string).mockImplementation(
        function (this: unknown, ...args: unknown[]) {
          const stack = new Error().stack ?? '';
          if (/[\\/]src[\\/](losses|core)[\\/]/.test(stack))
            fromLibrary.push(`${String(method)}: ${stack}`);
          return original.apply(this, args);
        } as never,
      );
    };
    record(tf.Tensor.prototype, 'dataSync');
    record(tf.Tensor.prototype, 'arraySync');
    record(tf.engine().backend, 'readSync');
    const history = await model.fit(x, y, { epochs: 3, batchSize: 8, verbose: 0 });
    expect(fromLibrary).toEqual([]);
    const losses = history.history.loss as number[];
    expect(losses[2]!).toBeLessThan(losses[0]!);
    tf.dispose([x, y]);
    model.dispose();
  });
});
