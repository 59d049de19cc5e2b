/**
 * A JPEG-family file whose optional codec package is not installed: a BackendError naming the
 * package and how to install it (the package is made unimportable here with vi.mock).
 */
import { readFileSync } from 'node:fs';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it, vi } from 'vitest';
import { BackendError } from '../../../src/core/index.js';
import { readDicom } from '../../../src/vision/index.js';

vi.mock('@cornerstonejs/codec-charls/decodewasmjs', () => {
  throw new Error("Cannot find package '@cornerstonejs/codec-charls'");
});

it('names the missing codec package', async () => {
  const bytes = new Uint8Array(
    readFileSync(new URL('../../fixtures/dicom/MR_small_jpeg_ls_lossless.dcm', import.meta.url)),
  );
  await expect(readDicom(bytes)).rejects.toThrow(BackendError);
  await expect(readDicom(bytes)).rejects.toThrow(
    /needs the optional package `@cornerstonejs\/codec-charls`; install it \(npm i @cornerstonejs\/codec-charls\)/,
  );
});
