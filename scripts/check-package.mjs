#!/usr/bin/env node
/**
 * Checks the package as a consumer gets it: packs the tarball, runs publint and
 * @arethetypeswrong/cli on it, then installs it into a scratch folder (with the peer
 * dependencies from this checkout's node_modules, no network needed) and imports every subpath
 * with both `import` and `require`. Run after `npm run build`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const run = (cmd, args, opts = {}) =>
  execFileSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const packDir = join(root, '.pack');
rmSync(packDir, { recursive: true, force: true });
mkdirSync(packDir);
const packed = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', packDir], { cwd: root }).toString(),
);
const tarball = join(packDir, packed[0].filename);
console.log(`packed ${packed[0].filename}: ${packed[0].entryCount} files, ${packed[0].size} bytes`);
const shipped = packed[0].files.map((f) => f.path);
for (const must of [
  'package.json',
  'README.md',
  'CHANGELOG.md',
  'dist/index.js',
  'dist/index.cjs',
  'dist/index.d.ts',
]) {
  if (!shipped.includes(must)) throw new Error(`the tarball lacks ${must}`);
}
if (shipped.some((p) => p.startsWith('src/') || p.startsWith('tests/')))
  throw new Error('the tarball ships src/ or tests/');

run('npx', ['--no-install', 'publint', '--strict', tarball]);
run('npx', ['--no-install', 'attw', tarball, '--profile', 'node16']);

// A consumer's project: the tarball plus the peers, copied from this checkout.
const scratch = mkdtempSync(join(tmpdir(), 'medkit-smoke-'));
try {
  execFileSync('tar', ['-xzf', tarball, '-C', scratch]);
  const modules = join(scratch, 'node_modules');
  mkdirSync(join(modules, '@tensorflow'), { recursive: true });
  cpSync(join(scratch, 'package'), join(modules, pkg.name), { recursive: true });
  for (const dep of ['tfjs-core', 'tfjs-layers', 'tfjs-backend-cpu']) {
    cpSync(join(root, 'node_modules', '@tensorflow', dep), join(modules, '@tensorflow', dep), {
      recursive: true,
      dereference: true,
    });
  }
  // the package's own dependencies, then the peers' dependencies
  for (const dep of [
    ...Object.keys(pkg.dependencies ?? {}),
    'long',
    'seedrandom',
    '@types/seedrandom',
    '@types/long',
    '@webgpu/types',
    '@types/offscreencanvas',
    'node-fetch',
    'whatwg-url',
    'tr46',
    'webidl-conversions',
    'argparse',
    'sprintf-js',
  ]) {
    try {
      cpSync(join(root, 'node_modules', dep), join(modules, dep), {
        recursive: true,
        dereference: true,
      });
    } catch {}
  }
  const subpaths = Object.keys(pkg.exports)
    .filter((k) => k !== './package.json')
    .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));
  const check = `
    const tf = MOD_TF;
    await tf.setBackend('cpu');
    const root = MOD_ROOT;
    const loss = root.sparseSoftmaxCrossEntropy([1], tf.tensor2d([[0, 0]]));
    if (Math.abs(loss.dataSync()[0] - Math.log(2)) > 1e-6) throw new Error('wrong loss');
    if (!(new root.ArgumentError('x') instanceof root.MedkitError)) throw new Error('error classes');
    for (const p of ${JSON.stringify(subpaths)}) { const m = LOAD(p); if (Object.keys(m).length === 0) throw new Error(p + ' is empty'); }
    console.log('ok');`;
  writeFileSync(
    join(scratch, 'esm.mjs'),
    `import * as tfc from '@tensorflow/tfjs-core'; import '@tensorflow/tfjs-backend-cpu'; import * as medkit from '${pkg.name}';
     const mods = {}; ${subpaths.map((p, i) => `import * as m${i} from '${p}'; mods['${p}'] = m${i};`).join(' ')}
     ${check.replace('MOD_TF', 'tfc').replace('MOD_ROOT', 'medkit').replace('LOAD(p)', 'mods[p]')}`,
  );
  writeFileSync(
    join(scratch, 'cjs.cjs'),
    `(async () => { const tfc = require('@tensorflow/tfjs-core'); require('@tensorflow/tfjs-backend-cpu');
     ${check.replace('MOD_TF', 'tfc').replace('MOD_ROOT', `require('${pkg.name}')`).replace('LOAD(p)', 'require(p)')}
     })().catch((e) => { console.error(e); process.exit(1); });`,
  );
  for (const file of ['esm.mjs', 'cjs.cjs']) {
    process.stdout.write(`smoke ${file}: `);
    execFileSync(process.execPath, [file], { cwd: scratch, stdio: 'inherit' });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log('package checks passed');
