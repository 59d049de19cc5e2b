#!/usr/bin/env node
/**
 * Runtime smoke test of the built package's decompression paths, for runtimes the test suite
 * does not run on (CI runs it under Node 24 and Deno): BGZF and gzip of several members through
 * both VCF readers (scripts/smoke/), bgzip's own output, a `.nii.gz` volume and a deflated
 * DICOM. The platforms' own gzip streams differ on data after the first member, so this is
 * where a runtime shows. Exits 1 on any mismatch.
 *
 *   node scripts/runtime-smoke.mjs        deno run -A scripts/runtime-smoke.mjs
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readDicom, readNifti, readVcf, readVcfBlocks } from 'tfjs-medkit';
import { vcfCases } from './smoke/vcf-cases.mjs';
import { vcfChecks } from './smoke/vcf-checks.mjs';

await tf.setBackend('cpu');
const fixture = (path) =>
  new Uint8Array(readFileSync(new URL(`../tests/fixtures/${path}`, import.meta.url)));
const runtime = globalThis.Deno
  ? `Deno ${globalThis.Deno.version.deno}`
  : `Node ${process.versions.node}`;
let failures = 0;
function check(what, actual, expected) {
  const ok = JSON.stringify(actual) === JSON.stringify(expected);
  if (!ok) failures++;
  console.log(
    `${ok ? 'ok  ' : 'FAIL'} ${what}: ${JSON.stringify(actual)}${ok ? '' : ` (expected ${JSON.stringify(expected)})`}`,
  );
}
async function attempt(what, fn) {
  try {
    await fn();
  } catch (e) {
    failures++;
    console.log(`FAIL ${what}: ${e.message}`);
  }
}

console.log(`runtime smoke: ${runtime}`);
await attempt('BGZF and two gzip members through readVcf and readVcfBlocks', async () => {
  for (const [name, actual, expected] of await vcfChecks({ readVcf, readVcfBlocks }, vcfCases()))
    check(name, actual, expected);
});
await attempt('BGZF VCF', async () => {
  // plink2's reading of the same file (tests/fixtures/vcf-plink2.json)
  const ref = JSON.parse(
    readFileSync(new URL('../tests/fixtures/vcf-plink2.json', import.meta.url), 'utf8'),
  ).files.gatk;
  const vcf = await readVcf(fixture('vcf/gatk.vcf.gz'));
  check('BGZF VCF (bgzip): samples', vcf.samples, ref.samples);
  check(
    'BGZF VCF (bgzip): positions',
    vcf.variants.map((v) => v.pos),
    ref.variants.map((v) => v.pos),
  );
});
await attempt('.nii.gz', async () => {
  // the same volume, gzipped and not: identical voxels
  const zipped = await readNifti(fixture('nifti/int16_scaled_sform.nii.gz'));
  const plain = await readNifti(fixture('nifti/int16_scaled_sform.nii'));
  check('.nii.gz volume shape equals the .nii one', zipped.volume.shape, plain.volume.shape);
  const [a, b] = [zipped.volume.dataSync(), plain.volume.dataSync()];
  check('.nii.gz voxels equal the .nii ones', a.length > 0 && a.every((x, i) => x === b[i]), true);
  tf.dispose([zipped.volume, plain.volume]);
});
await attempt('deflated DICOM', async () => {
  // pydicom's reading of the same file (tests/fixtures/dicom-pydicom.json)
  const ref = JSON.parse(
    readFileSync(new URL('../tests/fixtures/dicom-pydicom.json', import.meta.url), 'utf8'),
  ).files['image_dfl.dcm'];
  const dicom = await readDicom(fixture('dicom/image_dfl.dcm'));
  const v = dicom.image.dataSync();
  check('deflated DICOM transfer syntax', dicom.transferSyntax, ref.transferSyntax);
  check('deflated DICOM shape', dicom.image.shape, ref.shape);
  check('deflated DICOM first row', Array.from(v.subarray(0, ref.firstRow.length)), ref.firstRow);
  const mean = v.reduce((s, x) => s + x, 0) / v.length;
  check('deflated DICOM mean (pydicom ± 1e-6)', Math.abs(mean - ref.mean) <= 1e-6 * ref.mean, true);
  dicom.image.dispose();
});
console.log(failures === 0 ? 'runtime smoke: all ok' : `runtime smoke: ${failures} failed`);
if (failures > 0) (globalThis.Deno ?? process).exit(1);
