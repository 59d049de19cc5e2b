/**
 * SMILES tokenisation against the Molecular Transformer regular expression on 300 real NCI
 * molecules (tests/fixtures/smiles-tokens.json, made by scripts/fixtures/smiles_tokens.py);
 * vocabulary, one-hot encoding and decoding round trips; errors.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { MedkitError } from '../../src/core/index.js';
import {
  buildVocabulary,
  decodeSmiles,
  encodeSmiles,
  tokenizeSmiles,
} from '../../src/generative/index.js';
import '../helpers/backends.js';

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/smiles-tokens.json', import.meta.url), 'utf8'),
) as {
  smiles: string[];
  tokens: string[][];
};

describe('tokenizeSmiles', () => {
  it('equals the reference regular expression on 300 real molecules', () => {
    fixture.smiles.forEach((s, i) => {
      expect(tokenizeSmiles(s)).toEqual(fixture.tokens[i]);
    });
  });

  it('bracket atoms, two-letter elements, %nn ring closures', () => {
    expect(tokenizeSmiles('[C@@H](Cl)Br%12c1[nH]cc1%12')).toEqual([
      '[C@@H]',
      '(',
      'Cl',
      ')',
      'Br',
      '%12',
      'c',
      '1',
      '[nH]',
      'c',
      'c',
      '1',
      '%12',
    ]);
  });

  it.each([
    ['an unclosed bracket', 'C[NH', /unclosed/],
    ['a bad ring closure', 'C%1', /two digits/],
    ['a character outside SMILES', 'CXC', /not SMILES/],
  ])('%s', (_what, s, message) => {
    expect(() => tokenizeSmiles(s)).toThrow(MedkitError);
    expect(() => tokenizeSmiles(s)).toThrow(message);
  });
});

describe('one-hot encoding', () => {
  it('encodes and decodes back to the same SMILES', async () => {
    await tf.setBackend('cpu');
    const smiles = fixture.smiles.slice(0, 50);
    const vocab = buildVocabulary(smiles);
    expect(vocab.tokens.slice(0, 3)).toEqual(['<pad>', '<s>', '</s>']);
    const maxLength = Math.max(...smiles.map((s) => tokenizeSmiles(s).length)) + 2;
    const x = encodeSmiles(smiles, vocab, maxLength);
    expect(x.shape).toEqual([50, maxLength, vocab.tokens.length]);
    expect(await decodeSmiles(x, vocab)).toEqual(smiles);
    x.dispose();
    expect(() => encodeSmiles(['CCCC'], vocab, 4)).toThrow(/does not fit/);
    expect(() => encodeSmiles(['[Xe]'], vocab, 10)).toThrow(/not in the vocabulary/);
  });
});
