/**
 * readDicom on the JPEG family against pydicom + GDCM (tests/fixtures/dicom-jpeg.json, made by
 * scripts/fixtures/dicom_jpeg.py): JPEG lossless (process 14 and first-order), JPEG-LS lossless
 * and JPEG 2000 lossless equal the uncompressed MR_small exactly; lossy JPEG 2000 equals
 * OpenJPEG through GDCM; 8-bit JPEG baseline, grey and YBR colour, within 1; a 12-bit JPEG and
 * truncated frames get a FormatError; no leaks.
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { FormatError } from '../../../src/core/index.js';
import { readDicom } from '../../../src/vision/index.js';
// as in Node: tfjs-medkit/node registers the installed optional packages
import '../../../src/node/index.js';
import { describeBackends, expectNoLeak } from '../../helpers/backends.js';

interface Ref {
  transferSyntax: string;
  photometric: string;
  shape?: number[];
  min?: number;
  max?: number;
  mean?: number;
  values?: number[] | null;
  every997?: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/dicom-jpeg.json', import.meta.url), 'utf8'),
) as { files: Record<string, Ref> };
const file = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/dicom/${name}`, import.meta.url)));

// measured: lossless and JPEG 2000 exact; jpeg-js against libjpeg (GDCM) within 1 (IDCT rounding)
const TOLERANCE: Record<string, number> = {
  'MR_small_jpeg_baseline_8bit.dcm': 1,
  'SC_rgb_jpeg_dcmtk.dcm': 1,
};
const decodable = Object.keys(fixture.files).filter((n) => n !== 'JPEG-lossy.dcm');

describeBackends('readDicom on the JPEG family equals pydicom + GDCM', () => {
  it.each(decodable)('%s', async (name) => {
    const ref = fixture.files[name]!;
    await expectNoLeak(async () => {
      const { image, transferSyntax, meta } = await readDicom(file(name));
      expect(transferSyntax).toBe(ref.transferSyntax);
      expect(meta.PhotometricInterpretation).toBe(ref.photometric);
      expect(image.shape).toEqual(ref.shape);
      const v = await image.data();
      const tol = TOLERANCE[name] ?? 0;
      let max = 0;
      if (ref.values)
        for (let i = 0; i < v.length; i++) max = Math.max(max, Math.abs(v[i]! - ref.values[i]!));
      ref.every997!.forEach((x, k) => {
        max = Math.max(max, Math.abs(v[k * 997]! - x));
      });
      expect(max).toBeLessThanOrEqual(tol);
      image.dispose();
    });
  });

  it('the lossless syntaxes give back the uncompressed image exactly', async () => {
    const original = await readDicom(file('MR_small.dcm'));
    const expected = Array.from(await original.image.data());
    for (const name of [
      'MR_small_jpeg_lossless_sv1.dcm',
      'MR_small_jpeg_lossless_p14.dcm',
      'MR_small_jpeg_ls_lossless.dcm',
      'MR_small_jp2klossless.dcm',
    ]) {
      const { image } = await readDicom(file(name));
      expect(Array.from(await image.data())).toEqual(expected);
      image.dispose();
    }
    original.image.dispose();
  });

  it('refuses a 12-bit JPEG and truncated or corrupt frames with a FormatError', async () => {
    await expect(readDicom(file('JPEG-lossy.dcm'))).rejects.toThrow(/12-bit samples/);
    for (const name of decodable) {
      const bytes = file(name);
      // damage the compressed stream itself (the last quarter of the file)
      const broken = bytes.slice();
      broken.fill(0xff, Math.floor(bytes.length * 0.75), bytes.length - 20);
      const cut = bytes.slice(0, Math.floor(bytes.length * 0.8));
      for (const bad of [broken, cut]) {
        const outcome = await readDicom(bad).then(
          (r) => {
            r.image.dispose();
            return 'decoded';
          },
          (e: unknown) => e,
        );
        // a damaged stream either fails clearly or, for formats that resynchronise, still decodes
        if (outcome !== 'decoded') expect(outcome).toBeInstanceOf(FormatError);
      }
      await expect(readDicom(cut)).rejects.toThrow(FormatError);
    }
  });
});
