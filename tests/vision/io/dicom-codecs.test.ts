/**
 * registerDicomCodecs, as a browser app uses it: each codec given as its module (namespace or
 * default export), as the emscripten factory, or as a loader; the decoded pixels equal the
 * uncompressed MR_small (all three syntaxes are lossless); bad arguments are ArgumentErrors; a
 * module without a decoder is a BackendError; keepExisting keeps what was registered.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import charlsFactory, * as charlsNamespace from '@cornerstonejs/codec-charls/decodewasmjs';
import * as jpegLossless from 'jpeg-lossless-decoder-js';
import { afterEach, expect, it } from 'vitest';
import { ArgumentError, BackendError } from '../../../src/core/index.js';
import { readDicom, registerDicomCodecs } from '../../../src/vision/index.js';
import { clearDicomCodecs } from '../../../src/vision/io/dicom-codecs.js';

const file = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/dicom/${name}`, import.meta.url)));
const plain = async () => {
  const { image } = await readDicom(file('MR_small.dcm'));
  const values = Array.from(await image.data());
  image.dispose();
  return values;
};
const decoded = async (name: string) => {
  const { image } = await readDicom(file(name));
  const values = Array.from(await image.data());
  image.dispose();
  return values;
};

afterEach(() => clearDicomCodecs());

it('decodes with each codec given as its module, factory or loader', async () => {
  const expected = await plain();
  const start = tf.memory().numTensors;
  registerDicomCodecs({ jpegLs: charlsNamespace, jpegLossless });
  expect(await decoded('MR_small_jpeg_ls_lossless.dcm')).toEqual(expected);
  expect(await decoded('MR_small_jpeg_lossless_sv1.dcm')).toEqual(expected);
  registerDicomCodecs({ jpegLs: charlsFactory as unknown as object });
  expect(await decoded('MR_small_jpeg_ls_lossless.dcm')).toEqual(expected);
  registerDicomCodecs({
    jpeg2000: () => import('@cornerstonejs/codec-openjpeg/decodewasmjs'),
    jpegLossless: jpegLossless.Decoder as unknown as object,
  });
  expect(await decoded('MR_small_jp2klossless.dcm')).toEqual(expected);
  expect(await decoded('MR_small_jpeg_lossless_sv1.dcm')).toEqual(expected);
  expect(tf.memory().numTensors).toBe(start);
});

it('keeps a registered codec with keepExisting', async () => {
  registerDicomCodecs({ jpegLs: { notACodec: true } });
  registerDicomCodecs({ jpegLs: charlsNamespace }, { keepExisting: true });
  await expect(readDicom(file('MR_small_jpeg_ls_lossless.dcm'))).rejects.toThrow(
    /the codec registered as `@cornerstonejs\/codec-charls` has no JpegLSDecoder/,
  );
  registerDicomCodecs({ jpegLs: charlsNamespace });
  expect(await decoded('MR_small_jpeg_ls_lossless.dcm')).toEqual(await plain());
});

it('rejects what is not a codec', async () => {
  expect(() => registerDicomCodecs(null as never)).toThrow(ArgumentError);
  expect(() => registerDicomCodecs({ jpegXl: {} } as never)).toThrow(/unknown codec `jpegXl`/);
  expect(() => registerDicomCodecs({ jpegLs: 3 as never })).toThrow(
    /`codecs.jpegLs` must be the module of `@cornerstonejs\/codec-charls`/,
  );
  expect(() => registerDicomCodecs({}, { keep: true } as never)).toThrow(/unknown option `keep`/);
  registerDicomCodecs({ jpegLossless: { default: {} } });
  await expect(readDicom(file('MR_small_jpeg_lossless_sv1.dcm'))).rejects.toThrow(BackendError);
  registerDicomCodecs({
    jpeg2000: () => Promise.reject(new Error('offline')),
  });
  await expect(readDicom(file('MR_small_jp2klossless.dcm'))).rejects.toThrow(
    /did not load: offline/,
  );
});
