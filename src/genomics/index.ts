/**
 * `tfjs-medkit/genomics`: the personalised-treatment workload: reading genotypes from VCF.
 *
 * @module
 */

export {
  type AssociationFailure,
  type AssociationOptions,
  type AssociationResult,
  associationScan,
} from './association.js';
export {
  type FeatureMatrix,
  type LabelVector,
  type LogisticPenalty,
  LogisticRegression,
  type LogisticRegressionJson,
  type LogisticRegressionOptions,
} from './classifier.js';
export {
  type Contribution,
  type ExplainPatientOptions,
  explainPatient,
  type PatientExplanation,
  planForRisk,
  type RiskBand,
  type TreatmentPolicy,
} from './explain.js';
export { hardyWeinbergExact } from './hardy-weinberg.js';
export { type LdPruneOptions, ldPrune } from './ld-prune.js';
export { adjustPValues } from './multiple-testing.js';
export { type GenotypePcs, genotypePcs, type PcaOptions } from './pca.js';
export {
  type ChromosomeSpan,
  type ManhattanData,
  manhattanData,
  manhattanSvg,
  type PlotOptions,
  type QqData,
  qqData,
  qqSvg,
} from './plots.js';
export {
  type DenseMatrix,
  type EncodeOptions,
  encodeGenotypes,
  type GenotypeEncoding,
  type GenotypeMatrix,
  GenotypeStandardizer,
  type QcOptions,
  type QcRemoved,
  type QcResult,
  qcFilter,
  sampleCallRates,
  summarizeVariants,
  type VariantSummary,
} from './preprocess.js';
export { type SimulateCohortOptions, type SimulatedCohort, simulateCohort } from './simulate.js';
export {
  type CGrid,
  type CrossValidateOptions,
  type CrossValidation,
  crossValidateC,
  type PathPoint,
  regularizationPath,
} from './validation.js';
export {
  type ReadVcfOptions,
  readVcf,
  readVcfBlocks,
  type SkippedLine,
  type VcfBlock,
  type VcfData,
  type VcfHeader,
  type VcfRegion,
  type VcfSource,
  type VcfVariant,
} from './vcf.js';
