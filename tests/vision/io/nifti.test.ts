/**
 * readNifti against nibabel (tests/fixtures/nifti-nibabel.json, made by
 * scripts/fixtures/nifti_nibabel.py): NIfTI-1 and -2, plain and gzip, both byte orders, eight
 * datatypes, 3 to 5 dimensions, scaling, and affines from sform, qform (qfac −1) and neither; the
 * real anatomical MRI; malformed files fail fast with a FormatError.
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ArgumentError, FormatError, MedkitError } from '../../../src/core/index.js';
import { readNifti, reorientToCanonical } from '../../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../../helpers/backends.js';
import { expectClose } from '../../helpers/close.js';

interface Ref {
  version: 1 | 2;
  shape: number[];
  zooms: number[];
  affine: number[][];
  min: number;
  max: number;
  mean: number;
  first: number[];
  last: number;
  at: { index: number[]; value: number };
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/nifti-nibabel.json', import.meta.url), 'utf8'),
) as {
  files: Record<string, Ref>;
};
const file = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/nifti/${name}`, import.meta.url)));

/** Reads a fixture; for a .hdr/.img pair, the header with the voxels of the .img beside it. */
const open = (name: string) =>
  name.includes('.hdr')
    ? readNifti(file(name), { image: file(name.replace('.hdr', '.img')) })
    : readNifti(file(name));

describeBackends('readNifti equals nibabel', () => {
  it.each(Object.keys(fixture.files))('%s', async (name) => {
    const ref = fixture.files[name]!;
    const img = await open(name);
    try {
      expect(img.header.version).toBe(ref.version);
      expect(img.volume.shape).toEqual(ref.shape);
      expect(img.volume.dtype).toBe('float32');
      expectClose(img.spacing, ref.zooms, { rtol: 1e-6 });
      expectClose(img.affine, ref.affine, { rtol: 1e-6, atol: 1e-6 });
      const values = await img.volume.data();
      const n = values.length;
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      let sum = 0;
      for (const v of values) {
        min = Math.min(min, v);
        max = Math.max(max, v);
        sum += v;
      }
      expectClose([min, max, sum / n], [ref.min, ref.max, ref.mean], { rtol: 1e-6, atol: 1e-6 });
      // nibabel's x-fastest order: the f-th value in the file is at these coordinates
      const firstInFileOrder = ref.first.map((_, f) => {
        let rest = f;
        let flat = 0;
        ref.shape.forEach((size, axis) => {
          const coord = rest % size;
          rest = Math.floor(rest / size);
          flat += coord * ref.shape.slice(axis + 1).reduce((a, b) => a * b, 1);
        });
        return values[flat]!;
      });
      expectClose(firstInFileOrder, ref.first, { rtol: 1e-6, atol: 1e-6 });
      const at = tf.tidy(
        () =>
          tf
            .slice(
              img.volume,
              ref.at.index,
              ref.at.index.map(() => 1),
            )
            .dataSync()[0]!,
      );
      expectClose(at, ref.at.value, { rtol: 1e-6, atol: 1e-6 });
    } finally {
      img.volume.dispose();
    }
  });

  it('returns one tensor and leaks nothing else', async () => {
    const before = tf.memory().numTensors;
    const img = await readNifti(file('anatomical.nii'));
    expect(tf.memory().numTensors).toBe(before + 1);
    img.volume.dispose();
    await expectNoLeak(async () => {
      (await readNifti(file('uint8_noform.nii'))).volume.dispose();
    });
  });
});

describe('readNifti chooses the affine as nibabel does', () => {
  it.each([
    ['int16_scaled_sform.nii', 'sform'],
    ['float32_qform.nii', 'qform'],
    ['uint8_noform.nii', 'base'],
  ])('%s: %s', async (name, source) => {
    const img = await readNifti(file(name));
    expect(img.affineSource).toBe(source);
    img.volume.dispose();
  });
});

describe('malformed NIfTI gets a FormatError, fast', () => {
  const good = file('int16_scaled_sform.nii');
  const patched = (edit: (v: DataView) => void) => {
    const copy = good.slice();
    edit(new DataView(copy.buffer));
    return copy;
  };
  it.each([
    ['not a NIfTI file', () => new TextEncoder().encode('hello '.repeat(100)), /not a NIfTI file/],
    ['too short for a header', () => good.slice(0, 100), /too few for a NIfTI header/],
    ['truncated voxel data', () => good.slice(0, good.length - 10), /truncated or corrupt/],
    [
      'a 4 GB declared volume in a small file',
      () =>
        patched((v) => {
          v.setInt16(42, 32767, true);
          v.setInt16(44, 32767, true);
          v.setInt16(46, 32767, true);
        }),
      /truncated or corrupt/,
    ],
    ['a bad magic string', () => patched((v) => v.setUint8(344, 120)), /magic string/],
    [
      'a .hdr of a pair',
      () =>
        patched((v) => {
          v.setUint8(344, 110);
          v.setUint8(345, 105);
          v.setUint8(346, 49);
        }),
      /\.hdr\/\.img pair/,
    ],
    ['dim[0] out of range', () => patched((v) => v.setInt16(40, 9, true)), /dim\[0\] is 9/],
    ['a zero dimension', () => patched((v) => v.setInt16(44, 0, true)), /must all be ≥ 1/],
    [
      'an unsupported datatype',
      () => patched((v) => v.setInt16(70, 32, true)),
      /datatype 32 is not supported/,
    ],
    [
      'truncated gzip data',
      () => file('int16_scaled_sform.nii.gz').slice(0, 200),
      /corrupt or truncated/,
    ],
  ])('%s', async (_what, make, message) => {
    const bytes = make();
    const t = performance.now();
    await expect(readNifti(bytes)).rejects.toThrow(FormatError);
    await expect(readNifti(bytes)).rejects.toThrow(message);
    expect(performance.now() - t).toBeLessThan(5000); // no hang
  });

  it('refuses what is not bytes', async () => {
    await expect(readNifti('x' as never)).rejects.toThrow(MedkitError);
    // gzip of a gzip of garbage is still not NIfTI
    await expect(readNifti(new Uint8Array(gzipSync(Buffer.from('x'.repeat(400)))))).rejects.toThrow(
      /not a NIfTI file/,
    );
  });
});

describe('readNifti on .hdr/.img pairs', () => {
  it('refuses a short .img, an image for a single file, and an image that is not bytes', async () => {
    const hdr = file('pair_int16_scaled.hdr');
    const img = file('pair_int16_scaled.img');
    await expect(readNifti(hdr, { image: img.slice(0, img.length - 2) })).rejects.toThrow(
      /the .img file has 238 bytes of data; it is truncated/,
    );
    await expect(readNifti(hdr, { image: 'x' as never })).rejects.toThrow(ArgumentError);
    await expect(readNifti(file('int8.nii'), { image: img })).rejects.toThrow(/single-file/);
    await expect(
      readNifti(file('pair_float32_qform.hdr.gz'), {
        image: file('pair_float32_qform.img.gz').slice(0, 30),
      }),
    ).rejects.toThrow(/corrupt or truncated/);
  });
});

describe('reorientToCanonical equals nibabel.as_closest_canonical', () => {
  it.each(
    Object.entries(fixture.files).filter(([, r]) => (r as Ref & { canonical?: unknown }).canonical),
  )('%s', async (name, ref) => {
    const canonical = (
      ref as Ref & {
        canonical: { shape: number[]; affine: number[][]; first: number[]; zooms: number[] };
      }
    ).canonical;
    const img = await open(name);
    const ras = reorientToCanonical(img);
    try {
      expect(ras.volume.shape).toEqual(canonical.shape);
      expectClose(ras.affine, canonical.affine, { rtol: 1e-6, atol: 1e-5 });
      expectClose(ras.spacing.slice(0, 3), canonical.zooms, { rtol: 1e-6 });
      const v = await ras.volume.data();
      const [nx, ny, nz] = canonical.shape as [number, number, number];
      const first = canonical.first.map((_, f) => {
        const i = f % nx;
        const j = Math.floor(f / nx) % ny;
        const k = Math.floor(f / (nx * ny));
        return v[(i * ny + j) * nz + k]!;
      });
      expectClose(first, canonical.first, { rtol: 1e-6, atol: 1e-6 });
    } finally {
      img.volume.dispose();
      ras.volume.dispose();
    }
  });
});
