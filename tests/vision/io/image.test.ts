/**
 * readImage against Pillow (tests/fixtures/images-pil.json, made by
 * scripts/fixtures/images_pil.py): PNG 1/8/16-bit grey, grey + alpha, RGB, RGBA and palette
 * exactly, 2- and 4-bit grey (written by hand) to their samples; JPEG grey, 4:4:4, 4:2:0 and
 * progressive within the measured decoder differences;
 * the grey and RGB conversions; imageFromPixels on RGBA pixel data; no leaks; bad input.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { ArgumentError, FormatError } from '../../../src/core/index.js';
import { imageFromPixels, readImage } from '../../../src/vision/index.js';
import { describeBackends, expectNoLeak } from '../../helpers/backends.js';

interface Ref {
  mode: string;
  shape: number[];
  values: number[];
  luma?: number[];
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/images-pil.json', import.meta.url), 'utf8'),
) as { files: Record<string, Ref> };
const file = (name: string) =>
  new Uint8Array(readFileSync(new URL(`../../fixtures/images/${name}`, import.meta.url)));

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

// jpeg-js against libjpeg-turbo (Pillow), measured: grey max 1 (mean 0.05); 4:4:4 and progressive
// max 2 (mean 0.5–0.6, IDCT rounding); 4:2:0 max 24 per channel (mean 7.0: jpeg-js replicates the
// half-resolution chroma, libjpeg-turbo interpolates it), but max 2 once converted to grey
const JPEG_TOLERANCE: Record<string, number> = {
  'grey.jpg': 1,
  'rgb444.jpg': 2,
  'rgb_progressive.jpg': 2,
  'rgb420.jpg': 24,
};

describeBackends('readImage equals Pillow', () => {
  it.each(Object.keys(fixture.files))('%s', async (name) => {
    const ref = fixture.files[name]!;
    await expectNoLeak(async () => {
      const img = await readImage(file(name));
      expect(img.format).toBe(name.endsWith('.png') ? 'png' : 'jpeg');
      expect(img.image.shape).toEqual(ref.shape);
      expect(img.image.dtype).toBe('float32');
      expect([img.height, img.width]).toEqual(ref.shape.slice(0, 2));
      const values = await img.image.data();
      // Pillow shows a 1-bit image as 0/255; the file's samples are 0/1
      const expected = ref.mode === '1' ? ref.values.map((v) => v / 255) : ref.values;
      const tolerance = JPEG_TOLERANCE[name] ?? 0;
      expect(maxDiff(values, expected)).toBeLessThanOrEqual(tolerance);
      if (ref.luma) {
        const grey = await readImage(file(name), { channels: 'grey' });
        expect(grey.image.shape).toEqual(ref.shape.slice(0, 2));
        expect(maxDiff(await grey.image.data(), ref.luma)).toBeLessThanOrEqual(
          name.endsWith('.png') ? 0 : 2,
        );
        grey.image.dispose();
      }
      img.image.dispose();
    });
  });

  it('converts grey to RGB and drops alpha on request', async () => {
    const rgb = await readImage(file('grey8.png'), { channels: 'rgb' });
    const grey = await readImage(file('grey8.png'));
    expect(rgb.image.shape).toEqual([9, 13, 3]);
    const g = await grey.image.data();
    const c = await rgb.image.data();
    for (let p = 0; p < g.length; p++) for (let k = 0; k < 3; k++) expect(c[p * 3 + k]).toBe(g[p]);
    const rgba = await readImage(file('rgba8.png'), { channels: 'rgb' });
    expect(rgba.image.shape).toEqual([9, 13, 3]);
    const ref = fixture.files['rgba8.png']!.values.filter((_, i) => i % 4 !== 3);
    expect(maxDiff(await rgba.image.data(), ref)).toBe(0);
    tf.dispose([rgb.image, grey.image, rgba.image]);
  });

  it('imageFromPixels reads RGBA pixel data like a browser image', async () => {
    const ref = fixture.files['rgba8.png']!;
    const pixels = { width: 13, height: 9, data: new Uint8Array(ref.values) };
    await expectNoLeak(async () => {
      const kept = await imageFromPixels(pixels);
      expect(kept.image.shape).toEqual([9, 13, 4]);
      expect(maxDiff(await kept.image.data(), ref.values)).toBe(0);
      const grey = await imageFromPixels(pixels, { channels: 'grey' });
      expect(grey.image.shape).toEqual([9, 13]);
      expect(maxDiff(await grey.image.data(), ref.luma!)).toBe(0);
      tf.dispose([kept.image, grey.image]);
    });
  });

  it('refuses what it cannot read, promptly and clearly', async () => {
    await expect(readImage('x' as never)).rejects.toThrow(ArgumentError);
    await expect(readImage(file('grey8.png'), { channels: 'cmyk' as never })).rejects.toThrow(
      /one of 'keep', 'grey', 'rgb'. Received: "cmyk"/,
    );
    await expect(readImage(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(
      /neither PNG nor JPEG/,
    );
    await expect(readImage(new Uint8Array(0))).rejects.toThrow(FormatError);
    const png = file('rgb8.png');
    await expect(readImage(png.slice(0, 40))).rejects.toThrow(FormatError);
    const jpg = file('rgb444.jpg');
    await expect(readImage(jpg.slice(0, 30))).rejects.toThrow(FormatError);
    // a 12-bit (extended) JPEG: SOF1 with precision 12
    const twelve = jpg.slice();
    for (let i = 2; i < twelve.length - 4; i++) {
      if (twelve[i] === 0xff && twelve[i + 1] === 0xc0) {
        twelve[i + 1] = 0xc1;
        twelve[i + 4] = 12;
        break;
      }
    }
    await expect(readImage(twelve)).rejects.toThrow(/12-bit/);
    await expect(imageFromPixels(null as never)).rejects.toThrow(ArgumentError);
  });
});
