#!/usr/bin/env node
/**
 * The packed package in a tiny browser app, as a user installs it: `npm pack`, then an app with
 * only the required dependencies (the package, tfjs-core and tfjs-layers, which npm adds as
 * peers, and the backends the app picks; no optional codec, no RDKit) that imports every browser
 * subpath. The app is bundled with esbuild, webpack and Vite; each bundle runs in headless
 * Chromium on cpu, webgl and webgpu, where the page checks:
 * - `registerTrainingKernels` before `setBackend` and again after;
 * - `sigmoidFocalLoss` and its gradient, `rocAuc` on tensors, L1 `LogisticRegression`;
 * - a ResNet-18 (`createResNet`) trained two epochs by `trainClassifier`, then `gradCam`;
 * - a JPEG-LS DICOM file without a registered codec: the BackendError that says how to add it;
 * - tensor counts back where they started.
 * The numbers of webgl and webgpu are compared with cpu's at the tolerances below.
 * Exits 1 on any failure.
 *
 *   npm run build && node scripts/bundlers.mjs [--chromium /usr/bin/chromium] [--keep]
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build as esbuild } from 'esbuild';
import { chromium } from 'playwright-core';
import { build as viteBuild } from 'vite';
import webpack from 'webpack';
import { servePage } from './smoke/page-runner.mjs';

const { values: args } = parseArgs({
  options: {
    chromium: { type: 'string', default: '/usr/bin/chromium' },
    keep: { type: 'boolean', default: false },
  },
});
const root = resolve(import.meta.dirname, '..');
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
const version = (name) => lock.packages[`node_modules/${name}`].version;

let failures = 0;
function check(what, ok, detail = '') {
  if (!ok) failures++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? `: ${detail}` : ''}`);
}

// --- the app: the packed package and only what a browser app needs -----------------------------
const app = mkdtempSync(join(tmpdir(), 'medkit-app-'));
const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', app], {
  cwd: root,
  encoding: 'utf8',
})
  .trim()
  .split('\n')
  .pop();
const backends = [
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-webgl',
  '@tensorflow/tfjs-backend-webgpu',
];
writeFileSync(
  join(app, 'package.json'),
  JSON.stringify({
    name: 'medkit-tiny-app',
    private: true,
    type: 'module',
    dependencies: {
      'tfjs-medkit': `file:./${tarball}`,
      ...Object.fromEntries(backends.map((b) => [b, version(b)])),
    },
  }),
);
execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--silent'], {
  cwd: app,
  stdio: 'inherit',
});
const installed = (name) => {
  try {
    readFileSync(join(app, 'node_modules', name, 'package.json'));
    return true;
  } catch {
    return false;
  }
};
check(
  'the app has no optional package (codecs, RDKit)',
  ![
    'jpeg-lossless-decoder-js',
    '@cornerstonejs/codec-charls',
    '@cornerstonejs/codec-openjpeg',
    '@rdkit/rdkit',
  ].some(installed),
);
check(
  'npm added the required peers (tfjs-core, tfjs-layers)',
  installed('@tensorflow/tfjs-core') && installed('@tensorflow/tfjs-layers'),
);
for (const file of ['app.js', 'workloads.js'])
  cpSync(join(root, 'scripts/bundlers', file), join(app, file));
writeFileSync(
  join(app, 'index.html'),
  '<!doctype html><html><body><script type="module" src="./app.js"></script></body></html>',
);

// --- three bundlers -------------------------------------------------------------------------
const bundles = {};
try {
  const out = await esbuild({
    entryPoints: [join(app, 'app.js')],
    absWorkingDir: app,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'error',
  });
  bundles.esbuild = out.outputFiles[0].text;
  check('esbuild bundles the app', true, `${(bundles.esbuild.length / 1e6).toFixed(2)} MB`);
} catch (e) {
  check('esbuild bundles the app', false, e.message);
}

try {
  const stats = await new Promise((done, fail) =>
    webpack(
      {
        mode: 'production',
        context: app,
        entry: './app.js',
        target: 'web',
        output: { path: join(app, 'webpack-out'), filename: 'app.js', module: true },
        experiments: { outputModule: true },
        resolve: { modules: [join(app, 'node_modules')] },
        performance: { hints: false },
        optimization: { minimize: false, splitChunks: false },
      },
      (err, s) => (err ? fail(err) : done(s)),
    ),
  );
  const errors = stats.compilation.errors.map((e) => e.message);
  if (errors.length) throw new Error(errors.join('\n'));
  const files = stats.toJson({ assets: true }).assets.map((a) => a.name);
  bundles.webpack = {
    main: readFileSync(join(app, 'webpack-out/app.js'), 'utf8'),
    dir: join(app, 'webpack-out'),
    files,
  };
  check('webpack bundles the app', true, `${files.length} files`);
} catch (e) {
  check('webpack bundles the app', false, e.message.slice(0, 2000));
}

try {
  await viteBuild({
    root: app,
    base: './',
    logLevel: 'error',
    configFile: false,
    build: { outDir: join(app, 'vite-out'), target: 'es2022', chunkSizeWarningLimit: 8000 },
  });
  bundles.vite = { dir: join(app, 'vite-out') };
  check('Vite bundles the app', true);
} catch (e) {
  check('Vite bundles the app', false, e.message.slice(0, 2000));
}

// --- each bundle in Chromium, on cpu, webgl and webgpu ---------------------------------------
const fixture = readFileSync(join(root, 'tests/fixtures/dicom/MR_small_jpeg_ls_lossless.dcm'));
const jpegLs = join(app, 'jpeg-ls.dcm');
writeFileSync(jpegLs, fixture);
/** |x − cpu| ≤ atol + rtol·|cpu| (values under 1e-3 compared in absolute terms). */
const TOLERANCE = {
  focal: 1e-4,
  focalGrad: 1e-3,
  losses: 3e-2,
  camSum: 5e-2,
  coef: 1e-3,
  auc: 1e-6,
};
const browser = await chromium.launch({
  executablePath: args.chromium,
  args: ['--no-sandbox', '--enable-unsafe-webgpu'],
});
try {
  for (const [name, bundle] of Object.entries(bundles)) {
    const files = { 'jpeg-ls.dcm': jpegLs };
    let script;
    if (typeof bundle === 'string') script = bundle;
    else if (name === 'webpack') {
      script = bundle.main;
      for (const f of bundle.files) files[f] = join(bundle.dir, f);
    } else {
      // Vite: its index.html names the entry chunk under assets/
      const html = readFileSync(join(bundle.dir, 'index.html'), 'utf8');
      const entry = html.match(/src="\.\/(assets\/[^"]+\.js)"/)[1];
      script = `import '/files/${entry}';`;
      for (const f of readdirSync(bundle.dir, { recursive: true })) {
        if (statSync(join(bundle.dir, f)).isFile()) files[f] = join(bundle.dir, f);
      }
    }
    const page = await servePage(script, files);
    const tab = await browser.newPage();
    tab.on('pageerror', (e) => console.error(`page error (${name}):`, e.message));
    try {
      await tab.goto(page.base);
      await tab.waitForFunction(() => window.appReady === true, null, { timeout: 60_000 });
      const runs = {};
      for (const backend of ['cpu', 'webgl', 'webgpu'])
        runs[backend] = await tab.evaluate((b) => window.runApp(b), backend);
      for (const [backend, run] of Object.entries(runs)) {
        const where = `${name}, ${backend}`;
        if (run.error) {
          check(where, false, run.error);
          continue;
        }
        check(`${where}: ran on ${backend}`, run.backend === backend, run.backend);
        check(`${where}: tensors back where they started`, run.leaked === 0, `${run.leaked} left`);
        check(
          `${where}: an unregistered DICOM codec says how to register it`,
          /registerDicomCodecs\(\{ jpegLs \}\)/.test(run.codecError),
          run.codecError,
        );
        if (backend === 'cpu') continue;
        for (const [key, tol] of Object.entries(TOLERANCE)) {
          const ref = [runs.cpu[key]].flat();
          const got = [run[key]].flat();
          let worst = 0;
          for (let i = 0; i < ref.length; i++) {
            const scale = Math.abs(ref[i]) < 1e-3 ? 1 : Math.abs(ref[i]);
            worst = Math.max(worst, Math.abs(got[i] - ref[i]) / scale);
          }
          check(
            `${where}: ${key} matches cpu within ${tol}`,
            got.length === ref.length && worst <= tol,
            `worst ${worst.toExponential(2)}`,
          );
        }
      }
    } catch (e) {
      check(`${name}: the app runs`, false, e.message);
    } finally {
      await tab.close();
      page.close();
    }
  }
} finally {
  await browser.close();
  if (!args.keep) rmSync(app, { recursive: true, force: true });
  else console.log(`app kept in ${app}`);
}
console.log(failures === 0 ? 'bundlers passed' : `bundlers: ${failures} failed`);
process.exit(failures === 0 ? 0 : 1);
