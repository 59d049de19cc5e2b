/**
 * Molecule representations for generative models.
 *
 * @module
 */

export {
  type DrugLikeness,
  type DrugLikenessOptions,
  drugLikeness,
  type QedProperties,
  type QedWeights,
  qedFromProperties,
} from './drug-likeness.js';
export {
  type DecodeGraphOptions,
  decodeMoleculeGraphs,
  type EncodeGraphOptions,
  encodeMoleculeGraphs,
  type MoleculeGraphSpec,
  type MoleculeGraphs,
  type MoleculeGraphTensors,
  packedGraphSize,
  packMoleculeGraphs,
  type SkippedMolecule,
  unpackMoleculeGraphs,
} from './graph.js';
export {
  type MoleculeMetrics,
  type MoleculeMetricsOptions,
  moleculeMetrics,
  type PropertyDistances,
  propertyDistances,
  wasserstein1d,
} from './metrics.js';
export {
  fitPropertyModel,
  type MorganFingerprintOptions,
  type MorganFingerprints,
  morganFingerprints,
  type PropertyModelFit,
  type PropertyModelHistory,
  type PropertyModelOptions,
} from './property-model.js';
export {
  type LoadRdkitOptions,
  loadRdkit,
  type RdkitModule,
  type RdkitMol,
  useRdkit,
} from './rdkit.js';
export {
  buildVocabulary,
  decodeSmiles,
  encodeSmiles,
  type SmilesVocabulary,
  SPECIAL_TOKENS,
  type SpecialTokens,
  tokenizeSmiles,
} from './smiles-tokenizer.js';
