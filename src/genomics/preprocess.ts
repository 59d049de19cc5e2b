/**
 * Variant quality control and encoding for a genotype matrix (one byte per call, row = sample,
 * −1 missing, as `readVcf` returns): per-variant allele frequencies, call rates and
 * Hardy–Weinberg p-values (what plink2 `--freq`, `--missing` and `--hardy` report); filters by
 * minor-allele frequency, call rate (per variant and per sample) and HWE; additive, dominant,
 * recessive and genotypic encodings with mean or mode imputation; and a standardiser fitted on
 * training data and applied to new data.
 *
 * @module
 */
import { ArgumentError, describeValue, ShapeError } from '../core/errors.js';
import { resolveOptions } from '../core/validate.js';
import { hardyWeinbergExact } from './hardy-weinberg.js';

/** A genotype matrix: `values[s * variants + v]`, row = sample, −1 missing. */
export interface GenotypeMatrix {
  /** The calls. */
  genotypes: Int8Array;
  /** Samples (rows). */
  samples: number;
  /** Variants (columns). */
  variants: number;
}

/** A dense row-major matrix of doubles (samples × features). */
export interface DenseMatrix {
  /** The values, row after row. */
  data: Float64Array;
  /** Rows (samples). */
  rows: number;
  /** Columns (features). */
  cols: number;
}

/** How many variants (or samples) each QC filter removed. */
export interface QcRemoved {
  /** Variants below `minMaf`. */
  maf: number;
  /** Variants below `minCallRate`. */
  callRate: number;
  /** Variants below `minHweP`. */
  hwe: number;
  /** Samples below `minSampleCallRate`. */
  samples: number;
}

/** Per-variant summaries, one entry per variant. */
export interface VariantSummary {
  /** Homozygous reference calls. */
  homRef: Int32Array;
  /** Heterozygous calls (haploid alternate calls are not counted here). */
  het: Int32Array;
  /** Homozygous alternate calls. */
  homAlt: Int32Array;
  /** Missing calls. */
  missing: Int32Array;
  /** Alternate-allele frequency among the called alleles. */
  altFreq: Float64Array;
  /** Minor-allele frequency, min(altFreq, 1 − altFreq). */
  maf: Float64Array;
  /** Share of samples called. */
  callRate: Float64Array;
  /** Exact Hardy–Weinberg p-value from the diploid counts. */
  hweP: Float64Array;
}

function checkMatrix(m: GenotypeMatrix, fn: string): void {
  if (!m || !(m.genotypes instanceof Int8Array)) {
    throw new ArgumentError(
      `${fn}: \`genotypes\` must be an Int8Array (as readVcf returns). Received: ${describeValue(m?.genotypes)}.`,
    );
  }
  if (
    !Number.isInteger(m.samples) ||
    !Number.isInteger(m.variants) ||
    m.samples < 1 ||
    m.variants < 1
  ) {
    throw new ArgumentError(
      `${fn}: \`samples\` and \`variants\` must be integers ≥ 1. Received: ${m.samples} × ${m.variants}.`,
    );
  }
  if (m.genotypes.length !== m.samples * m.variants) {
    throw new ShapeError(
      `${fn}: \`genotypes\` must hold samples × variants = ${m.samples * m.variants} calls. Received: ${m.genotypes.length}.`,
    );
  }
}

/**
 * Summarises every variant of a genotype matrix: genotype counts, alternate and minor allele
 * frequency, call rate and the exact HWE p-value.
 *
 * @param matrix - the genotype matrix (see {@link GenotypeMatrix}).
 * @returns one entry per variant in each array.
 * @throws {@link ShapeError} when the sizes disagree.
 *
 * @example
 * ```ts
 * const { samples, variants, genotypes } = await readVcf(bytes);
 * const s = summarizeVariants({ genotypes, samples: samples.length, variants: variants.length });
 * s.maf[0]; s.hweP[0];
 * ```
 */
export function summarizeVariants(matrix: GenotypeMatrix): VariantSummary {
  checkMatrix(matrix, 'summarizeVariants');
  const { genotypes, samples: n, variants: m } = matrix;
  const homRef = new Int32Array(m);
  const het = new Int32Array(m);
  const homAlt = new Int32Array(m);
  const missing = new Int32Array(m);
  const altAlleles = new Float64Array(m);
  const calledAlleles = new Float64Array(m);
  for (let s = 0; s < n; s++) {
    const row = s * m;
    for (let v = 0; v < m; v++) {
      const g = genotypes[row + v]!;
      if (g < 0) missing[v]!++;
      else {
        if (g === 0) homRef[v]!++;
        else if (g === 1) het[v]!++;
        else homAlt[v]!++;
        altAlleles[v]! += g;
        calledAlleles[v]! += 2;
      }
    }
  }
  const altFreq = new Float64Array(m);
  const maf = new Float64Array(m);
  const callRate = new Float64Array(m);
  const hweP = new Float64Array(m);
  for (let v = 0; v < m; v++) {
    altFreq[v] = calledAlleles[v]! > 0 ? altAlleles[v]! / calledAlleles[v]! : 0;
    maf[v] = Math.min(altFreq[v]!, 1 - altFreq[v]!);
    callRate[v] = (n - missing[v]!) / n;
    hweP[v] = hardyWeinbergExact(homRef[v]!, het[v]!, homAlt[v]!);
  }
  return { homRef, het, homAlt, missing, altFreq, maf, callRate, hweP };
}

/**
 * The alternate-allele frequency of each variant among its called alleles (0 when none is
 * called).
 *
 * @internal
 */
export function alleleFrequencies(matrix: GenotypeMatrix): Float64Array {
  const { genotypes, samples: n, variants: m } = matrix;
  const sum = new Float64Array(m);
  const called = new Float64Array(m);
  for (let s = 0; s < n; s++) {
    for (let v = 0; v < m; v++) {
      const g = genotypes[s * m + v]!;
      if (g >= 0) {
        sum[v]! += g;
        called[v]! += 2;
      }
    }
  }
  return sum.map((x, v) => (called[v]! > 0 ? x / called[v]! : 0));
}

/**
 * The share of variants called for each sample.
 *
 * @throws {@link ShapeError} when the sizes disagree.
 */
export function sampleCallRates(matrix: GenotypeMatrix): Float64Array {
  checkMatrix(matrix, 'sampleCallRates');
  const { genotypes, samples: n, variants: m } = matrix;
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    let called = 0;
    for (let v = 0; v < m; v++) if (genotypes[s * m + v]! >= 0) called++;
    out[s] = called / m;
  }
  return out;
}

/** Options of {@link qcFilter}. */
export interface QcOptions {
  /** Drop variants with a minor-allele frequency below this. Defaults to 0 (keep all). */
  minMaf?: number;
  /** Drop variants called in fewer than this share of samples. Defaults to 0. */
  minCallRate?: number;
  /** Drop variants whose HWE exact p-value is below this (plink's `--hwe`). Defaults to 0. */
  minHweP?: number;
  /** Drop samples called at fewer than this share of variants (before the variant filters). Defaults to 0. */
  minSampleCallRate?: number;
}

/** What {@link qcFilter} keeps, and why the rest went. */
export interface QcResult {
  /** The kept variants' indices, ascending. */
  variants: number[];
  /** The kept samples' indices, ascending. */
  samples: number[];
  /** The genotype matrix of the kept samples × kept variants. */
  matrix: GenotypeMatrix;
  /** How many variants each filter removed (a variant is counted under the first that removes it). */
  removed: QcRemoved;
}

/**
 * Filters samples by call rate, then variants by call rate, minor-allele frequency and HWE (the
 * summaries recomputed on the kept samples).
 *
 * @param matrix - the genotype matrix.
 * @param options - see {@link QcOptions}.
 * @returns the kept indices, the filtered matrix and the counts removed.
 * @throws {@link ArgumentError} for thresholds outside [0, 1].
 *
 * @example
 * ```ts
 * const qc = qcFilter(matrix, { minMaf: 0.01, minCallRate: 0.95, minHweP: 1e-6 });
 * ```
 */
export function qcFilter(matrix: GenotypeMatrix, options?: QcOptions): QcResult {
  const fn = 'qcFilter';
  const unit = { kind: 'number', min: 0, max: 1 } as const;
  const o = resolveOptions(fn, options, {
    minMaf: { constraint: { ...unit, max: 0.5 }, default: 0 },
    minCallRate: { constraint: unit, default: 0 },
    minHweP: { constraint: unit, default: 0 },
    minSampleCallRate: { constraint: unit, default: 0 },
  });
  checkMatrix(matrix, fn);
  const rates = sampleCallRates(matrix);
  const samples: number[] = [];
  rates.forEach((r, s) => {
    if (r >= o.minSampleCallRate) samples.push(s);
  });
  if (samples.length === 0)
    throw new ArgumentError(
      `${fn}: every sample fails \`minSampleCallRate\` ${o.minSampleCallRate}.`,
    );
  const sub = subsetMatrix(matrix, samples, undefined);
  const summary = summarizeVariants(sub);
  const variants: number[] = [];
  const removed: QcRemoved = {
    maf: 0,
    callRate: 0,
    hwe: 0,
    samples: matrix.samples - samples.length,
  };
  for (let v = 0; v < matrix.variants; v++) {
    if (summary.callRate[v]! < o.minCallRate) removed.callRate++;
    else if (summary.maf[v]! < o.minMaf) removed.maf++;
    else if (summary.hweP[v]! < o.minHweP) removed.hwe++;
    else variants.push(v);
  }
  return { variants, samples, matrix: subsetMatrix(sub, undefined, variants), removed };
}

/** The matrix of chosen samples and variants (all when undefined). @internal */
export function subsetMatrix(
  matrix: GenotypeMatrix,
  samples: readonly number[] | undefined,
  variants: readonly number[] | undefined,
): GenotypeMatrix {
  const rows = samples ?? Array.from({ length: matrix.samples }, (_, i) => i);
  const cols = variants ?? Array.from({ length: matrix.variants }, (_, i) => i);
  const out = new Int8Array(rows.length * cols.length);
  rows.forEach((s, r) => {
    const from = s * matrix.variants;
    const to = r * cols.length;
    cols.forEach((v, c) => {
      out[to + c] = matrix.genotypes[from + v]!;
    });
  });
  return { genotypes: out, samples: rows.length, variants: cols.length };
}

/** How genotypes become numbers. */
export type GenotypeEncoding = 'additive' | 'dominant' | 'recessive' | 'genotypic';

/** Options of {@link encodeGenotypes}. */
export interface EncodeOptions {
  /**
   * `'additive'` (0, 1, 2 alternate alleles), `'dominant'` (1 if any alternate allele),
   * `'recessive'` (1 if two), or `'genotypic'` (two columns per variant: heterozygous and
   * homozygous-alternate indicators). Defaults to `'additive'`.
   */
  encoding?: GenotypeEncoding;
  /**
   * Missing calls: `'mean'` (the variant's mean encoded value over called samples), `'mode'`
   * (its most frequent encoded value), or `'none'` (leave NaN). Defaults to `'mean'`.
   */
  impute?: 'mean' | 'mode' | 'none';
}

/**
 * Encodes a genotype matrix as a dense row-major feature matrix (samples × features), imputing
 * missing calls.
 *
 * @param matrix - the genotype matrix.
 * @param options - see {@link EncodeOptions}.
 * @returns `{ data, rows, cols }` with cols = variants (2 × variants for `'genotypic'`).
 * @throws {@link ShapeError} when the sizes disagree.
 *
 * @example
 * ```ts
 * const { data, rows, cols } = encodeGenotypes(matrix, { encoding: 'dominant', impute: 'mode' });
 * ```
 */
export function encodeGenotypes(matrix: GenotypeMatrix, options?: EncodeOptions): DenseMatrix {
  const fn = 'encodeGenotypes';
  const o = resolveOptions(fn, options, {
    encoding: {
      constraint: { kind: 'string', oneOf: ['additive', 'dominant', 'recessive', 'genotypic'] },
      default: 'additive',
    },
    impute: { constraint: { kind: 'string', oneOf: ['mean', 'mode', 'none'] }, default: 'mean' },
  });
  checkMatrix(matrix, fn);
  const { genotypes, samples: n, variants: m } = matrix;
  const enc = o.encoding;
  const per = enc === 'genotypic' ? 2 : 1;
  const code = (g: number, k: number): number => {
    switch (enc) {
      case 'additive':
        return g;
      case 'dominant':
        return g > 0 ? 1 : 0;
      case 'recessive':
        return g === 2 ? 1 : 0;
      case 'genotypic':
        return k === 0 ? (g === 1 ? 1 : 0) : g === 2 ? 1 : 0;
    }
  };
  const cols = m * per;
  const data = new Float64Array(n * cols);
  const fill = new Float64Array(cols);
  if (o.impute !== 'none') {
    for (let v = 0; v < m; v++) {
      for (let k = 0; k < per; k++) {
        const counts = new Map<number, number>();
        let sum = 0;
        let called = 0;
        for (let s = 0; s < n; s++) {
          const g = genotypes[s * m + v]!;
          if (g < 0) continue;
          const x = code(g, k);
          sum += x;
          called++;
          counts.set(x, (counts.get(x) ?? 0) + 1);
        }
        let value = 0;
        if (called > 0) {
          if (o.impute === 'mean') value = sum / called;
          else {
            let best = -1;
            for (const [x, c] of [...counts].sort((a, b) => a[0] - b[0])) {
              if (c > best) {
                best = c;
                value = x;
              }
            }
          }
        }
        fill[v * per + k] = value;
      }
    }
  }
  for (let s = 0; s < n; s++) {
    for (let v = 0; v < m; v++) {
      const g = genotypes[s * m + v]!;
      for (let k = 0; k < per; k++) {
        const c = v * per + k;
        data[s * cols + c] = g < 0 ? (o.impute === 'none' ? Number.NaN : fill[c]!) : code(g, k);
      }
    }
  }
  return { data, rows: n, cols };
}

/**
 * Standardisation fitted on training data: each column becomes (x − mean) / sd, with the mean
 * and the population standard deviation of the training rows; constant columns get sd 1. Apply
 * the same transform to new data (a test set, a new patient) with `transform`.
 *
 * @example
 * ```ts
 * const scaler = new GenotypeStandardizer().fit(train);
 * const xTrain = scaler.transform(train);
 * const xNew = scaler.transform(patient);
 * ```
 */
export class GenotypeStandardizer {
  private stats?: { mean: Float64Array; sd: Float64Array };

  /** The fitted column means. */
  get mean(): number[] {
    return Array.from(this.require().mean);
  }

  /** The fitted column standard deviations (1 for constant columns). */
  get sd(): number[] {
    return Array.from(this.require().sd);
  }

  private require(): { mean: Float64Array; sd: Float64Array } {
    if (!this.stats) throw new ArgumentError('GenotypeStandardizer: call `fit` first.');
    return this.stats;
  }

  /**
   * Learns each column's mean and standard deviation.
   *
   * @param x - `{ data, rows, cols }` as {@link encodeGenotypes} returns (no NaN).
   * @returns this standardiser.
   * @throws {@link ArgumentError} for NaN values or an empty matrix.
   */
  fit(x: DenseMatrix): this {
    const { data, rows, cols } = x;
    if (rows < 1 || cols < 1 || data.length !== rows * cols) {
      throw new ShapeError(
        `GenotypeStandardizer.fit: expected a non-empty rows × cols matrix. Received: ${rows} × ${cols} with ${data.length} values.`,
      );
    }
    const mean = new Float64Array(cols);
    const sd = new Float64Array(cols);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        const v = data[i * cols + j]!;
        if (Number.isNaN(v))
          throw new ArgumentError(
            `GenotypeStandardizer.fit: NaN at [${i}, ${j}]; impute missing calls first.`,
          );
        mean[j]! += v;
      }
    }
    for (let j = 0; j < cols; j++) mean[j]! /= rows;
    for (let i = 0; i < rows; i++)
      for (let j = 0; j < cols; j++) sd[j]! += (data[i * cols + j]! - mean[j]!) ** 2;
    for (let j = 0; j < cols; j++) {
      const s = Math.sqrt(sd[j]! / rows);
      sd[j] = s > 0 ? s : 1;
    }
    this.stats = { mean, sd };
    return this;
  }

  /**
   * Applies the fitted standardisation.
   *
   * @throws {@link ShapeError} when the column count differs from the fitted one.
   */
  transform(x: DenseMatrix): DenseMatrix {
    const { mean, sd } = this.require();
    if (x.cols !== mean.length) {
      throw new ShapeError(
        `GenotypeStandardizer.transform: ${x.cols} columns, but fitted on ${mean.length}.`,
      );
    }
    const out = new Float64Array(x.data.length);
    for (let i = 0; i < x.rows; i++) {
      for (let j = 0; j < x.cols; j++)
        out[i * x.cols + j] = (x.data[i * x.cols + j]! - mean[j]!) / sd[j]!;
    }
    return { data: out, rows: x.rows, cols: x.cols };
  }
}
