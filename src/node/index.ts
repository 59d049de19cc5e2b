/**
 * `tfjs-medkit/node`: the parts that need Node's file system or terminal (Deno too): saving and
 * loading models on disk without the native Node binding, labelled image folders, the terminal
 * progress reporter, and the multi-threaded wasm backend under Node (`useWasmThreads`). The rest
 * of the library never imports `node:` modules, so it runs in browsers.
 *
 * Importing it registers the installed optional packages (the DICOM codecs and RDKit) with
 * {@link registerInstalledPackages}.
 *
 * @module
 */
import { registerInstalledPackages } from './optional-packages.js';

export type {
  LoadModelOptions,
  SavedModelInfo,
  SaveModelOptions,
} from '../training/model-store.js';
export type {
  StoredLossOrMetric,
  StoredMedkitLoss,
  StoredOptimizer,
  StoredTrainingConfig,
} from '../training/training-config.js';
export {
  loadGanModels,
  restoreGanState,
  saveGanCheckpoint,
} from './gan-checkpoint.js';
export {
  type FolderBatch,
  type FolderBatchOptions,
  type FolderSplit,
  type FolderSplitOptions,
  type ImageEntry,
  type ImageFolderDataset,
  type ImageFolderOptions,
  loadImageFolder,
  type SampleTransform,
} from './image-folder.js';
export { folderHandler, loadModel, type SaveModelResult, saveModel } from './model-files.js';
export {
  formatDuration,
  formatProgress,
  type ProgressStream,
  type TerminalProgressOptions,
  terminalProgress,
} from './progress-reporter.js';
export { useWasmThreads, type WasmThreadsOptions } from './wasm-threads.js';
export { registerInstalledPackages };

// the installed DICOM codecs and RDKit, for readDicom and the molecule functions
registerInstalledPackages();
