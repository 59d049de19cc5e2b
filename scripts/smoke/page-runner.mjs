/**
 * What the browser scripts share: bundling a page script against the built package (esbuild),
 * and serving it from http://127.0.0.1 (a secure context: IndexedDB and WebGPU need one;
 * about:blank has neither).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * Bundles `entry` for the browser, `tfjs-medkit` and its subpaths resolved to `dist/`, and the
 * `@tensorflow/*` packages to the project's own copies wherever `entry` lies (a page script in a
 * temporary folder would otherwise take any `node_modules` above that folder first, and a bundle
 * with two tfjs copies has two engines).
 */
export async function bundlePage(entry, root) {
  const tfjs = Object.fromEntries(
    readdirSync(join(root, 'node_modules/@tensorflow')).map((name) => [
      `@tensorflow/${name}`,
      join(root, 'node_modules/@tensorflow', name),
    ]),
  );
  const bundle = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    nodePaths: [join(root, 'node_modules')],
    alias: {
      'tfjs-medkit/vision': join(root, 'dist/vision/index.js'),
      'tfjs-medkit/losses': join(root, 'dist/losses/index.js'),
      'tfjs-medkit/metrics': join(root, 'dist/metrics/index.js'),
      'tfjs-medkit/genomics': join(root, 'dist/genomics/index.js'),
      'tfjs-medkit/generative': join(root, 'dist/generative/index.js'),
      'tfjs-medkit/privacy': join(root, 'dist/privacy/index.js'),
      'tfjs-medkit': join(root, 'dist/index.js'),
      ...tfjs,
    },
    // the emscripten codecs reach for Node's modules only when they run in Node
    external: ['fs', 'path', 'crypto', 'module', 'url', 'worker_threads', 'node:*'],
    logLevel: 'error',
  });
  return bundle.outputFiles[0].text;
}

/**
 * Serves a page that runs `script`, and files under `/files/` from `files` (name → path).
 * Returns its address and a `close()`.
 */
export async function servePage(script, files = {}) {
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x').pathname;
    if (url.startsWith('/files/') && files[url.slice(7)]) {
      const name = url.slice(7);
      const type = name.endsWith('.wasm')
        ? 'application/wasm'
        : name.endsWith('.js')
          ? 'text/javascript'
          : 'application/octet-stream';
      res.writeHead(200, { 'content-type': type });
      res.end(readFileSync(files[name]));
      return;
    }
    const isScript = url === '/page.js';
    res.writeHead(isScript || url === '/' ? 200 : 404, {
      'content-type': isScript ? 'text/javascript' : 'text/html',
    });
    res.end(
      isScript
        ? script
        : '<!doctype html><html><body><script type="module" src="/page.js"></script></body></html>',
    );
  });
  await new Promise((done) => server.listen(0, '127.0.0.1', done));
  return { base: `http://127.0.0.1:${server.address().port}/`, close: () => server.close() };
}
