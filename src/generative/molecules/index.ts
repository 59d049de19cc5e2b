/**
 * Molecule representations for generative models.
 *
 * @module
 */
export {
  buildVocabulary,
  decodeSmiles,
  encodeSmiles,
  type SmilesVocabulary,
  SPECIAL_TOKENS,
  type SpecialTokens,
  tokenizeSmiles,
} from './smiles-tokenizer.js';
