#!/usr/bin/env node
/**
 * The demo's report, checked as a reader would see it: runs `examples/demo.mjs --quick` (the
 * built package; `npm run build` first), opens the HTML file it names in headless Chromium from
 * disk with every request refused, and checks that
 * - the file is self-contained: no `http` URL in any `src` or `href`, no request made;
 * - it holds at least 8 pictures, every one renders (an image decoded with a size; an inline SVG
 *   with drawn content), and it speaks of Grad-CAM and says the lesions are simulated;
 * - every number marked in the page is the one the run computed (report.json beside it).
 * Keeps a full-page screenshot in artifacts/. Exits 1 on any failure.
 *
 *   npm run build && node scripts/check-report.mjs [--chromium /usr/bin/chromium]
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: args } = parseArgs({
  options: { chromium: { type: 'string', default: '/usr/bin/chromium' } },
});
const root = resolve(import.meta.dirname, '..');
const artifacts = join(root, 'artifacts');
mkdirSync(artifacts, { recursive: true });
const target = join(artifacts, 'quick-report.html');

let failures = 0;
function check(what, ok, detail = '') {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
}

const output = execFileSync(
  process.execPath,
  [join(root, 'examples/demo.mjs'), '--quick', '--out', target],
  { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
);
const last = output.trim().split('\n').at(-1);
check('the demo names its report on the last line', last.includes(target), last);

const html = readFileSync(target, 'utf8');
const numbers = JSON.parse(readFileSync(target.replace(/\.html$/, '.json'), 'utf8'));
const links = [...html.matchAll(/\b(?:src|href)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]);
check(
  'no http URL in any src or href',
  !links.some((l) => /^\s*http/i.test(l)),
  links.filter((l) => /^\s*http/i.test(l)).join(' '),
);
check('it mentions Grad-CAM', html.includes('Grad-CAM'));
check('it says the lesions are simulated', /lesions are simulated/i.test(html));

const browser = await chromium.launch({ executablePath: args.chromium, args: ['--no-sandbox'] });
try {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const requests = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:') || url.startsWith('data:')) return route.continue();
    requests.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(target).href, { waitUntil: 'load' });
  check('no request left the page', requests.length === 0, requests.join(' '));
  const pictures = await page.evaluate(() => {
    const imgs = [...document.querySelectorAll('img')].map((i) => ({
      kind: 'img',
      ok:
        i.complete && i.naturalWidth > 0 && i.naturalHeight > 0 && i.src.startsWith('data:image/'),
      what: i.alt,
    }));
    // top-level SVGs only (RDKit's drawings nest none; charts are one SVG each)
    const svgs = [...document.querySelectorAll('svg')]
      .filter((s) => !s.parentElement.closest('svg'))
      .map((s) => {
        const box = s.getBBox();
        const drawn = s.querySelectorAll(
          'path, line, rect, circle, polygon, polyline, text',
        ).length;
        return {
          kind: 'svg',
          ok: box.width > 0 && box.height > 0 && drawn > 3 && !s.querySelector('parsererror'),
          what:
            s.getAttribute('aria-label') ?? s.closest('figure')?.textContent?.slice(0, 40) ?? 'svg',
        };
      });
    return [...imgs, ...svgs];
  });
  check('at least 8 pictures', pictures.length >= 8, `${pictures.length}`);
  const broken = pictures.filter((p) => !p.ok);
  check(
    `every picture renders (${pictures.filter((p) => p.kind === 'img').length} images, ${pictures.filter((p) => p.kind === 'svg').length} SVG)`,
    broken.length === 0,
    broken.map((p) => `${p.kind} ${p.what}`).join('; '),
  );
  const shown = await page.evaluate(() =>
    [...document.querySelectorAll('[data-value]')].map((e) => ({
      key: e.dataset.value,
      digits: Number(e.dataset.digits),
      text: e.textContent,
    })),
  );
  const wrong = shown.filter(({ key, digits, text }) => {
    const v = numbers[key];
    if (v === undefined) return true;
    const expected =
      typeof v === 'number' && !(Number.isInteger(v) && digits === 0)
        ? v.toFixed(digits)
        : String(v);
    return text !== expected;
  });
  check(
    `every number shown is the run's (${shown.length} of ${Object.keys(numbers).length} values)`,
    shown.length > 0 && wrong.length === 0 && shown.length === Object.keys(numbers).length,
    wrong.map((w) => `${w.key}: shown ${w.text}, computed ${numbers[w.key]}`).join('; '),
  );
  await page.screenshot({ path: join(artifacts, 'quick-report.png'), fullPage: true });
} finally {
  await browser.close();
}
console.log(failures === 0 ? 'report checks passed' : `report checks: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
