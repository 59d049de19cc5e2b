/**
 * `deidentifyDicom`: the Basic Application Level Confidentiality Profile of DICOM PS3.15
 * Annex E, with its options, applied to a Part-10 file and written back in the file's own
 * transfer syntax.
 *
 * @module
 */
import { ArgumentError, describeValue, FormatError } from '../../core/errors.js';
import { resolveOptions } from '../../core/validate.js';
import { DICOM_DICTIONARY } from '../io/dicom-dictionary.js';
import { tagKey } from '../io/dicom-tags.js';
import { CONFIDENTIALITY_PROFILE } from './confidentiality-profile.js';
import {
  ascii,
  type DicomElement,
  dictionaryVr,
  encodeString,
  readPart10,
  tagHex,
  writePart10,
} from './part10.js';

/** Options of {@link deidentifyDicom}; with none, the Basic Profile alone. */
export interface DeidentifyOptions {
  /**
   * The key of the UID mapping: the same key maps the same UID to the same new one in every
   * file (so a series stays a series). Keep it secret: whoever has it can recompute the
   * mapping. Defaults to a random key drawn for this call.
   */
  uidKey?: string | Uint8Array;
  /**
   * Retain Longitudinal Temporal Information with Modified Dates: shift every date (DA, and
   * the date of DT) the profile lets this option keep by this many days; times (TM) stay.
   * Use one shift per patient, kept secret.
   */
  dateShiftDays?: number;
  /** Retain Patient Characteristics (sex, age, size, weight, …). Defaults to `false`. */
  retainPatientCharacteristics?: boolean;
  /** Retain Device Identity (serial numbers, device names). Defaults to `false`. */
  retainDeviceIdentity?: boolean;
  /** Retain Institution Identity. Defaults to `false`. */
  retainInstitutionIdentity?: boolean;
  /** Retain UIDs: no UID is replaced. Defaults to `false`. */
  retainUids?: boolean;
  /**
   * Clean Descriptors: free text the option allows to keep (series and study descriptions,
   * comments, …) is passed through this function, which returns it cleaned of identifying
   * information. Without it, that text is removed as the Basic Profile says.
   */
  cleanDescriptors?: (text: string, keyword: string) => string;
  /**
   * Private attributes to keep (all others are removed): each by its private creator and its
   * element's low byte, e.g. `{ creator: 'SIEMENS CSA HEADER', element: 0x08 }`.
   */
  keepPrivate?: readonly PrivateAttribute[];
}

/** A private attribute, by its block's creator and its element's low byte. */
export interface PrivateAttribute {
  /** The private creator (the value of (gggg,00xx)), e.g. `'SIEMENS CSA HEADER'`. */
  creator: string;
  /** The element's low byte within the block (0x00–0xFF). */
  element: number;
}

/** One attribute the de-identification touched. */
export interface DeidentificationChange {
  /** Where: keywords (or tags) from the top, items as `[i]`, e.g. `ReferencedSeriesSequence[0].SeriesInstanceUID`. */
  path: string;
  /** The tag, `(gggg,eeee)`. */
  tag: string;
  /**
   * What was done: `removed` (X), `emptied` (Z), `dummy` (D), `uid` (U), `shifted` (dates),
   * `cleaned` (the descriptors' cleaner), `added` (the de-identification attributes), or
   * `warning` (nothing changed, but a reader must know: burned-in annotation).
   */
  action: 'removed' | 'emptied' | 'dummy' | 'uid' | 'shifted' | 'cleaned' | 'added' | 'warning';
  /** The old value, redacted: its size only (the profile lists identifying attributes). */
  before?: string;
  /** The new value (never identifying). */
  after?: string;
}

/** What {@link deidentifyDicom} returns. */
export interface DeidentifiedDicom {
  /** The de-identified Part-10 file, in the input's transfer syntax. */
  bytes: Uint8Array;
  /** Every attribute touched, in file order. */
  changes: DeidentificationChange[];
  /**
   * BurnedInAnnotation (0028,0301) of the input: `'YES'` means the pixels show identifying
   * text the profile does not remove; `'absent'` means nobody said, so they may.
   */
  burnedInAnnotation: 'YES' | 'NO' | 'absent';
}

const FN = 'deidentifyDicom';
const CODES: Record<string, string> = {
  '113100': 'Basic Application Confidentiality Profile',
  '113105': 'Clean Descriptors Option',
  '113107': 'Retain Longitudinal Temporal Information Modified Dates Option',
  '113108': 'Retain Patient Characteristics Option',
  '113109': 'Retain Device Identity Option',
  '113110': 'Retain UIDs Option',
  '113112': 'Retain Institution Identity Option',
};
const DUMMY: Record<string, string> = {
  AE: 'ANONYMIZED',
  AS: '000D',
  CS: 'ANONYMIZED',
  DA: '19000101',
  DS: '0',
  DT: '19000101000000',
  IS: '0',
  LO: 'ANONYMIZED',
  LT: 'ANONYMIZED',
  PN: 'ANONYMIZED',
  SH: 'ANONYMIZED',
  ST: 'ANONYMIZED',
  TM: '000000',
  UC: 'ANONYMIZED',
  UR: 'http://example.invalid',
  UT: 'ANONYMIZED',
};
const BINARY_VRS = new Set([
  'FL',
  'FD',
  'SL',
  'SS',
  'UL',
  'US',
  'SV',
  'UV',
  'AT',
  'OB',
  'OW',
  'OD',
  'OF',
  'OL',
  'OV',
  'UN',
]);

/** The table's entry for a tag, repeating groups (50xx, 60xx) included. */
function profileEntry(tag: number): string | undefined {
  const hex = tagHex(tag);
  const direct = CONFIDENTIALITY_PROFILE[hex];
  if (direct) return direct;
  const group = tag >>> 16;
  if ((group & 0xff00) === 0x5000 && (group & 1) === 0) return CONFIDENTIALITY_PROFILE['50xxxxxx'];
  if ((group & 0xff00) === 0x6000 && (group & 1) === 0)
    return CONFIDENTIALITY_PROFILE[`60xx${hex.slice(4)}`];
  return undefined;
}

type Action = 'K' | 'X' | 'Z' | 'D' | 'U' | 'S' | 'C' | 'R'; // S: shift dates, C: clean, R: recurse

/** The action for an attribute with table entry `entry`, under the options. */
function actionOf(entry: string, o: DeidentifyOptions): Action {
  const [basic, opts = ''] = entry.split('|') as [string, string?];
  const option = new Map(
    opts
      .split(' ')
      .filter(Boolean)
      .map((o) => [o[0]!, o.slice(1)]),
  );
  if (o.retainUids && option.get('u') === 'K') return 'K';
  if (o.dateShiftDays !== undefined && option.get('m') === 'C') return 'S';
  if (o.retainPatientCharacteristics && option.get('p') === 'K') return 'K';
  if (o.retainDeviceIdentity && option.get('d') === 'K') return 'K';
  if (o.retainInstitutionIdentity && option.get('i') === 'K') return 'K';
  if (o.cleanDescriptors && ['c', 'p', 'd'].some((k) => option.get(k) === 'C')) return 'C';
  switch (basic) {
    case 'X/Z':
      return 'Z';
    case 'X/D':
    case 'Z/D':
    case 'X/Z/D':
      return 'D';
    case 'X/Z/U*':
      return 'R'; // keep the sequence; the UIDs inside are replaced
    default:
      return basic as Action;
  }
}

const keywordOf = (tag: number) =>
  DICOM_DICTIONARY[tagKey(tag)]?.[1] ?? `(${tagHex(tag).slice(0, 4)},${tagHex(tag).slice(4)})`;
const tagText = (tag: number) =>
  `(${tagHex(tag).slice(0, 4).toUpperCase()},${tagHex(tag).slice(4).toUpperCase()})`;
const redacted = (e: DicomElement) =>
  e.items
    ? `[${e.items.length} items]`
    : e.encapsulated
      ? `[${e.encapsulated.length} bytes]`
      : `[${e.value?.length ?? 0} bytes]`;

/** A UID mapping: HMAC-SHA-256 of the UID under the key, as `2.25.<decimal of 192 bits>`. */
async function uidMapper(key: Uint8Array): Promise<(uid: string) => Promise<string>> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle)
    throw new ArgumentError(
      `${FN}: this runtime has no WebCrypto (crypto.subtle), which the UID mapping needs.`,
    );
  const hmac = await subtle.importKey(
    'raw',
    key as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const cache = new Map<string, string>();
  return async (uid: string) => {
    const known = cache.get(uid);
    if (known) return known;
    let salt = '';
    for (;;) {
      const mac = new Uint8Array(
        await subtle.sign('HMAC', hmac, new TextEncoder().encode(uid + salt)),
      );
      let n = 0n;
      for (const b of mac.subarray(0, 24)) n = (n << 8n) | BigInt(b);
      const out = `2.25.${n === 0n ? 1n : n}`; // at most 5 + 58 characters
      if (out !== uid) {
        cache.set(uid, out);
        return out;
      }
      salt += '#';
    }
  };
}

/** A DA value shifted by `days`, or undefined when it is not a full date. */
function shiftDate(date: string, days: number): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(date);
  if (!m) return undefined;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * 86_400_000;
  const d = new Date(t);
  if (Number.isNaN(t) || d.getUTCFullYear() < 1 || d.getUTCFullYear() > 9999) return undefined;
  return `${String(d.getUTCFullYear()).padStart(4, '0')}${String(d.getUTCMonth() + 1).padStart(2, '0')}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/**
 * De-identifies a DICOM Part-10 file with the Basic Application Level Confidentiality Profile
 * of PS3.15 Annex E (Table E.1-1, every attribute, inside sequences too) and the options asked
 * for, and writes it back in its own transfer syntax (explicit or implicit VR, either
 * endianness, deflated; encapsulated pixel data byte for byte).
 *
 * - D, Z, X, U actions as the table says; a compound action keeps the attribute when the input
 *   has it (X/Z → Z; X/D, Z/D, X/Z/D → D; X/Z/U* → the sequence kept, its UIDs replaced), so
 *   no attribute a module requires goes missing.
 * - Every private attribute is removed unless `keepPrivate` names it.
 * - UIDs (the table's U attributes, in sequences too; MediaStorageSOPInstanceUID with the new
 *   SOPInstanceUID) map to `2.25.` UIDs through HMAC-SHA-256 under `uidKey` (WebCrypto);
 *   SOPClassUID and TransferSyntaxUID never change.
 * - PatientIdentityRemoved = YES, DeidentificationMethod, DeidentificationMethodCodeSequence
 *   (113100 and each option's code) and LongitudinalTemporalInformationModified are set.
 *
 * What it does not do: remove text burned into the pixels (see `burnedInAnnotation`), hide a
 * face that a head CT or MR volume lets anyone reconstruct, or clean free text the options keep
 * (that is `cleanDescriptors`' job).
 *
 * @param bytes - a Part-10 file (preamble, `DICM`, meta information).
 * @param options - see {@link DeidentifyOptions}.
 * @returns the new file, the changes, and what BurnedInAnnotation said.
 * @throws {@link FormatError} for a truncated or malformed file (nothing is half written);
 *   {@link ArgumentError} for bad options.
 *
 * @example
 * ```ts
 * const { bytes: clean, changes } = await deidentifyDicom(bytes, { uidKey: secret });
 * changes.find((c) => c.path === 'PatientName'); // { action: 'emptied', before: '[12 bytes]', … }
 * ```
 */
export async function deidentifyDicom(
  bytes: Uint8Array,
  options: DeidentifyOptions = {},
): Promise<DeidentifiedDicom> {
  if (!(bytes instanceof Uint8Array)) {
    throw new ArgumentError(
      `${FN}: \`bytes\` must be a Uint8Array of a DICOM file. Received: ${describeValue(bytes)}.`,
    );
  }
  const o = resolveOptions(FN, options, {
    uidKey: { constraint: { kind: 'any' } },
    dateShiftDays: {
      constraint: { kind: 'number', integer: true, min: -3_650_000, max: 3_650_000 },
    },
    retainPatientCharacteristics: { constraint: { kind: 'boolean' }, default: false },
    retainDeviceIdentity: { constraint: { kind: 'boolean' }, default: false },
    retainInstitutionIdentity: { constraint: { kind: 'boolean' }, default: false },
    retainUids: { constraint: { kind: 'boolean' }, default: false },
    cleanDescriptors: { constraint: { kind: 'function' } },
    keepPrivate: { constraint: { kind: 'any' } },
  });
  const keyOption = o.uidKey as unknown;
  if (
    keyOption !== undefined &&
    typeof keyOption !== 'string' &&
    !(keyOption instanceof Uint8Array)
  ) {
    throw new ArgumentError(
      `${FN}: \`uidKey\` must be a string or a Uint8Array. Received: ${describeValue(keyOption)}.`,
    );
  }
  if (typeof keyOption === 'string' ? keyOption.length === 0 : keyOption?.length === 0) {
    throw new ArgumentError(`${FN}: \`uidKey\` must not be empty.`);
  }
  const keep = (o.keepPrivate ?? []) as unknown;
  if (
    !Array.isArray(keep) ||
    keep.some(
      (k) =>
        typeof k?.creator !== 'string' ||
        !Number.isInteger(k?.element) ||
        k.element < 0 ||
        k.element > 0xff,
    )
  ) {
    throw new ArgumentError(
      `${FN}: \`keepPrivate\` must list { creator: string, element: 0–255 }. Received: ${describeValue(keep)}.`,
    );
  }
  const key =
    typeof keyOption === 'string'
      ? new TextEncoder().encode(keyOption)
      : ((keyOption as Uint8Array | undefined) ??
        globalThis.crypto.getRandomValues(new Uint8Array(32)));
  const keepPrivate = keep as PrivateAttribute[];
  const cleanDescriptors = o.cleanDescriptors as DeidentifyOptions['cleanDescriptors'];
  const claimed = new Set(['113100']); // the method codes
  // one action per table entry under these options
  const actions = new Map<string, Action>();
  const actionFor = (entry: string) => {
    const known = actions.get(entry);
    if (known) return known;
    const action = actionOf(entry, o);
    actions.set(entry, action);
    return action;
  };
  const file = readPart10(bytes, FN); // throws before anything is written
  // a file cut between two elements parses; an image without its pixels is such a file
  const has = (tag: number) => file.dataset.some((e) => e.tag === tag);
  if (file.dataset.length === 0)
    throw new FormatError(`${FN}: the file holds no data set: it is truncated.`);
  if (has(0x00280010) && !has(0x7fe00010) && !has(0x7fe00008) && !has(0x7fe00009)) {
    throw new FormatError(
      `${FN}: the data set describes an image (Rows) but holds no pixel data: the file is truncated.`,
    );
  }
  const mapUid = await uidMapper(key);
  const changes: DeidentificationChange[] = [];

  const processList = async (list: DicomElement[], prefix: string): Promise<DicomElement[]> => {
    // private creators of this level: (gggg,00xx) → creator name
    const creators = new Map<string, string>();
    for (const e of list) {
      const group = e.tag >>> 16;
      const el = e.tag & 0xffff;
      if (group & 1 && el >= 0x10 && el <= 0xff && e.value)
        creators.set(`${group}:${el}`, ascii(e.value));
    }
    const kept = (e: DicomElement): boolean => {
      const group = e.tag >>> 16;
      const el = e.tag & 0xffff;
      if (el >= 0x10 && el <= 0xff) {
        const name = creators.get(`${group}:${el}`);
        return keepPrivate.some((k) => k.creator === name);
      }
      const name = creators.get(`${group}:${el >> 8}`);
      return (
        name !== undefined &&
        keepPrivate.some((k) => k.creator === name && k.element === (el & 0xff))
      );
    };
    const out: DicomElement[] = [];
    for (const e of list) {
      const keyword = keywordOf(e.tag);
      const path = prefix ? `${prefix}.${keyword}` : keyword;
      const note = (action: DeidentificationChange['action'], after?: string) =>
        changes.push({
          path,
          tag: tagText(e.tag),
          action,
          before: redacted(e),
          ...(after !== undefined ? { after } : {}),
        });
      const group = e.tag >>> 16;
      if (group & 1 && group > 0x0008) {
        if (kept(e)) {
          out.push(e.items ? { ...e, items: await processItems(e.items, path) } : e);
        } else note('removed');
        continue;
      }
      const entry = profileEntry(e.tag);
      const action: Action = entry ? actionFor(entry) : 'K';
      const vr = e.vr === 'UN' ? dictionaryVr(e.tag) : e.vr;
      switch (action) {
        case 'K':
        case 'R':
          out.push(e.items ? { ...e, items: await processItems(e.items, path) } : e);
          break;
        case 'X':
          note('removed');
          break;
        case 'Z':
          out.push(
            e.items
              ? { tag: e.tag, vr: e.vr, items: [] }
              : { tag: e.tag, vr: e.vr, value: new Uint8Array(0) },
          );
          note('emptied', '');
          break;
        case 'D': {
          if (e.items) {
            out.push({ tag: e.tag, vr: e.vr, items: [] });
            note('dummy', '[0 items]');
          } else if (BINARY_VRS.has(vr) || e.encapsulated) {
            const n = e.value?.length ?? 0;
            out.push({ tag: e.tag, vr: e.vr, value: new Uint8Array(n) });
            note('dummy', `[${n} zero bytes]`);
          } else {
            const text =
              vr === 'UI'
                ? await mapUid(ascii(e.value ?? new Uint8Array(0)) || '0')
                : (DUMMY[vr] ?? 'ANONYMIZED');
            out.push({ tag: e.tag, vr: e.vr, value: encodeString(text, vr) });
            note('dummy', text);
          }
          break;
        }
        case 'U': {
          if (e.items) {
            out.push({ ...e, items: await processItems(e.items, path) });
            break;
          }
          const uids = ascii(e.value ?? new Uint8Array(0)).split('\\');
          const mapped = [];
          for (const u of uids) mapped.push(u.trim() ? await mapUid(u.trim()) : '');
          const text = mapped.join('\\');
          out.push({ tag: e.tag, vr: e.vr, value: encodeString(text, 'UI') });
          note('uid', text);
          break;
        }
        case 'S': {
          if (vr !== 'DA' && vr !== 'DT') {
            out.push(e); // times and the rest stay under the modified-dates option
            break;
          }
          const values = ascii(e.value ?? new Uint8Array(0)).split('\\');
          const shifted = values.map((v) => {
            const date = v.trim();
            if (!date) return '';
            const d = shiftDate(date.slice(0, 8), o.dateShiftDays!);
            return d === undefined ? undefined : d + (vr === 'DT' ? date.slice(8) : '');
          });
          if (shifted.some((s) => s === undefined)) {
            // not a full date: nothing to shift reliably, so it goes
            out.push({ tag: e.tag, vr: e.vr, value: new Uint8Array(0) });
            note('emptied', '');
          } else {
            const text = shifted.join('\\');
            out.push({ tag: e.tag, vr: e.vr, value: encodeString(text, vr) });
            note('shifted', text);
          }
          break;
        }
        case 'C': {
          if (e.items) {
            out.push({ ...e, items: await processItems(e.items, path) });
            break;
          }
          const text = cleanDescriptors!(
            new TextDecoder().decode(e.value ?? new Uint8Array(0)).replace(/[\0 ]+$/, ''),
            keyword,
          );
          if (typeof text !== 'string') {
            throw new ArgumentError(
              `${FN}: \`cleanDescriptors\` must return a string; it returned ${describeValue(text)} for ${keyword}.`,
            );
          }
          out.push({ tag: e.tag, vr: e.vr, value: encodeString(text, vr) });
          note('cleaned', text);
          claimed.add('113105');
          break;
        }
      }
    }
    return out;
  };
  const processItems = async (items: DicomElement[][], path: string) => {
    const out = [];
    for (let i = 0; i < items.length; i++) out.push(await processList(items[i]!, `${path}[${i}]`));
    return out;
  };

  const dataset = await processList(file.dataset, '');
  const meta = await processList(file.meta, '');
  // MediaStorageSOPInstanceUID follows the (new) SOPInstanceUID
  const sop = dataset.find((e) => e.tag === 0x00080018);
  const media = meta.findIndex((e) => e.tag === 0x00020003);
  if (sop?.value && media >= 0) meta[media] = { ...meta[media]!, value: sop.value };
  if (o.dateShiftDays !== undefined) claimed.add('113107');
  if (o.retainPatientCharacteristics) claimed.add('113108');
  if (o.retainDeviceIdentity) claimed.add('113109');
  if (o.retainUids) claimed.add('113110');
  if (o.retainInstitutionIdentity) claimed.add('113112');

  const str = (tag: number, vr: string, text: string): DicomElement => ({
    tag,
    vr,
    value: encodeString(text, vr),
  });
  const codes = [...claimed].sort();
  const added: DicomElement[] = [
    str(0x00120062, 'CS', 'YES'),
    str(
      0x00120063,
      'LO',
      `tfjs-medkit: DICOM PS3.15 Annex E, ${codes.map((c) => CODES[c]).join('; ')}`.slice(0, 64),
    ),
    {
      tag: 0x00120064,
      vr: 'SQ',
      items: codes.map((c) => [
        str(0x00080100, 'SH', c),
        str(0x00080102, 'SH', 'DCM'),
        str(0x00080104, 'LO', CODES[c]!),
      ]),
    },
    str(0x00280303, 'CS', o.dateShiftDays !== undefined ? 'MODIFIED' : 'REMOVED'),
  ];
  for (const a of added) {
    const at = dataset.findIndex((e) => e.tag >= a.tag);
    if (at >= 0 && dataset[at]!.tag === a.tag) dataset[at] = a;
    else if (at >= 0) dataset.splice(at, 0, a);
    else dataset.push(a);
    changes.push({
      path: keywordOf(a.tag),
      tag: tagText(a.tag),
      action: 'added',
      after: a.items ? codes.join(', ') : ascii(a.value!),
    });
  }
  const burned = dataset.find((e) => e.tag === 0x00280301);
  const burnedValue = burned?.value ? ascii(burned.value).toUpperCase() : undefined;
  const burnedInAnnotation = burnedValue === 'YES' ? 'YES' : burnedValue === 'NO' ? 'NO' : 'absent';
  if (burnedInAnnotation !== 'NO') {
    changes.push({
      path: 'BurnedInAnnotation',
      tag: '(0028,0301)',
      action: 'warning',
      after:
        burnedInAnnotation === 'YES'
          ? 'YES: identifying text is burned into the pixels; this profile does not remove it'
          : 'absent: nobody said whether the pixels show identifying text',
    });
  }
  const out = writePart10({ meta, dataset, syntax: file.syntax });
  return { bytes: out, changes, burnedInAnnotation };
}
