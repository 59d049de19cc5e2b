#!/usr/bin/env node
/**
 * Builds dist/ with tsup only when a source is newer than the last build, and quietly: its
 * output is shown only if it fails. Used by `npm run demo` so that the demo's own output comes
 * first.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const newest = (path) => {
  const s = statSync(path, { throwIfNoEntry: false });
  if (!s) return 0;
  if (!s.isDirectory()) return s.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((f) => newest(join(path, f))));
};
const built = ['index.js', 'index.cjs', 'node/index.js'].map((f) =>
  statSync(join(root, 'dist', f), { throwIfNoEntry: false }),
);
const sources = Math.max(
  newest(join(root, 'src')),
  newest(join(root, 'tsup.config.ts')),
  newest(join(root, 'package.json')),
);
if (built.every((s) => s && s.mtimeMs >= sources)) process.exit(0);
const tsup = spawnSync(process.execPath, [join(root, 'node_modules/tsup/dist/cli-default.js')], {
  cwd: root,
  encoding: 'utf8',
});
if (tsup.status !== 0) {
  process.stderr.write(tsup.stdout + tsup.stderr);
  process.exit(tsup.status ?? 1);
}
