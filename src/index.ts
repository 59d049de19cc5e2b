/**
 * tfjs-medkit: medical-AI building blocks for TensorFlow.js.
 *
 * This entry decides what is public: each module's exports are re-exported here, and each
 * module also has its own subpath (`tfjs-medkit/losses`, …). File-system helpers live only in
 * `tfjs-medkit/node`, so this entry stays importable in browsers.
 *
 * @packageDocumentation
 */

export * from './backend/index.js';
export * from './core/index.js';
export * from './generative/index.js';
export * from './genomics/index.js';
export * from './losses/index.js';
export * from './metrics/index.js';
export * from './privacy/index.js';
export * from './training/index.js';
export * from './vision/index.js';
