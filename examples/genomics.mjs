/**
 * Part 4 of the demo: genomics for personalised treatment, end to end with
 * tfjs-medkit/genomics on a bundled simulated cohort (examples/data/cohort.vcf.gz and
 * cohort_phenotypes.csv: 300 people × 200 variants; the truth is known: v4 and v9 are causal,
 * v0 is a rare variant carried only by cases).
 *
 * readVcf → variant QC → association scan with covariates (Firth where a variant separates
 * cases from controls) → Benjamini–Hochberg → a sparse (L1) risk model on a stratified split,
 * scored with ROC AUC → one held-out patient's risk, top driving variants, and the plan the
 * (user-supplied, illustrative) policy gives for that risk band.
 */
import { readFile } from 'node:fs/promises';
import { splitIndices } from 'tfjs-medkit';
import {
  adjustPValues,
  associationScan,
  encodeGenotypes,
  explainPatient,
  GenotypeStandardizer,
  LogisticRegression,
  manhattanData,
  manhattanSvg,
  planForRisk,
  qcFilter,
  qqData,
  qqSvg,
  readVcf,
} from 'tfjs-medkit/genomics';
import { rocAuc } from 'tfjs-medkit/metrics';
import { barChart } from './report/charts.mjs';
import { figure } from './report/html.mjs';

/**
 * Runs part 4 (no tensors: it runs on the host in double precision); returns the report section
 * (numbers marked with `show`).
 */
export async function genomicsDemo({ show = (_k, v) => String(v) } = {}) {
  const vcf = await readVcf(await readFile(new URL('./data/cohort.vcf.gz', import.meta.url)));
  const table = (await readFile(new URL('./data/cohort_phenotypes.csv', import.meta.url), 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','));
  const bySample = new Map(table.map((r) => [r[0], r.slice(1).map(Number)]));
  const rows = vcf.samples.map((s) => bySample.get(s));
  const phenotype = rows.map((r) => r[0]);
  const covariates = rows.map((r) => r.slice(1));
  const matrix = {
    genotypes: vcf.genotypes,
    samples: vcf.samples.length,
    variants: vcf.variants.length,
  };
  console.log(
    `\nGenomics: ${matrix.samples} people × ${matrix.variants} variants (${phenotype.filter((y) => y === 1).length} cases); covariates sex, age, pc1`,
  );

  const qc = qcFilter(matrix, { minMaf: 0.01, minCallRate: 0.85, minHweP: 1e-6 });
  console.log(
    `QC kept ${qc.variants.length} variants (removed: ${qc.removed.callRate} call rate, ${qc.removed.maf} MAF, ${qc.removed.hwe} HWE)`,
  );
  const kept = qc.variants.map((v) => vcf.variants[v]);

  const results = associationScan(qc.matrix, phenotype, { covariates, firth: 'fallback' });
  const q = adjustPValues(
    results.map((r) => r.p),
    'bh',
  );
  const ranked = results
    .map((r, i) => ({ ...r, id: kept[i].id, q: q[i] }))
    .filter((r) => !r.error)
    .sort((a, b) => a.p - b.p)
    .slice(0, 5);
  console.log('strongest associations (logistic, covariate-adjusted):');
  console.log('  variant     OR   95% CI            p          BH q      Firth');
  for (const r of ranked) {
    console.log(
      `  ${r.id.padEnd(8)}${r.oddsRatio.toFixed(2).padStart(7)}   ${r.ciLower.toFixed(2).padStart(6)}–${r.ciUpper.toFixed(2).padEnd(8)}${r.p.toExponential(2).padStart(10)}${r.q.toExponential(2).padStart(11)}   ${r.firth ? 'yes' : 'no'}`,
    );
  }

  // a sparse risk model on a stratified split: standardised on the training side only
  const { train, test } = splitIndices(phenotype, { testSize: 0.25, seed: 7 });
  const pick = (idx) => ({
    genotypes: Int8Array.from(
      idx.flatMap((s) =>
        Array.from(
          qc.matrix.genotypes.subarray(s * qc.matrix.variants, (s + 1) * qc.matrix.variants),
        ),
      ),
    ),
    samples: idx.length,
    variants: qc.matrix.variants,
  });
  const scaler = new GenotypeStandardizer().fit(encodeGenotypes(pick(train)));
  const xTrain = scaler.transform(encodeGenotypes(pick(train)));
  const xTest = scaler.transform(encodeGenotypes(pick(test)));
  const model = await new LogisticRegression({ penalty: 'l1', C: 0.05, maxIter: 500 }).fit(
    xTrain,
    train.map((i) => phenotype[i]),
  );
  const risks = (await model.predictProba(xTest)).map((p) => p[1]);
  const chosen = model.coef[0].flatMap((c, j) => (c !== 0 ? [kept[j].id] : []));
  const heldOutAuc = rocAuc(
    test.map((i) => phenotype[i]),
    risks,
  );
  console.log(
    `L1 risk model: ${chosen.length} variants kept (${chosen.slice(0, 8).join(', ')}${chosen.length > 8 ? ', …' : ''}); held-out ROC AUC ${heldOutAuc.toFixed(3)}`,
  );

  // one held-out patient: risk, drivers, and the plan of an illustrative user policy
  const row = Array.from(xTest.data.subarray(0, xTest.cols));
  const e = explainPatient(model, row, { featureNames: kept.map((v) => v.id), top: 3 });
  const policy = {
    bands: [
      { below: 0.3, plan: 'routine follow-up' },
      { below: 0.7, plan: 'further testing' },
    ],
    otherwise: 'specialist referral',
  };
  console.log(
    `patient ${vcf.samples[test[0]]}: risk ${e.risk.toFixed(3)}; top drivers ${e.drivers
      .map((d) => `${d.name} (${d.contribution >= 0 ? '+' : ''}${d.contribution.toFixed(2)})`)
      .join(', ')}; the example policy says: ${planForRisk(e.risk, policy)}`,
  );

  // the report: Manhattan and QQ plots, the model's coefficients, one patient's explanation
  const p = results.map((r) => (r.error ? Number.NaN : r.p));
  const qq = qqData(p.filter(Number.isFinite));
  const coefficients = model.coef[0]
    .map((c, j) => ({ name: kept[j].id, value: c }))
    .filter((b) => b.value !== 0)
    .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
    .slice(0, 15);
  const full = explainPatient(model, row, { featureNames: kept.map((v) => v.id), top: 10 });
  const html = `
<p>A simulated cohort (no real person's data): ${show('genomics.people', matrix.samples, 0)} people ×
${matrix.variants} variants, a case/control phenotype driven by variants v4 and v9 (the truth is
known), covariates sex, age and one principal-component-like score. QC kept
${show('genomics.kept', qc.variants.length, 0)} variants; the scan is logistic and
covariate-adjusted (Firth where a variant separates cases from controls).</p>
<div class="grid">
${figure(manhattanSvg(manhattanData(p, kept), { title: 'Manhattan plot', width: 640, height: 300, threshold: 0.05 / results.length }), `−log10 p along the genome; line: Bonferroni 0.05 over ${results.length} tests.`)}
${figure(qqSvg(qq, { title: 'QQ plot', width: 320, height: 320 }), `Observed against expected −log10 p; genomic inflation λ_GC = ${show('genomics.lambda', qq.lambda)}.`)}
${figure(barChart({ title: 'Risk model: L1 coefficients', xLabel: 'coefficient (standardised genotype)', bars: coefficients }), `${show('genomics.selected', chosen.length, 0)} variants kept by the L1 penalty (largest 15 shown); held-out ROC AUC ${show('genomics.auc', heldOutAuc)}.`)}
${figure(barChart({ title: `Patient ${vcf.samples[test[0]]}: why this risk`, xLabel: 'contribution to the log-odds', bars: full.drivers.map((d) => ({ name: d.name, value: d.contribution })) }), `Risk ${show('genomics.patientRisk', e.risk)}; each bar: coefficient × the patient's standardised genotype. The example policy (illustrative) says: ${planForRisk(e.risk, policy)}.`)}
</div>`;
  return { id: 'genomics', title: 'Genomics: association and a personal risk model', html };
}
