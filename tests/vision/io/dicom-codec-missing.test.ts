/**
 * A JPEG-family file whose optional codec is missing: without any registration (a browser app
 * that registered nothing) a BackendError says how to install and register it; with
 * `tfjs-medkit/node`'s registration but the package not importable (made so here with vi.mock),
 * a BackendError names the package.
 */
import { readFileSync } from 'node:fs';
import '@tensorflow/tfjs-backend-cpu';
import { expect, it, vi } from 'vitest';
import { BackendError } from '../../../src/core/index.js';
import { registerInstalledPackages } from '../../../src/node/optional-packages.js';
import { readDicom } from '../../../src/vision/index.js';

vi.mock('@cornerstonejs/codec-charls/decodewasmjs', () => {
  throw new Error("Cannot find package '@cornerstonejs/codec-charls'");
});

const bytes = new Uint8Array(
  readFileSync(new URL('../../fixtures/dicom/MR_small_jpeg_ls_lossless.dcm', import.meta.url)),
);

it('says how to install and register a codec nobody registered', async () => {
  await expect(readDicom(bytes)).rejects.toThrow(BackendError);
  await expect(readDicom(bytes)).rejects.toThrow(
    /JPEG-LS lossless\) needs the optional package `@cornerstonejs\/codec-charls`: install it \(npm i @cornerstonejs\/codec-charls\) and register it, `import jpegLs from '@cornerstonejs\/codec-charls\/decodewasmjs'` then `registerDicomCodecs\(\{ jpegLs \}\)`/,
  );
});

it('names the package a registered loader cannot import', async () => {
  registerInstalledPackages();
  await expect(readDicom(bytes)).rejects.toThrow(BackendError);
  await expect(readDicom(bytes)).rejects.toThrow(
    /\(`@cornerstonejs\/codec-charls`\) did not load: .*Is `@cornerstonejs\/codec-charls` installed \(npm i @cornerstonejs\/codec-charls\)\?/,
  );
});
