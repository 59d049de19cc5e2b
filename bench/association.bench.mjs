#!/usr/bin/env node
/**
 * Benchmark: a logistic association scan of 10,000 variants × 2,000 samples with 3 covariates,
 * against plink2 --glm on one thread in the same run (../shared/bench/assoc_plink2.sh, which
 * simulates the cohort, writes it as VCF and PLINK files, and times plink2). This side reads the
 * same VCF, phenotype and covariates and times associationScan (the VCF read timed apart).
 * Target: within 3× of plink2.
 *
 *   node bench/association.bench.mjs
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { associationScan, readVcf } from 'tfjs-medkit/genomics';

const script = new URL('../../shared/bench/assoc_plink2.sh', import.meta.url).pathname;
if (!existsSync(script) || !existsSync('/usr/bin/plink2')) {
  console.log(
    'anchor assoc_plink2.sh or plink2 missing: apt-get install -y plink2 python3-numpy (and ../shared/bench)',
  );
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'medkit-assoc-'));
try {
  const anchor = JSON.parse(
    execFileSync('bash', [script, dir]).toString().trim().split('\n').at(-1),
  );
  console.log(JSON.stringify(anchor));
  let t = performance.now();
  const vcf = await readVcf(readFileSync(join(dir, 'sim.vcf')));
  const readSeconds = (performance.now() - t) / 1000;
  const table = (name) =>
    readFileSync(join(dir, name), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split('\t'));
  const pheno = new Map(table('pheno.txt').map((r) => [r[0], Number(r[1]) - 1]));
  const covar = new Map(table('covar.txt').map((r) => [r[0], r.slice(1).map(Number)]));
  const phenotype = vcf.samples.map((s) => pheno.get(s));
  const covariates = vcf.samples.map((s) => covar.get(s));
  const matrix = {
    genotypes: vcf.genotypes,
    samples: vcf.samples.length,
    variants: vcf.variants.length,
  };
  t = performance.now();
  const results = associationScan(matrix, phenotype, { covariates });
  const scanSeconds = (performance.now() - t) / 1000;
  // agreement with plink2's file on the odds ratios
  const glm = readFileSync(join(dir, 'res.Y.glm.logistic.hybrid'), 'utf8').trim().split('\n');
  const head = glm[0].split('\t');
  const orCol = head.indexOf('OR');
  const a1Col = head.indexOf('A1');
  const altCol = head.indexOf('ALT');
  let worst = 0;
  glm.slice(1).forEach((line, v) => {
    const f = line.split('\t');
    if (f[orCol] === 'NA') return;
    // plink2 tests the minor allele; flip when it is REF
    const or = f[a1Col] === f[altCol] ? Number(f[orCol]) : 1 / Number(f[orCol]);
    worst = Math.max(worst, Math.abs(results[v].oddsRatio - or) / or);
  });
  const result = {
    bench: 'association scan',
    samples: matrix.samples,
    variants: matrix.variants,
    covariates: 3,
    readVcfSeconds: Number(readSeconds.toFixed(2)),
    scanSeconds: Number(scanSeconds.toFixed(3)),
    worstOddsRatioRelativeDifference: Number(worst.toExponential(2)),
  };
  console.log(JSON.stringify(result));
  console.log(
    `ratio plink2 time / ours (scan): ${(anchor.seconds / scanSeconds).toFixed(3)} (target ≥ 0.333)`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
