/**
 * Tags in the data dictionary: the lookup the reader and the Part-10 writer share, repeating
 * groups (60xx overlays, 50xx curves) included.
 *
 * @module
 * @internal
 */
import { DICOM_DICTIONARY } from './dicom-dictionary.js';

/** The dictionary key (`xggggeeee`) of a tag. @internal */
export const tagKey = (tag: number) => `x${tag.toString(16).padStart(8, '0')}`;

/**
 * The dictionary entry [VR, keyword] of a tag key; a repeating group other than 6000 or 5000 by
 * its first group's entry, the keyword suffixed with the group (`OverlayData_6002`). @internal
 */
export function dictionaryEntry(key: string): readonly [string, string] | undefined {
  const direct = DICOM_DICTIONARY[key];
  if (direct) return direct;
  const group = Number.parseInt(key.slice(1, 5), 16);
  if ((group & 0xff00) === 0x6000 || (group & 0xff00) === 0x5000) {
    const base = DICOM_DICTIONARY[`x${(group & 0xff00).toString(16)}${key.slice(5)}`];
    if (base) return [base[0], `${base[1]}_${key.slice(1, 5).toUpperCase()}`];
  }
  return undefined;
}
