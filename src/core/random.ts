/**
 * The library's seeded random number generator: xoshiro128** 1.0 (Blackman and Vigna, 2018),
 * seeded through SplitMix64 as its authors recommend. Everything random in the library (shuffles,
 * augmentation draws, initialiser seeds, GAN noise) draws from one of these, so the same seed
 * gives the same numbers.
 *
 * xoshiro128** has a 128-bit state, a period of 2^128 − 1, passes BigCrush, and runs on 32-bit
 * integer arithmetic alone, which JavaScript does exactly (`Math.imul`, `>>>`).
 *
 * @module
 */
import { ArgumentError, describeValue } from './errors.js';

/** A seed: a safe integer (negative too) or a bigint; it is reduced modulo 2^64. */
export type Seed = number | bigint;

const MASK64 = (1n << 64n) - 1n;

/** SplitMix64 (Steele, Lea and Flood, 2014): expands one 64-bit seed into a stream of words. */
function splitMix64(state: bigint): [next: bigint, output: bigint] {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return [next, z ^ (z >> 31n)];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * A seeded generator of uniform, normal and integer draws (xoshiro128**).
 *
 * @example
 * ```ts
 * const rng = new Random(42);
 * rng.nextFloat();       // 0.7 (the same for seed 42, always)
 * rng.int(10);           // an integer in [0, 10)
 * rng.shuffle([1, 2, 3]); // a permutation, in place
 * ```
 */
export class Random {
  private readonly s = new Uint32Array(4);
  private spare: number | undefined;

  /**
   * Creates a generator from a seed.
   *
   * @param seed - a safe integer or a bigint; the four 32-bit state words are the two 64-bit
   *   SplitMix64 outputs of `seed mod 2^64`, low word first.
   * @throws {@link ArgumentError} when `seed` is not an integer.
   */
  constructor(seed: Seed) {
    let x: bigint;
    if (typeof seed === 'bigint') x = seed;
    else if (typeof seed === 'number' && Number.isSafeInteger(seed)) x = BigInt(seed);
    else
      throw new ArgumentError(
        `Random: \`seed\` must be a safe integer or a bigint. Received: ${describeValue(seed)}.`,
      );
    const [state, a] = splitMix64(BigInt.asUintN(64, x));
    const [, b] = splitMix64(state);
    this.s[0] = Number(a & 0xffffffffn);
    this.s[1] = Number(a >> 32n);
    this.s[2] = Number(b & 0xffffffffn);
    this.s[3] = Number(b >> 32n);
  }

  /** The next 32 random bits, as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const s = this.s;
    let s0 = s[0]!;
    let s1 = s[1]!;
    let s2 = s[2]!;
    let s3 = s[3]!;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits (two draws). */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform double in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.nextFloat();
  }

  /**
   * A uniform integer in [0, n), without modulo bias (rejection sampling).
   *
   * @throws {@link ArgumentError} unless `n` is an integer in [1, 2^32].
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 4294967296) {
      throw new ArgumentError(
        `Random.int: \`n\` must be an integer in [1, 2^32]. Received: ${describeValue(n)}.`,
      );
    }
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const r = this.nextUint32();
      if (r < limit) return r % n;
    }
  }

  /**
   * A normal draw (Box–Muller; the second value of each pair is kept for the next call).
   *
   * @param mean - defaults to 0.
   * @param std - defaults to 1.
   */
  normal(mean = 0, std = 1): number {
    if (this.spare !== undefined) {
      const z = this.spare;
      this.spare = undefined;
      return mean + std * z;
    }
    const u1 = 1 - this.nextFloat(); // (0, 1]: log stays finite
    const u2 = this.nextFloat();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return mean + std * r * Math.cos(2 * Math.PI * u2);
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i]!;
      array[i] = array[j]!;
      array[j] = tmp;
    }
    return array;
  }

  /** A random permutation of 0 … n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = p[i]!;
      p[i] = p[j]!;
      p[j] = tmp;
    }
    return p;
  }

  /**
   * A seed for a tfjs random op or initialiser, in [1, 2^31 − 1]: tfjs treats a seed of 0 as no
   * seed, so 0 is never returned.
   */
  tfSeed(): number {
    return 1 + this.int(2147483646);
  }

  /** A new generator whose stream is independent of this one's (seeded from two draws). */
  fork(): Random {
    const hi = BigInt(this.nextUint32());
    const lo = BigInt(this.nextUint32());
    return new Random((hi << 32n) | lo);
  }

  /** The generator's state, for checkpoints: restore it with {@link Random.fromState}. */
  getState(): number[] {
    return [...this.s, this.spare ?? Number.NaN];
  }

  /**
   * A generator that continues exactly where the one that gave `state` stopped.
   *
   * @throws {@link ArgumentError} when `state` is not one that {@link Random.getState} returned.
   */
  static fromState(state: readonly number[]): Random {
    const ok =
      Array.isArray(state) &&
      state.length === 5 &&
      state.slice(0, 4).every((w) => Number.isInteger(w) && w >= 0 && w < 4294967296) &&
      state.slice(0, 4).some((w) => w !== 0);
    if (!ok) {
      throw new ArgumentError(
        `Random.fromState: \`state\` must be the 5 numbers getState() returned. Received: ${describeValue(state)}.`,
      );
    }
    const r = new Random(0);
    for (let i = 0; i < 4; i++) r.s[i] = state[i]!;
    const spare = state[4]!;
    r.spare = Number.isNaN(spare) ? undefined : spare;
    return r;
  }
}
