#!/usr/bin/python3
"""Generates src/vision/io/dicom-dictionary.ts from pydicom's copy of the DICOM data dictionary
(Debian python3-pydicom, PS3.6): tag → [VR, keyword] for every element with a keyword, and the
repeating groups 50xx (curves) and 60xx (overlays) under their first group (5000, 6000; the
readers map the others onto them). Implicit-VR files need the VR; `meta` is keyed by keyword. Run from the repository root: /usr/bin/python3 scripts/dicom_dictionary.py
"""
import pydicom
from pydicom._dicom_dict import DicomDictionary, RepeatersDictionary

entries = []
for tag, (vr, vm, name, retired, keyword) in sorted(DicomDictionary.items()):
    if not keyword:
        continue
    entries.append(f"  {tag:08x}: ['{vr.split(' ')[0]}', '{keyword}'],")
for mask, (vr, vm, name, retired, keyword) in sorted(RepeatersDictionary.items()):
    if keyword and mask[:2] in ("50", "60") and mask[2:4] == "xx" and "x" not in mask[4:]:
        entries.append(f"  {mask[:2]}00{mask[4:].lower()}: ['{vr.split(' ')[0]}', '{keyword}'],")
entries.sort()
with open("src/vision/io/dicom-dictionary.ts", "w") as f:
    f.write(f"""/**
 * The DICOM data dictionary (PS3.6) as tag → [VR, keyword], generated from pydicom
 * {pydicom.__version__} by scripts/dicom_dictionary.py; do not edit by hand.
 *
 * @module
 */

/** @internal */
export const DICOM_DICTIONARY: Readonly<Record<string, readonly [vr: string, keyword: string]>> = {{
""")
    for e in entries:
        tag, rest = e.strip().split(":", 1)
        f.write(f"  x{tag}:{rest}\n")
    f.write("};\n")
print(f"wrote {len(entries)} entries")
