#!/usr/bin/env node
/**
 * Runtime smoke test of the built package's decompression paths, for runtimes the test suite
 * does not run on (CI runs it under Node 24 and Deno): a gzip file of several members, a BGZF
 * VCF, a `.nii.gz` volume and a deflated DICOM. The platforms' own gzip streams differ on data
 * after the first member, so these are where a runtime shows. Exits 1 on any mismatch.
 *
 *   node scripts/runtime-smoke.mjs        deno run -A scripts/runtime-smoke.mjs
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { readDicom, readNifti, readVcf, readVcfBlocks } from 'tfjs-medkit';

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

const encoder = new TextEncoder();
const header =
  '##fileformat=VCFv4.2\n##contig=<ID=1>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n';
const rows = (from, to) =>
  Array.from(
    { length: to - from },
    (_, i) => `1\t${from + i + 1}\t.\tA\tG\t.\tPASS\t.\tGT\t0/1\t1/1\n`,
  ).join('');
// `cat part1.gz part2.gz`: two gzip members, as many tools write them
const twoMembers = new Uint8Array(
  Buffer.concat([
    gzipSync(encoder.encode(header + rows(0, 600))),
    gzipSync(encoder.encode(rows(600, 1000))),
  ]),
);

console.log(`runtime smoke: ${runtime}`);
await attempt('gzip of two members', async () => {
  const vcf = await readVcf(twoMembers);
  check('gzip of two members: variants', vcf.variants.length, 1000);
  let streamed = 0;
  const stream = new ReadableStream({
    start(controller) {
      for (let p = 0; p < twoMembers.length; p += 113)
        controller.enqueue(twoMembers.slice(p, p + 113));
      controller.close();
    },
  });
  for await (const block of readVcfBlocks(stream, { blockSize: 256 }))
    streamed += block.variants.length;
  check('gzip of two members, streamed in 113-byte chunks: variants', streamed, 1000);
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
