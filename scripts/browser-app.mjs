#!/usr/bin/env node
/**
 * Drives the browser app (examples/browser) in headless Chromium, as a user would: builds it with
 * Vite against the built package, serves it from http://127.0.0.1, loads the bundled CT, trains
 * the classifier (saved to IndexedDB), predicts with a Grad-CAM overlay, reloads the page and
 * loads the saved classifier to predict on the bundled MR, and switches to the webgl and webgpu
 * backends. Checks that the overlay is drawn (coloured pixels over the grey image) and keeps
 * screenshots in artifacts/. Exits 1 on any failure.
 *
 *   npm run build && node scripts/browser-app.mjs [--chromium /usr/bin/chromium]
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { build } from 'vite';

const { values: args } = parseArgs({
  options: { chromium: { type: 'string', default: '/usr/bin/chromium' } },
});
const root = resolve(import.meta.dirname, '..');
const out = join(root, '.browser-app');
const artifacts = join(root, 'artifacts');
mkdirSync(artifacts, { recursive: true });

await build({ configFile: join(root, 'examples/browser/vite.config.mjs') });

const TYPES = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
};
const server = createServer((req, res) => {
  const path = normalize(join(out, decodeURIComponent(new URL(req.url, 'http://x').pathname)));
  const file = path.endsWith('/') ? join(path, 'index.html') : path;
  if (!file.startsWith(out) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(readFileSync(file));
});
await new Promise((done) => server.listen(0, '127.0.0.1', done));
const base = `http://127.0.0.1:${server.address().port}/`;

let failures = 0;
function check(what, ok, detail = '') {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
}

/** Share of the overlay's pixels that are coloured (the heatmap), not grey (the image). */
const colouredShare = (page) =>
  page.evaluate(() => {
    const c = document.getElementById('overlay');
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let coloured = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 40) coloured++;
    }
    return { share: coloured / (c.width * c.height), width: c.width, height: c.height };
  });

const waitForStatus = (page, pattern, timeout = 240_000) =>
  page.waitForFunction(
    (source) => new RegExp(source).test(document.getElementById('status').textContent),
    pattern.source,
    { timeout },
  );

const browser = await chromium.launch({
  executablePath: args.chromium,
  args: ['--no-sandbox', '--enable-unsafe-webgpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  const outbound = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:') && !r.url().startsWith('blob:'))
      outbound.push(r.url());
  });
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${base}?backend=cpu`);
  await waitForStatus(page, /^ready$/);
  check('the page starts on the chosen backend', (await page.textContent('#active')) === 'cpu');

  await page.click('#example-ct');
  await waitForStatus(page, /^opened CT_small\.dcm/);
  check('the bundled CT opens', /CT, 128 × 128/.test(await page.textContent('#image-caption')));
  await page.click('#train');
  await waitForStatus(page, /^trained on|^error/);
  const trained = await page.textContent('#status');
  check(
    'the classifier trains and is saved to IndexedDB',
    /saved to indexeddb:/.test(trained),
    trained,
  );
  await page.click('#predict');
  await waitForStatus(page, /^predicted|^error/);
  const prediction = await page.textContent('#prediction');
  check('the prediction on the CT says CT', /^CT \(p = /.test(prediction), prediction);
  const overlay = await colouredShare(page);
  check(
    'the Grad-CAM overlay is drawn',
    overlay.width === 64 && overlay.share > 0.02,
    `${(overlay.share * 100).toFixed(1)}% of ${overlay.width}×${overlay.height} pixels coloured`,
  );
  await page.screenshot({ path: join(artifacts, 'browser-app-ct.png') });

  // a fresh page: the classifier comes back from IndexedDB
  await page.goto(`${base}?backend=cpu`);
  await waitForStatus(page, /^ready$/);
  await page.click('#load');
  await waitForStatus(page, /^loaded the classifier|^no saved/);
  check(
    'the saved classifier loads after a reload',
    /^loaded/.test(await page.textContent('#status')),
  );
  await page.click('#example-mr');
  await waitForStatus(page, /^opened MR_small\.dcm/);
  await page.click('#predict');
  await waitForStatus(page, /^predicted|^error/);
  const mr = await page.textContent('#prediction');
  check('the prediction on the MR says MR', /^MR \(p = /.test(mr), mr);
  await page.screenshot({ path: join(artifacts, 'browser-app-mr.png') });
  const tensors = async () =>
    Number(/tensors in memory: (\d+)/.exec(await page.textContent('#status'))?.[1]);
  // two more predictions (the first may fill tfjs-layers' cache of constants): the count holds
  const counts = [await tensors()];
  for (let r = 0; r < 2; r++) {
    await page.click('#predict');
    await waitForStatus(page, /^predicted|^error/);
    counts.push(await tensors());
  }
  check(
    'repeated predictions leave the tensor count as it was',
    counts[1] === counts[2],
    counts.join(' → '),
  );

  for (const backend of ['webgl', 'webgpu', 'wasm']) {
    await page.selectOption('#backend', backend);
    await page
      .waitForFunction((b) => document.getElementById('active').textContent === b, backend, {
        timeout: 60_000,
      })
      .catch(() => {});
    const active = await page.textContent('#active');
    await page.click('#predict');
    await waitForStatus(page, /^predicted|^error/);
    const again = await page.textContent('#prediction');
    check(
      `the ${backend} backend runs the prediction`,
      active === backend && /^MR \(p = /.test(again),
      `${active}: ${again}`,
    );
  }
  check('no request left the page', outbound.length === 0, outbound.join(', '));
} finally {
  await browser.close();
  server.close();
}
console.log(failures === 0 ? 'browser app passed' : `browser app: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
