/**
 * Shared helpers for the benchmarks: timing loops and running an anchor script (PyTorch,
 * scikit-learn through Debian's /usr/bin/python3) in the same run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const PYTHON = process.env.MEDKIT_ANCHOR_PYTHON ?? '/usr/bin/python3';
const INSTALL_HINT =
  'apt-get install -y python3-torch python3-sklearn python3-rdkit rdkit-data python3-pydicom python3-gdcm python3-nibabel plink2';

/**
 * Runs bench/anchors/<script> with Debian's Python and returns its JSON line, or undefined (with
 * a note saying how to install the anchors) when it cannot run.
 */
export function runAnchor(script, args = [], runs = 1) {
  // this machine's speed varies between runs (a shared host): with runs > 1 the anchor runs that
  // many times and each figure is its best run, so that ratios against it err low
  let best;
  for (let r = 0; r < runs; r++) {
    const one = runAnchorOnce(script, args);
    if (!one) return best;
    best = best
      ? Object.fromEntries(
          Object.entries(one).map(([k, v]) => [
            k,
            typeof v === 'number' && k !== 'threads' ? Math.max(v, best[k]) : v,
          ]),
        )
      : one;
  }
  return runs > 1 ? { ...best, bestOf: runs } : best;
}

function runAnchorOnce(script, args) {
  // a bare name is one of bench/anchors/; a path is relative to the repository (../shared/bench/…)
  const path = script.includes('/')
    ? new URL(`../${script}`, import.meta.url).pathname
    : new URL(`./anchors/${script}`, import.meta.url).pathname;
  if (!existsSync(path)) {
    console.log(`anchor ${script}: not found at ${path}`);
    return undefined;
  }
  if (!existsSync(PYTHON)) {
    console.log(`anchor ${script}: ${PYTHON} not found; install the anchors with: ${INSTALL_HINT}`);
    return undefined;
  }
  try {
    const env = { ...process.env };
    delete env.OPENBLAS_CORETYPE; // as ../shared/bench/README.md asks, for timing numpy/torch
    delete env.OPENBLAS_L2_SIZE;
    const out = execFileSync(PYTHON, [path, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    }).toString();
    return JSON.parse(out.trim().split('\n').at(-1));
  } catch (e) {
    console.log(
      `anchor ${script} did not run (${String(e.message).split('\n')[0]}); install the anchors with: ${INSTALL_HINT}`,
    );
    return undefined;
  }
}

/** Calls `fn` for at least `seconds` after a warm-up and returns calls per second. */
export async function timeIt(fn, seconds = 1.5, warmup = 5) {
  for (let i = 0; i < warmup; i++) await fn();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await fn();
    reps++;
  }
  return reps / ((performance.now() - t0) / 1000);
}

/**
 * Profiles `fn` (tf.profile) and sums its kernel calls by kernel name, divided by `steps` (the
 * training steps `fn` runs): { kernelCalls (engine dispatches a step), kernelMs (their time a
 * step), top: the `n` slowest kernels as { kernel, calls, ms, share } }.
 */
export async function kernelBreakdown(tf, fn, n = 8, steps = 1) {
  const info = await tf.profile(fn);
  const byName = new Map();
  let calls = 0;
  for (const k of info.kernels) {
    // tf.profile also lists custom-gradient ops (fusedMatMul__op, "unnamed scope"), whose time
    // is their kernels': only registered kernels count
    if (!tf.getKernel(k.name, tf.getBackend())) continue;
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    const [c, t] = byName.get(k.name) ?? [0, 0];
    byName.set(k.name, [c + 1, t + ms]);
    calls++;
  }
  const total = [...byName.values()].reduce((a, [, t]) => a + t, 0);
  const round = (x, d = 2) => Number(x.toFixed(d));
  return {
    kernelCalls: round(calls / steps, 1),
    kernelMs: round(total / steps),
    top: [...byName]
      .sort((a, b) => b[1][1] - a[1][1])
      .slice(0, n)
      .map(([name, [c, ms]]) => ({
        kernel: name,
        calls: round(c / steps, 1),
        ms: round(ms / steps),
        share: round(ms / total, 3),
      })),
  };
}
