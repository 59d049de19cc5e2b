/**
 * LogisticRegression against scikit-learn 1.2 (tests/fixtures/logistic-sklearn.json, made by
 * scripts/fixtures/logistic_sklearn.py) on the real breast-cancer data (standardised) and the
 * real 8×8 digits ÷ 16 (multinomial): L2 at four C, no intercept, class and sample weights, no
 * penalty, L1 and elastic net. Probabilities within 1e-4, coefficients within 1e-3 relative to
 * max(|reference|, 1e-2), and the objective never above scikit-learn's. Then the estimator
 * contract: predictions, JSON round trip, warm start, convergence warning, errors.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ArgumentError, MedkitError, Random, ShapeError } from '../../src/core/index.js';
import { LogisticRegression, type LogisticRegressionOptions } from '../../src/genomics/index.js';
import { describeBackends, expectNoLeak } from '../helpers/backends.js';

interface Case {
  name: string;
  data: 'breast_cancer' | 'digits';
  columns: number[] | null;
  options: {
    penalty: LogisticRegressionOptions['penalty'];
    C: number;
    l1Ratio: number | null;
    fitIntercept: boolean;
    classWeight: 'balanced' | null;
  };
  sampleWeight: boolean;
  coef: number[][];
  intercept: number[];
  classes: number[];
  probaHead: number[][];
  objective: number;
  converged: boolean;
}
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/logistic-sklearn.json', import.meta.url), 'utf8'),
) as {
  sampleWeight: number[];
  cases: Case[];
};

const bcRows = readFileSync(
  new URL('../../examples/data/breast_cancer.csv', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',').map(Number));
const bcY = bcRows.map((r) => r.at(-1)!);
const bcRaw = bcRows.map((r) => r.slice(0, -1));
/** StandardScaler: (x − mean) / population std, per column. */
const bcX = (() => {
  const n = bcRaw.length;
  const p = bcRaw[0]!.length;
  const mean = Array.from({ length: p }, (_, j) => bcRaw.reduce((a, r) => a + r[j]!, 0) / n);
  const std = Array.from({ length: p }, (_, j) =>
    Math.sqrt(bcRaw.reduce((a, r) => a + (r[j]! - mean[j]!) ** 2, 0) / n),
  );
  return bcRaw.map((r) => r.map((v, j) => (v - mean[j]!) / std[j]!));
})();
const dgRows = gunzipSync(
  readFileSync(new URL('../../examples/data/digits_8x8.csv.gz', import.meta.url)),
)
  .toString()
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split(',').map(Number));
const dgX = dgRows.map((r) => r.slice(0, 64).map((v) => v / 16));
const dgY = dgRows.map((r) => r[64]!);

function dataOf(c: Case): { X: number[][]; y: number[] } {
  if (c.data === 'digits') return { X: dgX, y: dgY };
  const X = c.columns ? bcX.map((r) => c.columns!.map((j) => r[j]!)) : bcX;
  return { X, y: bcY };
}

function optionsOf(c: Case, extra: LogisticRegressionOptions = {}): LogisticRegressionOptions {
  return {
    penalty: c.options.penalty,
    C: c.options.C,
    fitIntercept: c.options.fitIntercept,
    ...(c.options.l1Ratio !== null ? { l1Ratio: c.options.l1Ratio } : {}),
    ...(c.options.classWeight ? { classWeight: c.options.classWeight } : {}),
    ...extra,
  };
}

/** Σ s·(−log p_y) + penalty, as the fixture computes it. */
function objective(
  c: Case,
  proba: number[][],
  y: number[],
  coef: number[][],
  weights: number[],
): number {
  const classes = c.classes;
  let loss = 0;
  proba.forEach((row, i) => {
    loss -= weights[i]! * Math.log(Math.max(row[classes.indexOf(y[i]!)]!, 1e-300));
  });
  if (c.options.penalty === 'none') return loss;
  const rho =
    c.options.penalty === 'l1' ? 1 : c.options.penalty === 'elasticnet' ? c.options.l1Ratio! : 0;
  const w = coef.flat();
  return (
    loss +
    ((1 - rho) / (2 * c.options.C)) * w.reduce((a, v) => a + v * v, 0) +
    (rho / c.options.C) * w.reduce((a, v) => a + Math.abs(v), 0)
  );
}

describe.each(fixture.cases)('LogisticRegression equals scikit-learn: $name', (c) => {
  it('same optimum: probabilities, coefficients, intercepts, objective', async () => {
    const { X, y } = dataOf(c);
    const sw = c.sampleWeight ? fixture.sampleWeight : undefined;
    const model = await new LogisticRegression(
      optionsOf(c, { tol: 1e-6, maxIter: 20000, onWarning: () => {} }),
    ).fit(X, y, sw);
    expect(model.classes).toEqual(c.classes);
    const proba = await model.predictProba(X);
    // our objective is at most scikit-learn's (both minimise the same function)
    const counts = c.classes.map((k) => y.filter((v) => v === k).length);
    const cw = y.map((v) =>
      c.options.classWeight === 'balanced'
        ? y.length / (c.classes.length * counts[c.classes.indexOf(v)]!)
        : 1,
    );
    const weights = y.map((_, i) => (sw ? sw[i]! : 1) * cw[i]!);
    const ours = objective(c, proba, y, model.coef, weights);
    expect(ours).toBeLessThanOrEqual(c.objective * (1 + 1e-9) + 1e-9);
    if (!c.converged) return; // scikit-learn's saga stopped early: only the objective is comparable
    expect(Math.abs(ours - c.objective)).toBeLessThanOrEqual(1e-9 * c.objective);
    proba.slice(0, 40).forEach((row, i) => {
      row.forEach((p, k) => {
        expect(Math.abs(p - c.probaHead[i]![k]!)).toBeLessThanOrEqual(1e-4);
      });
    });
    const close = (v: number, ref: number) =>
      expect(Math.abs(v - ref)).toBeLessThanOrEqual(1e-3 * Math.max(Math.abs(ref), 1e-2));
    const multinomial = c.classes.length > 2;
    // Several classes: adding one constant to every class's intercept changes no probability,
    // so intercepts are compared centred; with a pure L1 penalty the same holds for each
    // feature's coefficients within the median interval, so only probabilities identify the fit.
    if (!(multinomial && c.options.penalty === 'l1')) {
      for (const [k, row] of model.coef.entries()) {
        for (const [j, v] of row.entries()) close(v, c.coef[k]![j]!);
      }
    }
    const centre = (v: number[]) =>
      multinomial ? v.map((x) => x - v.reduce((a, b) => a + b, 0) / v.length) : v;
    const ref = centre(c.intercept);
    for (const [k, v] of centre(model.intercept).entries()) close(v, ref[k]!);
  });
});

describe('LogisticRegression with scikit-learn’s defaults (tol 1e-4, maxIter 100)', () => {
  // Multinomial L1 and elastic net need several hundred OWL-QN iterations (scikit-learn's saga
  // several hundred epochs): the sweep above runs them with a larger maxIter.
  const quick = fixture.cases.filter(
    (c) =>
      c.converged &&
      !(c.classes.length > 2 && (c.options.penalty === 'l1' || c.options.penalty === 'elasticnet')),
  );
  it.each(quick.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const { X, y } = dataOf(c);
    const warnings: string[] = [];
    const model = await new LogisticRegression(
      optionsOf(c, { onWarning: (m) => warnings.push(m) }),
    ).fit(X, y, c.sampleWeight ? fixture.sampleWeight : undefined);
    const proba = await model.predictProba(X.slice(0, 40));
    const worst = Math.max(
      ...proba.flatMap((row, i) => row.map((p, k) => Math.abs(p - c.probaHead[i]![k]!))),
    );
    expect(worst).toBeLessThanOrEqual(1e-4);
    expect(warnings.length).toBe(model.converged ? 0 : 1);
  });
});

describe('the estimator contract', () => {
  const X = bcX.slice(0, 200);
  const y = bcY.slice(0, 200);

  it('predict, predictLogProba, decisionFunction agree; rows sum to 1', async () => {
    const m = await new LogisticRegression({ C: 0.5 }).fit(X, y);
    const [proba, logProba, decision, labels] = await Promise.all([
      m.predictProba(X),
      m.predictLogProba(X),
      m.decisionFunction(X),
      m.predict(X),
    ]);
    proba.forEach((row, i) => {
      expect(row[0]! + row[1]!).toBeCloseTo(1, 12);
      expect(Math.log(row[1]!)).toBeCloseTo(logProba[i]![1]!, 10);
      const z = (decision as number[])[i]!;
      expect(row[1]!).toBeCloseTo(1 / (1 + Math.exp(-z)), 12);
      expect(labels[i]).toBe(row[1]! > 0.5 ? 1 : 0);
    });
    expect(m.coef).toHaveLength(1);
    expect(m.coef[0]).toHaveLength(30);
    expect(m.iterations).toBeGreaterThan(0);
  });

  it('labels need not be 0/1; classes come back sorted', async () => {
    const labels = y.map((v) => (v === 1 ? 7 : 3));
    const m = await new LogisticRegression().fit(X, labels);
    expect(m.classes).toEqual([3, 7]);
    expect(new Set(await m.predict(X))).toEqual(new Set([3, 7]));
  });

  it('L1 gives exact zeros; a smaller C gives more', async () => {
    const strong = await new LogisticRegression({ penalty: 'l1', C: 0.05 }).fit(bcX, bcY);
    const weak = await new LogisticRegression({ penalty: 'l1', C: 1, maxIter: 1000 }).fit(bcX, bcY);
    const zeros = (m: LogisticRegression) => m.coef[0]!.filter((v) => v === 0).length;
    expect(zeros(strong)).toBeGreaterThan(zeros(weak));
    expect(zeros(strong)).toBeGreaterThan(15);
  });

  it('toJSON / fromJSON round trip gives the same predictions', async () => {
    const m = await new LogisticRegression({ C: 0.3, penalty: 'elasticnet', l1Ratio: 0.2 }).fit(
      X,
      y,
    );
    const json = JSON.parse(JSON.stringify(m.toJSON()));
    const back = LogisticRegression.fromJSON(json);
    expect(await back.predictProba(X)).toEqual(await m.predictProba(X));
    expect(back.toJSON()).toEqual(json);
    expect(() => LogisticRegression.fromJSON({ type: 'Other' } as never)).toThrow(/not a fitted/);
  });

  it('warm start begins from the last fit', async () => {
    const m = new LogisticRegression({ C: 1, warmStart: true });
    await m.fit(X, y);
    const first = m.iterations;
    await m.fit(X, y);
    expect(m.iterations).toBeLessThan(first);
  });

  it('warns when it stops before converging', async () => {
    const warnings: string[] = [];
    const m = await new LogisticRegression({
      C: 100,
      maxIter: 2,
      onWarning: (w) => warnings.push(w),
    }).fit(X, y);
    expect(m.converged).toBe(false);
    expect(warnings[0]).toMatch(/stopped after 2 iterations/);
  });
});

describeBackends('LogisticRegression on tensors', () => {
  it('fits and predicts from tensors without leaking', async () => {
    const X = tf.tensor2d(bcX.slice(0, 100));
    const y = tf.tensor1d(bcY.slice(0, 100), 'int32');
    await expectNoLeak(async () => {
      const m = await new LogisticRegression().fit(X, y);
      const fromArrays = await new LogisticRegression().fit(bcX.slice(0, 100), bcY.slice(0, 100));
      const a = await m.predictProba(X);
      const b = await fromArrays.predictProba(bcX.slice(0, 100));
      // float32 inputs: equal to 1e-5
      const worst = Math.max(...a.flatMap((row, i) => row.map((v, k) => Math.abs(v - b[i]![k]!))));
      expect(worst).toBeLessThan(1e-5);
    });
    tf.dispose([X, y]);
  });
});

/** Standardised additive genotypes (rows × cols) with a few causal variants, seeded. */
function genotypeDesign(rows: number, cols: number, seed: number) {
  const rng = new Random(seed);
  const maf = Array.from({ length: cols }, () => rng.uniform(0.05, 0.5));
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < cols; j++)
      data[i * cols + j] =
        (rng.nextFloat() < maf[j]! ? 1 : 0) + (rng.nextFloat() < maf[j]! ? 1 : 0);
  for (let j = 0; j < cols; j++) {
    let mean = 0;
    for (let i = 0; i < rows; i++) mean += data[i * cols + j]!;
    mean /= rows;
    let sd = 0;
    for (let i = 0; i < rows; i++) sd += (data[i * cols + j]! - mean) ** 2;
    sd = Math.sqrt(sd / rows) || 1;
    for (let i = 0; i < rows; i++) data[i * cols + j] = (data[i * cols + j]! - mean) / sd;
  }
  const beta = new Float64Array(cols);
  for (let k = 0; k < 8; k++) beta[rng.int(cols)] = rng.normal(0, 0.8);
  const y = Array.from({ length: rows }, (_, i) => {
    let z = 0;
    for (let j = 0; j < cols; j++) z += data[i * cols + j]! * beta[j]!;
    return rng.nextFloat() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
  });
  return { X: { data, rows, cols }, y };
}

describeBackends("products: 'backend' (single precision, on the active backend)", () => {
  const wide = genotypeDesign(150, 400, 3);
  /** The host fit and the backend fit of the same problem agree as scikit-learn's tests ask. */
  async function compare(
    X: Parameters<LogisticRegression['fit']>[0],
    y: number[],
    options: LogisticRegressionOptions,
  ) {
    const host = await new LogisticRegression({ ...options, products: 'host' }).fit(X, y);
    const backend = await expectNoLeak(() =>
      new LogisticRegression({ ...options, products: 'backend' }).fit(X, y),
    );
    expect(backend.converged).toBe(true);
    const [ph, pb] = [await host.predictProba(X), await backend.predictProba(X)];
    const worst = Math.max(...ph.flatMap((row, i) => row.map((v, k) => Math.abs(v - pb[i]![k]!))));
    expect(worst).toBeLessThan(1e-4);
    host.coef.forEach((row, k) => {
      const scale = Math.max(...row.map(Math.abs), 1e-2);
      const worstCoef = Math.max(...row.map((v, j) => Math.abs(v - backend.coef[k]![j]!)));
      expect(worstCoef).toBeLessThan(1e-3 * scale);
    });
    return { host, backend };
  }

  it('L2 on wide genotypes (L-BFGS, incremental scores)', async () => {
    await compare(wide.X, wide.y, { C: 0.05 });
  });

  it("L2 on an odd-width design (columns past the SIMD loops' blocks)", async () => {
    const odd = genotypeDesign(150, 403, 5);
    await compare(odd.X, odd.y, { C: 0.05 });
  });

  it('L2 on a tall binary design (Newton-CG: Hessian products in one pass on wasm)', async () => {
    const tall = genotypeDesign(700, 45, 7);
    await compare(tall.X, tall.y, { C: 0.5 });
  });

  it('multinomial L2 on wide genotypes (L-BFGS, three class blocks a pass on wasm)', async () => {
    const { data, cols } = wide.X;
    const y3 = wide.y.map((v, i) => v + (data[i * cols + 1]! > 0 ? 1 : 0));
    await compare(wide.X, y3, { C: 0.05 });
  });

  it('L1 on wide genotypes (OWL-QN): the same zeros', async () => {
    const { host, backend } = await compare(wide.X, wide.y, { penalty: 'l1', C: 0.5 });
    const zeros = (m: LogisticRegression) => m.coef[0]!.map((v) => v === 0);
    const differ = zeros(host).filter((z, j) => z !== zeros(backend)[j]).length;
    expect(differ).toBeLessThanOrEqual(2);
  });

  it('multinomial L2 on the digits (Newton-CG: Hessian products on the backend too)', async () => {
    await compare(dgX.slice(0, 300), dgY.slice(0, 300), { C: 0.1 });
  });

  it('bad values on the backend path: NaN and ∞ located, beyond float32 refused, nothing left', async () => {
    const rows = (bad: number) => [
      [0, 1, 2],
      [1, 0, bad],
      [1, 1, 0],
    ];
    const fitWith = (bad: number) =>
      new LogisticRegression({ products: 'backend' }).fit(rows(bad), [0, 1, 1]);
    const before = tf.memory().numTensors;
    await expect(fitWith(Number.NaN)).rejects.toThrow(/finite numbers.*NaN at \[1, 2\]/);
    await expect(fitWith(Number.NEGATIVE_INFINITY)).rejects.toThrow(/-Infinity at \[1, 2\]/);
    await expect(fitWith(1e39)).rejects.toThrow(ArgumentError);
    await expect(fitWith(1e39)).rejects.toThrow(/beyond single precision's range/);
    expect(tf.memory().numTensors).toBe(before);
    // the host path takes such values
    const host = await new LogisticRegression({ products: 'host' }).fit(rows(1e39), [0, 1, 1]);
    expect(host.coef[0]!.every(Number.isFinite)).toBe(true);
  });

  it('a float32 tensor on the backend path: NaN located without reading it to the host', async () => {
    const X = tf.tensor2d(
      [
        [0, 1, 2],
        [1, 0, Number.NaN],
        [1, 1, 0],
      ],
      undefined,
      'float32',
    );
    const before = tf.memory().numTensors;
    await expect(new LogisticRegression({ products: 'backend' }).fit(X, [0, 1, 1])).rejects.toThrow(
      /finite numbers.*NaN at \[1, 2\]/,
    );
    expect(tf.memory().numTensors).toBe(before);
    X.dispose();
  });

  it('a float32 tensor made on another backend is moved, and fits the same', async () => {
    const active = tf.getBackend();
    await tf.setBackend(active === 'cpu' ? 'wasm' : 'cpu');
    const X = tf.tensor2d(new Float32Array(wide.X.data), [wide.X.rows, wide.X.cols]);
    await tf.setBackend(active);
    const moved = await new LogisticRegression({ C: 0.05, products: 'backend' }).fit(X, wide.y);
    const Y = tf.tensor2d(new Float32Array(wide.X.data), [wide.X.rows, wide.X.cols]);
    const here = await new LogisticRegression({ C: 0.05, products: 'backend' }).fit(Y, wide.y);
    const [a, b] = [await moved.predictProba(X), await here.predictProba(X)];
    expect(Math.max(...a.map((r, i) => Math.abs(r[1]! - b[i]![1]!)))).toBeLessThan(1e-6);
    tf.dispose([X, Y]);
  });

  it('features given as a float32 tensor are used in place and left alive', async () => {
    const X = tf.tensor2d(new Float32Array(wide.X.data), [wide.X.rows, wide.X.cols]);
    const m = await new LogisticRegression({ C: 0.05, products: 'backend' }).fit(X, wide.y);
    expect(X.isDisposed).toBe(false);
    const reference = await new LogisticRegression({ C: 0.05, products: 'host' }).fit(X, wide.y);
    const [a, b] = [await m.predictProba(X), await reference.predictProba(X)];
    expect(Math.max(...a.map((r, i) => Math.abs(r[1]! - b[i]![1]!)))).toBeLessThan(1e-4);
    X.dispose();
  });
});

describe('bad input gets a clear MedkitError', () => {
  const X = [
    [0, 1],
    [1, 0],
    [1, 1],
  ];
  it.each([
    ['C ≤ 0', () => new LogisticRegression({ C: 0 }), /`C` must be/],
    ['an unknown penalty', () => new LogisticRegression({ penalty: 'l3' as never }), /penalty/],
    [
      'an unknown place for the products',
      () => new LogisticRegression({ products: 'gpu' as never }),
      /products/,
    ],
    [
      'elastic net without l1Ratio',
      () => new LogisticRegression({ penalty: 'elasticnet' }),
      /l1Ratio/,
    ],
    [
      'l1Ratio above 1',
      () => new LogisticRegression({ penalty: 'elasticnet', l1Ratio: 2 }),
      /l1Ratio/,
    ],
    [
      'an unknown option',
      () => new LogisticRegression({ alpha: 1 } as never),
      /unknown option `alpha`/,
    ],
    [
      'a bad classWeight',
      () => new LogisticRegression({ classWeight: 'auto' as never }),
      /classWeight/,
    ],
  ])('%s', (_what, call, message) => {
    expect(call).toThrow(MedkitError);
    expect(call).toThrow(message);
  });

  it.each([
    [
      'NaN in features',
      () =>
        new LogisticRegression().fit(
          [
            [0, Number.NaN],
            [1, 0],
          ],
          [0, 1],
        ),
      /finite numbers.*NaN at \[0, 1\]/,
    ],
    ['a single class', () => new LogisticRegression().fit(X, [1, 1, 1]), /single class/],
    [
      'labels of another length',
      () => new LogisticRegression().fit(X, [0, 1]),
      /one value per sample/,
    ],
    ['ragged rows', () => new LogisticRegression().fit([[0, 1], [1]], [0, 1]), /rectangular/],
    ['empty data', () => new LogisticRegression().fit([], []), /must not be empty/],
    [
      'negative sample weights',
      () => new LogisticRegression().fit(X, [0, 1, 1], [1, -1, 1]),
      /non-negative/,
    ],
    [
      'a classWeight for a missing class',
      () => new LogisticRegression({ classWeight: { 5: 2 } }).fit(X, [0, 1, 1]),
      /names class 5/,
    ],
    [
      'a 3-D tensor',
      () => new LogisticRegression().fit(tf.zeros([2, 2, 2]) as never, [0, 1]),
      /2-D/,
    ],
  ])('%s', async (_what, call, message) => {
    await expect(call()).rejects.toThrow(MedkitError);
    await expect(call()).rejects.toThrow(message);
  });

  it('more columns at predict than at fit; predicting before fit', async () => {
    const m = await new LogisticRegression().fit(X, [0, 1, 1]);
    await expect(m.predictProba([[0, 1, 2]])).rejects.toThrow(ShapeError);
    await expect(m.predictProba([[0, 1, 2]])).rejects.toThrow(
      /3 features, but the model was fitted on 2/,
    );
    expect(() => new LogisticRegression().coef).toThrow(/before `fit`/);
  });
});
