/**
 * deidentifyDicom against DICOM PS3.15 Table E.1-1 (src/vision/deid/confidentiality-profile.ts,
 * generated from the standard's table by scripts/fixtures/dicom_profile.py) on every DICOM test
 * file (every transfer syntax, multi-frame, sequences, private tags): no attribute the profile
 * removes survives, emptied ones are empty, UIDs are replaced consistently, the pixel data is
 * identical, the output reads back, and it is the very file pydicom (strict) and dcmtk's
 * dcmdump accepted (tests/fixtures/dicom-deid.json, by scripts/fixtures/dicom_deid.py).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import { ArgumentError, FormatError, MedkitError } from '../../src/core/index.js';
import '../../src/node/index.js';
import { CONFIDENTIALITY_PROFILE } from '../../src/vision/deid/confidentiality-profile.js';
import { type DicomElement, readPart10 } from '../../src/vision/deid/part10.js';
import { deidentifyDicom, readDicom } from '../../src/vision/index.js';

const dir = new URL('../fixtures/dicom/', import.meta.url);
const file = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.dcm'))
  .sort();
const checked = JSON.parse(
  readFileSync(new URL('../fixtures/dicom-deid.json', import.meta.url), 'utf8'),
) as { files: Record<string, Record<string, unknown>> };
const hex = (tag: number) => tag.toString(16).padStart(8, '0');
const text = (e?: DicomElement) =>
  e?.value ? new TextDecoder('latin1').decode(e.value).replace(/[\0 ]+$/, '') : undefined;

/** Every element, with its path, depth first. */
function* walk(list: DicomElement[], path = ''): Generator<[DicomElement, string]> {
  for (const e of list) {
    const p = `${path}/${hex(e.tag)}`;
    yield [e, p];
    for (const [i, item] of (e.items ?? []).entries()) yield* walk(item, `${p}[${i}]`);
  }
}
const find = (list: DicomElement[], tag: number) => list.find((e) => e.tag === tag);
const entryOf = (tag: number) => {
  const h = hex(tag);
  const group = tag >>> 16;
  if ((group & 0xff00) === 0x5000) return CONFIDENTIALITY_PROFILE['50xxxxxx'];
  if ((group & 0xff00) === 0x6000) return CONFIDENTIALITY_PROFILE[`60xx${h.slice(4)}`];
  return CONFIDENTIALITY_PROFILE[h];
};
const pixelBytes = (list: DicomElement[]) => {
  const p = find(list, 0x7fe00010);
  return p?.encapsulated ?? p?.value;
};

describe('deidentifyDicom, the Basic Profile on every test file', () => {
  it.each(names)('%s', async (name) => {
    const bytes = file(name);
    const input = readPart10(bytes, 'test');
    const { bytes: out, changes } = await deidentifyDicom(bytes, { uidKey: 'fixture-key' });
    expect(changes.length).toBeGreaterThan(0);
    // the very file pydicom (strict) and dcmdump accepted
    const ref = checked.files[name]!;
    expect(createHash('sha256').update(out).digest('hex')).toBe(ref.sha256);
    expect(ref).toMatchObject({
      pydicomReads: true,
      dcmdumpExit: 0,
      transferSyntaxKept: true,
      pixelDataIdentical: true,
      privateTags: 0,
      mediaStorageIsSop: true,
      patientIdentityRemoved: 'YES',
    });
    const result = readPart10(out, 'test');
    expect(result.syntax).toEqual(input.syntax);
    // the table, attribute by attribute, in sequences too
    const before = new Map([...walk(input.dataset)].map(([e, p]) => [p, e]));
    for (const [e, path] of walk(result.dataset)) {
      expect((e.tag >>> 16) & 1, `${path} is private`).toBe(0);
      const entry = entryOf(e.tag)?.split('|')[0];
      if (!entry || [0x00120062, 0x00120063, 0x00120064, 0x00280303].includes(e.tag)) continue;
      expect(entry, `${path}: the profile removes it`).not.toBe('X');
      if (entry === 'Z' || entry === 'X/Z') {
        expect(e.value?.length ?? e.items?.length ?? 0, `${path} is emptied`).toBe(0);
      }
      if (entry === 'U' && e.value) {
        const uids = text(e)!.split('\\');
        for (const uid of uids) {
          expect(uid).toMatch(/^2\.25\.[1-9]\d*$/);
          expect(uid.length).toBeLessThanOrEqual(64);
        }
        expect(text(e)).not.toBe(text(before.get(path)));
      }
      if (entry === 'D' || entry === 'X/D' || entry === 'Z/D' || entry === 'X/Z/D') {
        const old = before.get(path);
        if (old?.value?.length && e.value?.length) expect(text(e)).not.toBe(text(old));
      }
    }
    // what must not change: the pixels, the SOP class, the syntax
    expect(pixelBytes(result.dataset)).toEqual(pixelBytes(input.dataset));
    expect(text(find(result.dataset, 0x00080016))).toBe(text(find(input.dataset, 0x00080016)));
    expect(text(find(result.meta, 0x00020003))).toBe(text(find(result.dataset, 0x00080018)));
    expect(text(find(result.dataset, 0x00120062))).toBe('YES');
    // and it reads back as the input does
    const read = async (b: Uint8Array) => {
      try {
        const d = await readDicom(b);
        const v = Array.from(await d.image.data());
        d.image.dispose();
        return v;
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(await read(out)).toEqual(await read(bytes));
  });
});

describe('deidentifyDicom: UIDs, dates, options', () => {
  const seriesDir = new URL('../../examples/data/dicom/series/', import.meta.url);
  const series = readdirSync(seriesDir)
    .filter((f) => f.endsWith('.dcm'))
    .map((f) => new Uint8Array(readFileSync(new URL(f, seriesDir))));
  const uids = async (bytes: Uint8Array, key?: string) => {
    const { bytes: out } = await deidentifyDicom(bytes, key === undefined ? {} : { uidKey: key });
    const ds = readPart10(out, 'test').dataset;
    return [0x0020000d, 0x0020000e, 0x00080018].map((t) => text(find(ds, t)));
  };

  it('keeps a series a series under one key, and changes with the key', async () => {
    const a = await Promise.all(series.map((b) => uids(b, 'site-key')));
    expect(new Set(a.map((u) => u[0])).size).toBe(1); // one study
    expect(new Set(a.map((u) => u[1])).size).toBe(1); // one series
    // instances: as many distinct as the input has (these five copies share one)
    const inputSops = series.map((b) => text(find(readPart10(b, 't').dataset, 0x00080018)));
    expect(new Set(a.map((u) => u[2])).size).toBe(new Set(inputSops).size);
    expect(a[0]![2]).not.toBe(a[0]![1]);
    const again = await Promise.all(series.map((b) => uids(b, 'site-key')));
    expect(again).toEqual(a);
    const other = await uids(series[0]!, 'another key');
    expect(other[1]).not.toBe(a[0]![1]);
    const keyBytes = await uids(series[0]!, undefined);
    const keyBytes2 = await uids(series[0]!, undefined);
    expect(keyBytes[1]).not.toBe(keyBytes2[1]); // no key: a random one per call
    const u8 = await deidentifyDicom(series[0]!, { uidKey: new TextEncoder().encode('site-key') });
    expect(text(find(readPart10(u8.bytes, 't').dataset, 0x0020000e))).toBe(a[0]![1]);
  });

  it('shifts dates by whole days, keeps times, and says so', async () => {
    const bytes = file('CT_small.dcm');
    const input = readPart10(bytes, 't').dataset;
    const { bytes: out, changes } = await deidentifyDicom(bytes, {
      uidKey: 'k',
      dateShiftDays: 30,
    });
    const ds = readPart10(out, 't').dataset;
    expect(text(find(input, 0x00080020))).toBe('20040119');
    expect(text(find(ds, 0x00080020))).toBe('20040218'); // StudyDate + 30 days
    expect(text(find(ds, 0x00080030))).toBe(text(find(input, 0x00080030))); // StudyTime kept
    expect(text(find(ds, 0x00280303))).toBe('MODIFIED');
    const codes = find(ds, 0x00120064)!.items!.map((i) => text(find(i, 0x00080100)));
    expect(codes).toEqual(['113100', '113107']);
    expect(changes.find((c) => c.path === 'StudyDate')).toMatchObject({
      action: 'shifted',
      after: '20040218',
    });
    const basic = readPart10((await deidentifyDicom(bytes, { uidKey: 'k' })).bytes, 't').dataset;
    expect(text(find(basic, 0x00080020))).toBe(''); // Z without the option
    expect(text(find(basic, 0x00280303))).toBe('REMOVED');
  });

  it('applies each option and claims its code; cleaning is claimed only when text was cleaned', async () => {
    const bytes = file('CT_small.dcm');
    const input = readPart10(bytes, 't').dataset;
    const run = async (options: object) => {
      const r = await deidentifyDicom(bytes, { uidKey: 'k', ...options });
      const ds = readPart10(r.bytes, 't').dataset;
      return { ds, codes: find(ds, 0x00120064)!.items!.map((i) => text(find(i, 0x00080100))), r };
    };
    const uidsKept = await run({ retainUids: true });
    expect(text(find(uidsKept.ds, 0x00080018))).toBe(text(find(input, 0x00080018)));
    expect(uidsKept.codes).toContain('113110');
    const patient = await run({ retainPatientCharacteristics: true });
    expect(text(find(patient.ds, 0x00101010))).toBe(text(find(input, 0x00101010))); // PatientAge
    expect(patient.codes).toContain('113108');
    const removed = await run({});
    expect(find(removed.ds, 0x00101010)).toBeUndefined();
    expect(find(removed.ds, 0x0008103e)).toBeUndefined(); // SeriesDescription: X
    expect(removed.codes).toEqual(['113100']);
    const cleaned = await run({
      cleanDescriptors: (t: string) => t.toUpperCase().replace(/\d/g, '#'),
    });
    expect(cleaned.codes).toContain('113105');
    const description = text(find(input, 0x0008103e));
    if (description)
      expect(text(find(cleaned.ds, 0x0008103e))).toBe(
        description.toUpperCase().replace(/\d/g, '#'),
      );
    await expect(run({ cleanDescriptors: () => 3 })).rejects.toThrow(ArgumentError);
  });

  it('keeps only the private attributes asked for, with their creator', async () => {
    const bytes = file('CT_small.dcm');
    const input = readPart10(bytes, 't').dataset;
    const creator = input.find((e) => (e.tag >>> 16) & 1 && (e.tag & 0xffff) === 0x0010)!;
    const group = creator.tag >>> 16;
    const member = input.find((e) => e.tag >>> 16 === group && (e.tag & 0xff00) === 0x1000)!;
    const { bytes: out } = await deidentifyDicom(bytes, {
      uidKey: 'k',
      keepPrivate: [{ creator: text(creator)!, element: member.tag & 0xff }],
    });
    const ds = readPart10(out, 't').dataset;
    const privates = ds.filter((e) => (e.tag >>> 16) & 1);
    expect(privates.map((e) => e.tag)).toEqual([creator.tag, member.tag]);
    expect(find(ds, member.tag)!.value).toEqual(member.value);
  });

  it('flags burned-in annotation rather than pretending the pixels are clean', async () => {
    const r = await deidentifyDicom(file('MR_small.dcm'), { uidKey: 'k' });
    expect(r.burnedInAnnotation).toBe('absent');
    expect(r.changes.find((c) => c.action === 'warning')?.path).toBe('BurnedInAnnotation');
    expect(r.changes.every((c) => c.before === undefined || /^\[/.test(c.before))).toBe(true); // redacted
    expect(tf.memory().numTensors).toBe(0);
  });
});

describe('deidentifyDicom refuses bad input cleanly', () => {
  const bytes = file('MR_small.dcm');
  it.each([
    ['the preamble only', bytes.subarray(0, 100)],
    ['no meta information', bytes.subarray(132)],
    ['cut in the meta group', bytes.subarray(0, 150)],
    ['cut in the data set', bytes.subarray(0, 1000)],
    ['cut in the pixel data', bytes.subarray(0, bytes.length - 7)],
    ['cut in a sequence', file('rtdose.dcm').subarray(0, 1500)],
  ])('%s: a FormatError', async (_what, b) => {
    await expect(deidentifyDicom(b, { uidKey: 'k' })).rejects.toThrow(FormatError);
    await expect(deidentifyDicom(b, { uidKey: 'k' })).rejects.toThrow(MedkitError);
  });
  it('every truncation of an image file is a FormatError, unless it falls between elements before the image attributes', async () => {
    // a cut between two elements leaves a shorter, well-formed file: it is caught once the data
    // set describes an image (Rows) without its pixel data, and cannot be before
    const small = file('SC_rgb_small_odd.dcm');
    let refused = 0;
    for (let n = 0; n < small.length; n++) {
      const cut = small.subarray(0, n);
      const ok = await deidentifyDicom(cut, { uidKey: 'k' }).then(
        () => true,
        (e) => {
          expect(e).toBeInstanceOf(FormatError);
          return false;
        },
      );
      if (ok) expect(find(readPart10(cut, 't').dataset, 0x00280010)).toBeUndefined();
      else refused++;
    }
    expect(refused).toBeGreaterThan(small.length - 40);
  });
  it.each([
    ['not bytes', 'abc', {}],
    ['an empty key', bytes, { uidKey: '' }],
    ['a numeric key', bytes, { uidKey: 3 }],
    ['a fractional shift', bytes, { dateShiftDays: 1.5 }],
    ['an unknown option', bytes, { keepPrivates: [] }],
    ['a bad private list', bytes, { keepPrivate: [{ creator: 'X', element: 300 }] }],
  ])('%s: an ArgumentError', async (_what, b, options) => {
    await expect(deidentifyDicom(b as Uint8Array, options as object)).rejects.toThrow(
      ArgumentError,
    );
  });
});
