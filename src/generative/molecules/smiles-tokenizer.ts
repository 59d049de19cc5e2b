/**
 * Atom-level SMILES tokenisation (as MOSES and GuacaMol's character models use): bracket atoms
 * (`[nH]`, `[O-]`, `[C@@H]`, `[13CH3]`) and two-letter elements (`Cl`, `Br`) as single tokens,
 * ring-closure digits and `%nn` two-digit closures, bonds, branches, dots; a vocabulary built
 * from a corpus with padding, start and end tokens; and one-hot encoding and decoding of
 * fixed-length sequences for generative models.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, describeValue, FormatError } from '../../core/errors.js';

/** The special tokens of a vocabulary. */
export interface SpecialTokens {
  /** Padding after the end of a sequence (index 0). */
  readonly pad: '<pad>';
  /** The start of a sequence (index 1). */
  readonly start: '<s>';
  /** The end of a sequence (index 2). */
  readonly end: '</s>';
}

/** The special tokens: padding, start and end of a sequence. */
export const SPECIAL_TOKENS: SpecialTokens = { pad: '<pad>', start: '<s>', end: '</s>' };

const TWO_LETTER = new Set(['Cl', 'Br']);
const ORGANIC = new Set(['B', 'C', 'N', 'O', 'P', 'S', 'F', 'I', 'b', 'c', 'n', 'o', 'p', 's']);
const SINGLE = new Set(['(', ')', '=', '#', '$', ':', '/', '\\', '.', '-', '+', '@', '*', '~']);

/**
 * Splits a SMILES string into atom-level tokens.
 *
 * @param smiles - the SMILES string.
 * @returns the tokens; joining them gives the string back.
 * @throws {@link FormatError} for an unclosed bracket, a `%` not followed by two digits, or a
 *   character that is not SMILES.
 *
 * @example
 * ```ts
 * tokenizeSmiles('OC1=C(Cl)C=C[N+]([O-])=O'); // ['O','C','1','=','C','(','Cl',')','C','=','C','[N+]','(','[O-]',')','=','O']
 * ```
 */
export function tokenizeSmiles(smiles: string): string[] {
  if (typeof smiles !== 'string')
    throw new ArgumentError(
      `tokenizeSmiles: \`smiles\` must be a string. Received: ${describeValue(smiles)}.`,
    );
  const tokens: string[] = [];
  let i = 0;
  while (i < smiles.length) {
    const c = smiles[i]!;
    if (c === '[') {
      const close = smiles.indexOf(']', i);
      if (close < 0)
        throw new FormatError(
          `tokenizeSmiles: an unclosed '[' at ${i} in ${describeValue(smiles)}.`,
        );
      tokens.push(smiles.slice(i, close + 1));
      i = close + 1;
    } else if (c === '%') {
      const digits = smiles.slice(i + 1, i + 3);
      if (!/^\d\d$/.test(digits))
        throw new FormatError(
          `tokenizeSmiles: '%' at ${i} must be followed by two digits in ${describeValue(smiles)}.`,
        );
      tokens.push(`%${digits}`);
      i += 3;
    } else if (TWO_LETTER.has(smiles.slice(i, i + 2))) {
      tokens.push(smiles.slice(i, i + 2));
      i += 2;
    } else if (ORGANIC.has(c) || SINGLE.has(c) || (c >= '0' && c <= '9')) {
      tokens.push(c);
      i++;
    } else {
      throw new FormatError(
        `tokenizeSmiles: ${describeValue(c)} at ${i} is not SMILES in ${describeValue(smiles)}.`,
      );
    }
  }
  return tokens;
}

/** A token vocabulary: index 0 padding, 1 start, 2 end, then the corpus's tokens sorted. */
export interface SmilesVocabulary {
  /** The tokens by index. */
  tokens: readonly string[];
  /** The index of each token. */
  index: ReadonlyMap<string, number>;
}

/**
 * Builds a vocabulary from a corpus of SMILES.
 *
 * @param corpus - SMILES strings.
 * @returns the vocabulary (special tokens first, then every token seen, sorted).
 * @throws as {@link tokenizeSmiles} for a malformed string.
 */
export function buildVocabulary(corpus: readonly string[]): SmilesVocabulary {
  const seen = new Set<string>();
  for (const s of corpus) for (const t of tokenizeSmiles(s)) seen.add(t);
  const tokens = [
    SPECIAL_TOKENS.pad,
    SPECIAL_TOKENS.start,
    SPECIAL_TOKENS.end,
    ...[...seen].sort(),
  ];
  return { tokens, index: new Map(tokens.map((t, i) => [t, i])) };
}

/**
 * Encodes SMILES as one-hot sequences `[n, maxLength, vocabulary size]`: start token, the
 * tokens, end token, then padding.
 *
 * @param smiles - the strings.
 * @param vocabulary - from {@link buildVocabulary}.
 * @param maxLength - the sequence length (tokens + 2 must fit).
 * @returns a float32 tensor; the caller disposes it.
 * @throws {@link ArgumentError} for a string too long or with a token outside the vocabulary.
 *
 * @example
 * ```ts
 * const vocab = buildVocabulary(train);
 * const x = encodeSmiles(train, vocab, 64); // [n, 64, vocab.tokens.length]
 * ```
 */
export function encodeSmiles(
  smiles: readonly string[],
  vocabulary: SmilesVocabulary,
  maxLength: number,
): tf.Tensor3D {
  const fn = 'encodeSmiles';
  if (!Number.isInteger(maxLength) || maxLength < 3)
    throw new ArgumentError(
      `${fn}: \`maxLength\` must be an integer ≥ 3. Received: ${describeValue(maxLength)}.`,
    );
  const ids = new Int32Array(smiles.length * maxLength);
  smiles.forEach((s, n) => {
    const tokens = tokenizeSmiles(s);
    if (tokens.length + 2 > maxLength) {
      throw new ArgumentError(
        `${fn}: ${describeValue(s)} has ${tokens.length} tokens; with start and end it does not fit maxLength ${maxLength}.`,
      );
    }
    const seq = [SPECIAL_TOKENS.start, ...tokens, SPECIAL_TOKENS.end];
    seq.forEach((t, k) => {
      const id = vocabulary.index.get(t);
      if (id === undefined)
        throw new ArgumentError(
          `${fn}: the token ${describeValue(t)} of ${describeValue(s)} is not in the vocabulary.`,
        );
      ids[n * maxLength + k] = id;
    });
  });
  return tf.tidy(() =>
    tf.cast(
      tf.oneHot(tf.tensor2d(ids, [smiles.length, maxLength], 'int32'), vocabulary.tokens.length),
      'float32',
    ),
  ) as tf.Tensor3D;
}

/**
 * Decodes sequences of token scores `[n, length, vocabulary size]` (one-hot or probabilities) to
 * SMILES: the most likely token at each position, up to the first end token, start and padding
 * dropped.
 *
 * @param sequences - scores per position.
 * @param vocabulary - the vocabulary used to encode.
 * @returns a promise of the strings (an empty string when a sequence holds no atom).
 * @throws {@link ArgumentError} when the last axis is not the vocabulary's size.
 */
export async function decodeSmiles(
  sequences: tf.Tensor,
  vocabulary: SmilesVocabulary,
): Promise<string[]> {
  if (sequences.rank !== 3 || sequences.shape[2] !== vocabulary.tokens.length) {
    throw new ArgumentError(
      `decodeSmiles: \`sequences\` must be [n, length, ${vocabulary.tokens.length}]. Received: [${sequences.shape.join(', ')}].`,
    );
  }
  const best = tf.tidy(() => tf.argMax(sequences, -1));
  const ids = await best.data();
  best.dispose();
  const [n, length] = sequences.shape as [number, number];
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    for (let k = 0; k < length; k++) {
      const token = vocabulary.tokens[ids[i * length + k]!]!;
      if (token === SPECIAL_TOKENS.end) break;
      if (token === SPECIAL_TOKENS.start || token === SPECIAL_TOKENS.pad) continue;
      s += token;
    }
    out.push(s);
  }
  return out;
}
