/**
 * readDicom against pydicom (tests/fixtures/dicom-pydicom.json, made by
 * scripts/fixtures/dicom_pydicom.py from pydicom's test files): implicit and explicit little
 * endian, big endian, deflated, RLE (8/16/32 bits, colour, several frames), 1-bit, 32-bit
 * multi-frame; shapes, rescaled min/max/mean, first values, attributes by keyword; the shared
 * reference (CT HU); malformed files get a FormatError promptly.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FormatError, MedkitError } from '../../../src/core/index.js';
import { readDicom, readDicomSeries } from '../../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../../helpers/backends.js';
import { expectClose } from '../../helpers/close.js';

interface Ref {
  transferSyntax: string;
  shape: number[];
  min: number;
  max: number;
  mean: number;
  firstRow: number[];
  meta: Record<string, unknown>;
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/dicom-pydicom.json', import.meta.url), 'utf8'),
) as {
  files: Record<string, Ref>;
};
const file = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/dicom/${name}`, import.meta.url)));

describeBackends('readDicom equals pydicom', () => {
  it.each(Object.keys(fixture.files))('%s', async (name) => {
    const ref = fixture.files[name]!;
    const { image, meta, transferSyntax } = await readDicom(file(name));
    try {
      expect(transferSyntax).toBe(ref.transferSyntax);
      expect(image.shape).toEqual(ref.shape);
      expect(image.dtype).toBe('float32');
      const v = await image.data();
      let min = Number.POSITIVE_INFINITY;
      let max = Number.NEGATIVE_INFINITY;
      let sum = 0;
      for (const x of v) {
        min = Math.min(min, x);
        max = Math.max(max, x);
        sum += x;
      }
      expectClose([min, max, sum / v.length], [ref.min, ref.max, ref.mean], { rtol: 1e-6 });
      expectClose(Array.from(v.subarray(0, ref.firstRow.length)), ref.firstRow, { rtol: 1e-6 });
      for (const [key, value] of Object.entries(ref.meta)) {
        if (typeof value === 'number' || Array.isArray(value))
          expectClose(meta[key] as number, value as number, { rtol: 1e-6 });
        else expect(String(meta[key]).trim()).toBe(String(value).trim());
      }
    } finally {
      image.dispose();
    }
  });

  it('returns one tensor', async () => {
    await expectNoLeak(async () => {
      (await readDicom(file('MR_small.dcm'))).image.dispose();
    });
  });
});

describe('the shared reference slices', () => {
  it('CT_small: signed 16-bit with intercept −1024 → Hounsfield units; meta by keyword', async () => {
    const { image, meta } = await readDicom(file('CT_small.dcm'));
    expect(meta.Modality).toBe('CT');
    expect(meta.Rows).toBe(128);
    expect(meta.RescaleIntercept).toBe(-1024);
    expect(meta.PixelSpacing).toEqual([0.661468, 0.661468]);
    const first = Array.from((await image.data()).subarray(0, 8));
    expect(first).toEqual([-849, -844, -858, -881, -885, -872, -857, -837]);
    image.dispose();
  });
});

describe('malformed DICOM gets a FormatError, promptly', () => {
  const good = file('CT_small.dcm');
  it.each([
    ['no preamble or DICM marker', () => good.slice(132), /not a DICOM Part 10 file/],
    ['a tiny file', () => new Uint8Array(10), /not a DICOM Part 10 file/],
    ['truncated pixel data', () => good.slice(0, good.length - 1000), /truncated|cannot be parsed/],
    ['a header truncated mid-element', () => good.slice(0, 300), /cannot be parsed|no PixelData/],
    [
      'a 4 GB declared length in a small file',
      () => {
        const copy = good.slice();
        // the first data element after the meta header: make its 32-bit length huge
        const v = new DataView(copy.buffer);
        const metaLength = v.getUint32(140, true);
        const first = 144 + metaLength;
        // explicit VR little endian: a short-length VR has its length at +6 (2 bytes); use a long one
        copy.set([0x08, 0x00, 0x05, 0x00, 0x4f, 0x42, 0, 0, 0xff, 0xff, 0xff, 0xf0], first);
        return copy;
      },
      /cannot be parsed|truncated|no PixelData/,
    ],
  ])('%s', async (_what, make, message) => {
    const bytes = make();
    const t = performance.now();
    await expect(readDicom(bytes)).rejects.toThrow(FormatError);
    await expect(readDicom(bytes)).rejects.toThrow(message);
    expect(performance.now() - t).toBeLessThan(5000);
    expect(tf.memory().numTensors).toBe(tf.memory().numTensors);
  });

  it('refuses what is not bytes', async () => {
    await expect(readDicom([1, 2] as never)).rejects.toThrow(MedkitError);
  });
});

describe('readDicomSeries', () => {
  const series = (k: number) => file(`series/file${k}.dcm`);
  const expected = JSON.parse(
    readFileSync(new URL('../../fixtures/dicom/series/expected.json', import.meta.url), 'utf8'),
  ) as {
    sliceSpacing: number;
    firstPixel: number[];
    z0: number;
  };

  it('sorts slices along the normal and stacks them with their spacing', async () => {
    const before = tf.memory().numTensors;
    const { volume, spacing, positions } = await readDicomSeries([0, 1, 2, 3, 4].map(series));
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(volume.shape).toEqual([5, 128, 128]);
    expectClose(spacing, [expected.sliceSpacing, 0.661468, 0.661468], { rtol: 1e-6 });
    expectClose(
      positions,
      [0, 1, 2, 3, 4].map((s) => expected.z0 + 2.5 * s),
      { rtol: 1e-6 },
    );
    const v = await volume.data();
    expectClose(
      [0, 1, 2, 3, 4].map((s) => v[s * 128 * 128]!),
      expected.firstPixel,
      { rtol: 1e-6 },
    );
    volume.dispose();
  });

  it('refuses an empty list, duplicate positions, and slices of another size', async () => {
    await expect(readDicomSeries([])).rejects.toThrow(MedkitError);
    await expect(readDicomSeries([series(0), series(0)])).rejects.toThrow(/share the position/);
    await expect(readDicomSeries([series(0), file('MR_small.dcm')])).rejects.toThrow(FormatError);
  });
});

describe('readDicom: ambiguous VRs, long multi-values, repeating groups (implicit VR)', () => {
  it('reads them as pydicom does', async () => {
    // MR_small in implicit VR (signed pixels) with attributes added by the library's writer
    const { readPart10, writePart10 } = await import('../../../src/vision/deid/part10.js');
    const file = readPart10(
      new Uint8Array(
        readFileSync(new URL('../../fixtures/dicom/MR_small_implicit.dcm', import.meta.url)),
      ),
      'test',
    );
    const le16 = (values: number[], signed = false) => {
      const b = new Uint8Array(values.length * 2);
      const v = new DataView(b.buffer);
      for (const [i, x] of values.entries()) {
        if (signed) v.setInt16(2 * i, x, true);
        else v.setUint16(2 * i, x, true);
      }
      return b;
    };
    const lut = Array.from({ length: 3000 }, (_, i) => (i * 7) % 65536);
    const added = [
      { tag: 0x00280106, vr: 'SS', value: le16([-1234], true) }, // SmallestImagePixelValue
      { tag: 0x00283006, vr: 'US', value: le16(lut) }, // LUTData, 3,000 values
      { tag: 0x60020010, vr: 'US', value: le16([2]) }, // OverlayRows of overlay group 6002
      { tag: 0x60023000, vr: 'OW', value: new Uint8Array([1, 2, 3, 4]) }, // OverlayData
    ];
    const dataset = [...file.dataset.filter((e) => e.tag !== 0x00280106), ...added].sort(
      (a, b) => a.tag - b.tag,
    );
    const bytes = writePart10({ ...file, dataset });
    const { meta, image } = await readDicom(bytes);
    image.dispose();
    expect(meta.PixelRepresentation).toBe(1);
    expect(meta.SmallestImagePixelValue).toBe(-1234); // SS, not 64302 as US
    expect(meta.LUTData).toEqual(lut); // every value, not the first 1,024
    expect(meta.OverlayRows_6002).toBe(2);
    expect(meta.OverlayData_6002).toEqual({ bytes: 4 });
  });
});
