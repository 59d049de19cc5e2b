/**
 * Reading genotypes from VCF 4.x (plain, gzip or BGZF; bytes or a stream) into a genotype
 * matrix of one byte per call: the count of non-reference alleles (0, 1, 2; haploid 0 or 1), or
 * −1 when any allele of the call is missing. Multi-allelic sites are read as the count of all
 * alternate alleles, or split into one biallelic record per alternate allele. Filters: PASS
 * only, a subset of samples, genomic regions. Malformed lines raise a `FormatError` naming the
 * line, or are skipped and counted.
 *
 * @module
 */
import { concatBytes } from '../core/bytes.js';
import { ArgumentError, describeValue, FormatError } from '../core/errors.js';
import { gunzipChunks, gunzipStream, isGzip } from '../core/gzip.js';
import { textLines } from '../core/text-lines.js';
import { resolveOptions } from '../core/validate.js';

/** Where the VCF comes from: its bytes (or text), or a stream of its bytes. */
export type VcfSource =
  | Uint8Array
  | ArrayBuffer
  | string
  | AsyncIterable<Uint8Array>
  | ReadableStream<Uint8Array>;

/** A genomic interval: `chrom`, and positions `start`…`end` (1-based, inclusive). */
export interface VcfRegion {
  /** The chromosome as the VCF names it (`'chr22'`, `'22'`, `'MT'`). */
  chrom: string;
  /** The first position. Defaults to 1. */
  start?: number;
  /** The last position. Defaults to the chromosome's end. */
  end?: number;
}

/** Options of {@link readVcf} and {@link readVcfBlocks}. */
export interface ReadVcfOptions {
  /** Keep only records whose FILTER is `PASS` (or `.`, filters not applied, when `false`). Defaults to `false`. */
  passOnly?: boolean;
  /** Keep these samples, in this order. Defaults to all, in file order. */
  samples?: readonly string[];
  /** Keep only records inside one of these regions. Defaults to all. */
  regions?: readonly VcfRegion[];
  /**
   * Multi-allelic sites: `'count'` (one record; a call counts all its alternate alleles) or
   * `'split'` (one record per alternate allele; a call counts copies of that allele). Defaults
   * to `'count'`.
   */
  multiallelic?: 'count' | 'split';
  /** A malformed data line: `'error'` (throw, naming the line) or `'skip'` (count it in `skipped`). Defaults to `'error'`. */
  onMalformed?: 'error' | 'skip';
}

/** One variant record (one alternate allele's record in `'split'` mode). */
export interface VcfVariant {
  /** The chromosome. */
  chrom: string;
  /** The 1-based position. */
  pos: number;
  /** The identifier (`rs…`), or `null` for `.`. */
  id: string | null;
  /** The reference allele. */
  ref: string;
  /** The alternate alleles (one in `'split'` mode; empty for a `.` ALT). */
  alt: string[];
  /** The quality, or `null` for `.`. */
  qual: number | null;
  /** The filters (`['PASS']`; empty for `.`). */
  filter: string[];
  /** The INFO fields: value strings, or `true` for flags. */
  info: Record<string, string | true>;
  /** In `'split'` mode: which alternate allele of the site this record counts (1-based). */
  alleleIndex?: number;
}

/** The header: the file format and the `##` meta lines. */
export interface VcfHeader {
  /** `VCFv4.2`, … (from `##fileformat`). */
  fileformat: string;
  /** Every `##` line, without the `##`. */
  meta: string[];
}

/** A data line that was skipped (`onMalformed: 'skip'`). */
export interface SkippedLine {
  /** The line number in the (decompressed) file, from 1. */
  line: number;
  /** Why it was skipped. */
  reason: string;
}

/** What {@link readVcf} resolves to. */
export interface VcfData {
  /** The header. */
  header: VcfHeader;
  /** The sample names (after the `samples` option). */
  samples: string[];
  /** The variants kept. */
  variants: VcfVariant[];
  /**
   * One byte per call, row = sample: `genotypes[s * variants.length + v]` is the non-reference
   * allele count of sample s at variant v, −1 when missing.
   */
  genotypes: Int8Array;
  /** Lines skipped as malformed (only with `onMalformed: 'skip'`). */
  skipped: SkippedLine[];
}

/** One block of {@link readVcfBlocks}: the same layout as {@link VcfData} for its variants. */
export interface VcfBlock {
  /** The header. */
  header: VcfHeader;
  /** The sample names. */
  samples: string[];
  /** This block's variants. */
  variants: VcfVariant[];
  /** Row = sample: `genotypes[s * variants.length + v]`. */
  genotypes: Int8Array;
  /** Lines skipped so far (cumulative). */
  skipped: SkippedLine[];
}

const SPECS = {
  passOnly: { constraint: { kind: 'boolean' }, default: false },
  samples: { constraint: { kind: 'any' } },
  regions: { constraint: { kind: 'any' } },
  multiallelic: { constraint: { kind: 'string', oneOf: ['count', 'split'] }, default: 'count' },
  onMalformed: { constraint: { kind: 'string', oneOf: ['error', 'skip'] }, default: 'error' },
} as const;

class Malformed extends Error {}

/** Bytes of the source, decompressed when gzip, as chunks. */
async function* byteChunks(source: VcfSource, fn: string): AsyncGenerator<Uint8Array> {
  if (typeof source === 'string') {
    yield new TextEncoder().encode(source);
    return;
  }
  if (source instanceof ArrayBuffer || source instanceof Uint8Array) {
    const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
    if (isGzip(bytes)) yield* gunzipChunks(bytes, fn);
    else yield bytes;
    return;
  }
  const iterable: AsyncIterable<Uint8Array> =
    typeof (source as ReadableStream<Uint8Array>).getReader === 'function'
      ? readableToIterable(source as ReadableStream<Uint8Array>)
      : (source as AsyncIterable<Uint8Array>);
  if (typeof (iterable as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] !== 'function') {
    throw new ArgumentError(
      `${fn}: \`source\` must be bytes (Uint8Array, ArrayBuffer), text, or a stream of bytes. Received: ${describeValue(source)}.`,
    );
  }
  // Peek at the first chunks until the gzip magic number (two bytes) can be seen: a stream may
  // deliver one byte, or an empty chunk, first.
  const it = iterable[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let seen = 0;
  while (seen < 2) {
    const next = await it.next();
    if (next.done) break;
    head.push(next.value);
    seen += next.value.length;
  }
  if (seen === 0) return;
  const start = head.length === 1 ? head[0]! : concatBytes(head);
  const replay = (async function* () {
    yield start;
    for (;;) {
      const next = await it.next();
      if (next.done) return;
      yield next.value;
    }
  })();
  if (isGzip(start)) yield* gunzipStream(replay, fn);
  else yield* replay;
}

async function* readableToIterable(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

interface Plan {
  header: VcfHeader;
  samples: string[];
  /** For each kept sample, its column among the file's samples. */
  columns: number[];
  fileSamples: number;
}

/**
 * Parses one call's GT (the text up to ':' or the end) into allele indices; returns the ploidy
 * written into `alleles` (−1 = missing allele).
 */
function parseGt(
  text: string,
  start: number,
  end: number,
  alleles: number[],
  nAlt: number,
): number {
  let k = 0;
  let p = start;
  if (p >= end) throw new Malformed('an empty GT');
  while (p < end) {
    const c = text.charCodeAt(p);
    if (c === 46) {
      alleles[k++] = -1;
      p++;
    } else if (c >= 48 && c <= 57) {
      let v = 0;
      while (p < end) {
        const d = text.charCodeAt(p);
        if (d < 48 || d > 57) break;
        v = v * 10 + (d - 48);
        p++;
      }
      if (v > nAlt)
        throw new Malformed(
          `GT allele ${v} but the site has ${nAlt} alternate allele${nAlt === 1 ? '' : 's'}`,
        );
      alleles[k++] = v;
    } else {
      throw new Malformed(
        `a GT that is not alleles separated by / or |: "${text.slice(start, end)}"`,
      );
    }
    if (p < end) {
      const sep = text.charCodeAt(p);
      if (sep !== 47 && sep !== 124) {
        throw new Malformed(
          `a GT that is not alleles separated by / or |: "${text.slice(start, end)}"`,
        );
      }
      p++;
      if (p === end) throw new Malformed(`a GT ending in a separator: "${text.slice(start, end)}"`);
    }
    if (k > 2) {
      throw new Malformed(
        `a GT of ploidy above 2 ("${text.slice(start, end)}"); genotypes are counted for haploid and diploid calls`,
      );
    }
  }
  return k;
}

function parseHeaderLine(
  line: string,
  header: VcfHeader,
  options: ReadVcfOptions,
  fn: string,
): Plan {
  const cols = line.slice(1).split('\t');
  const fixed = ['CHROM', 'POS', 'ID', 'REF', 'ALT', 'QUAL', 'FILTER', 'INFO'];
  if (cols.length < 8 || fixed.some((name, i) => cols[i] !== name)) {
    throw new FormatError(
      `${fn}: the #CHROM header line must start with ${fixed.join(', ')} separated by tabs. Received: ${describeValue(line)}.`,
    );
  }
  if (cols.length > 8 && cols[8] !== 'FORMAT') {
    throw new FormatError(
      `${fn}: the ninth header column must be FORMAT. Received: ${describeValue(cols[8])}.`,
    );
  }
  const fileSamples = cols.slice(9);
  let columns = fileSamples.map((_, i) => i);
  if (options.samples !== undefined) {
    if (!Array.isArray(options.samples) || !options.samples.every((s) => typeof s === 'string')) {
      throw new ArgumentError(`${fn}: \`samples\` must be an array of sample names.`);
    }
    columns = options.samples.map((name) => {
      const i = fileSamples.indexOf(name);
      if (i < 0) {
        throw new ArgumentError(
          `${fn}: \`samples\` names ${describeValue(name)}, which the file does not have. Its samples: ${fileSamples.slice(0, 10).join(', ')}${fileSamples.length > 10 ? ', …' : ''}.`,
        );
      }
      return i;
    });
  }
  return {
    header,
    samples: columns.map((i) => fileSamples[i]!),
    columns,
    fileSamples: fileSamples.length,
  };
}

function checkRegions(regions: unknown, fn: string): VcfRegion[] | undefined {
  if (regions === undefined) return undefined;
  if (!Array.isArray(regions))
    throw new ArgumentError(`${fn}: \`regions\` must be an array of { chrom, start?, end? }.`);
  for (const r of regions as VcfRegion[]) {
    const okPos = (v: unknown) => v === undefined || (Number.isInteger(v) && (v as number) >= 1);
    if (!r || typeof r.chrom !== 'string' || !okPos(r.start) || !okPos(r.end)) {
      throw new ArgumentError(
        `${fn}: each region must be { chrom: string, start?: integer ≥ 1, end?: integer ≥ 1 }. Received: ${describeValue(r)}.`,
      );
    }
  }
  return regions as VcfRegion[];
}

/** Parses a data line into its records and their calls (one Int8Array per record). */
function parseRecord(
  line: string,
  plan: Plan,
  options: ReadVcfOptions,
  regions: VcfRegion[] | undefined,
): { variant: VcfVariant; calls: Int8Array }[] {
  // the eight fixed columns
  const tabs: number[] = [];
  let p = -1;
  for (let i = 0; i < 9; i++) {
    p = line.indexOf('\t', p + 1);
    if (p < 0) break;
    tabs.push(p);
  }
  const expected = plan.fileSamples > 0 ? 9 + plan.fileSamples : 8;
  if (tabs.length < 7)
    throw new Malformed(`${tabs.length + 1} columns where the header has ${expected}`);
  const field = (i: number) =>
    line.slice(i === 0 ? 0 : tabs[i - 1]! + 1, i < tabs.length ? tabs[i] : line.length);
  const chrom = field(0);
  const posText = field(1);
  const pos = Number(posText);
  if (!/^\d+$/.test(posText) || pos < 1)
    throw new Malformed(`POS must be a positive integer, not "${posText}"`);
  if (
    regions &&
    !regions.some(
      (r) =>
        r.chrom === chrom && pos >= (r.start ?? 1) && pos <= (r.end ?? Number.POSITIVE_INFINITY),
    )
  ) {
    return [];
  }
  const filterText = field(6);
  const filter = filterText === '.' ? [] : filterText.split(';');
  if (options.passOnly && !(filter.length === 1 && filter[0] === 'PASS')) return [];
  const idText = field(2);
  const ref = field(3);
  const altText = field(4);
  const alt = altText === '.' ? [] : altText.split(',');
  const qualText = field(5);
  const qual = qualText === '.' ? null : Number(qualText);
  if (qual !== null && !Number.isFinite(qual))
    throw new Malformed(`QUAL must be a number or '.', not "${qualText}"`);
  const info: Record<string, string | true> = {};
  const infoText = field(7);
  if (infoText !== '.' && infoText !== '') {
    for (const part of infoText.split(';')) {
      const eq = part.indexOf('=');
      if (eq < 0) info[part] = true;
      else info[part.slice(0, eq)] = part.slice(eq + 1);
    }
  }
  // sample columns
  const nAlt = alt.length;
  const sampleCalls: Int8Array[] = [];
  const splits = options.multiallelic === 'split' && nAlt > 1 ? nAlt : 1;
  for (let a = 0; a < splits; a++) sampleCalls.push(new Int8Array(plan.samples.length));
  if (plan.fileSamples > 0) {
    // positions of every sample column
    const starts: number[] = [];
    let q = tabs[7]!;
    const formatEnd = line.indexOf('\t', q + 1);
    if (formatEnd < 0) throw new Malformed(`9 columns where the header has ${expected}`);
    const format = line.slice(q + 1, formatEnd).split(':');
    q = formatEnd;
    while (q >= 0) {
      starts.push(q + 1);
      q = line.indexOf('\t', q + 1);
    }
    if (starts.length !== plan.fileSamples) {
      throw new Malformed(`${9 + starts.length} columns where the header has ${expected}`);
    }
    const gtIndex = format.indexOf('GT');
    const alleles = [0, 0];
    plan.columns.forEach((col, s) => {
      const start = starts[col]!;
      const end = col + 1 < starts.length ? starts[col + 1]! - 1 : line.length;
      if (gtIndex < 0) {
        for (const calls of sampleCalls) calls[s] = -1;
        return;
      }
      let gStart = start;
      for (let f = 0; f < gtIndex; f++) {
        const colon = line.indexOf(':', gStart);
        if (colon < 0 || colon >= end) {
          gStart = -1;
          break;
        }
        gStart = colon + 1;
      }
      if (gStart < 0) {
        for (const calls of sampleCalls) calls[s] = -1; // trailing fields dropped: GT missing
        return;
      }
      let gEnd = line.indexOf(':', gStart);
      if (gEnd < 0 || gEnd > end) gEnd = end;
      const ploidy = parseGt(line, gStart, gEnd, alleles, nAlt);
      const missing = alleles[0]! < 0 || (ploidy === 2 && alleles[1]! < 0);
      for (let a = 0; a < splits; a++) {
        if (missing) {
          sampleCalls[a]![s] = -1;
          continue;
        }
        let count = 0;
        for (let k = 0; k < ploidy; k++) {
          const v = alleles[k]!;
          if (splits === 1 ? v > 0 : v === a + 1) count++;
        }
        sampleCalls[a]![s] = count;
      }
    });
  }
  const base = { chrom, pos, id: idText === '.' ? null : idText, ref, qual, filter, info };
  if (splits === 1) return [{ variant: { ...base, alt }, calls: sampleCalls[0]! }];
  return sampleCalls.map((calls, a) => ({
    variant: { ...base, alt: [alt[a]!], alleleIndex: a + 1, info: { ...info } },
    calls,
  }));
}

/**
 * Reads a VCF in blocks of variants, holding one block at a time: for files larger than memory.
 *
 * @param source - the file's bytes (plain, gzip or BGZF, detected from the bytes), its text, or
 *   a stream of its bytes (`ReadableStream` or async iterable).
 * @param options - see {@link ReadVcfOptions}, plus `blockSize` (variants per block, default 4096).
 * @returns an async generator of {@link VcfBlock}s.
 * @throws {@link FormatError} for a missing `#CHROM` line or a malformed data line (naming its
 *   number) unless `onMalformed: 'skip'`; {@link ArgumentError} for bad options.
 *
 * @example
 * ```ts
 * for await (const block of readVcfBlocks(stream, { blockSize: 10_000 })) {
 *   scan(block.genotypes, block.variants.length);
 * }
 * ```
 */
export async function* readVcfBlocks(
  source: VcfSource,
  options?: ReadVcfOptions & { blockSize?: number },
): AsyncGenerator<VcfBlock> {
  const fn = 'readVcfBlocks';
  const { blockSize, ...rest } = options ?? {};
  if (blockSize !== undefined && (!Number.isInteger(blockSize) || blockSize < 1)) {
    throw new ArgumentError(
      `${fn}: \`blockSize\` must be an integer ≥ 1. Received: ${describeValue(blockSize)}.`,
    );
  }
  yield* blocks(source, rest, blockSize ?? 4096, fn);
}

async function* blocks(
  source: VcfSource,
  options: ReadVcfOptions | undefined,
  blockSize: number,
  fn: string,
): AsyncGenerator<VcfBlock> {
  const o = resolveOptions(fn, options, SPECS);
  const regions = checkRegions(o.regions, fn);
  const header: VcfHeader = { fileformat: '', meta: [] };
  let plan: Plan | undefined;
  const skipped: SkippedLine[] = [];
  let variants: VcfVariant[] = [];
  let columns: Int8Array[] = [];
  const flush = (): VcfBlock => {
    const n = plan!.samples.length;
    const m = variants.length;
    const genotypes = new Int8Array(n * m);
    for (let v = 0; v < m; v++) {
      const calls = columns[v]!;
      for (let s = 0; s < n; s++) genotypes[s * m + v] = calls[s]!;
    }
    const block = { header, samples: plan!.samples, variants, genotypes, skipped };
    variants = [];
    columns = [];
    return block;
  };
  let sawAnyLine = false;
  let yielded = false;
  for await (const [line, number] of textLines(byteChunks(source, fn))) {
    if (!sawAnyLine) {
      sawAnyLine = true;
      if (!line.startsWith('##fileformat=VCF')) {
        throw new FormatError(
          `${fn}: line 1 must be ##fileformat=VCFv4.x (is this a VCF?). Received: ${describeValue(line.slice(0, 60))}.`,
        );
      }
    }
    if (line.startsWith('##')) {
      if (plan)
        throw new FormatError(`${fn}: line ${number}: a ## meta line after the #CHROM line.`);
      const meta = line.slice(2);
      header.meta.push(meta);
      if (meta.startsWith('fileformat=')) header.fileformat = meta.slice('fileformat='.length);
      continue;
    }
    if (line.startsWith('#')) {
      plan = parseHeaderLine(line, header, o, fn);
      continue;
    }
    if (line.length === 0) continue;
    if (!plan)
      throw new FormatError(`${fn}: line ${number}: a data line before the #CHROM header line.`);
    try {
      for (const { variant, calls } of parseRecord(line, plan, o, regions)) {
        variants.push(variant);
        columns.push(calls);
      }
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      if (o.onMalformed === 'skip') {
        skipped.push({ line: number, reason: e.message });
        continue;
      }
      throw new FormatError(`${fn}: line ${number}: ${e.message}.`);
    }
    if (variants.length >= blockSize) {
      yielded = true;
      yield flush();
    }
  }
  if (!sawAnyLine) throw new FormatError(`${fn}: the VCF is empty.`);
  if (!plan) throw new FormatError(`${fn}: the VCF has no #CHROM header line.`);
  // the last block; a file whose records were all filtered out still gives its header and samples
  if (variants.length > 0 || !yielded) yield flush();
}

/**
 * Reads a whole VCF into a genotype matrix of one byte per call.
 *
 * @param source - the file's bytes (plain, gzip or BGZF, detected from the bytes), its text, or
 *   a stream of its bytes.
 * @param options - see {@link ReadVcfOptions}.
 * @returns `{ header, samples, variants, genotypes, skipped }`; `genotypes` is samples ×
 *   variants (row = sample), −1 for a call with any missing allele (`./.`, `./1`), otherwise the
 *   number of non-reference alleles (haploid calls 0 or 1).
 * @throws {@link FormatError} for a file that is not a VCF, truncated gzip data, or a malformed
 *   data line (wrong column count, bad POS or QUAL, a GT of ploidy above 2 or naming an allele
 *   the site lacks), naming the line, unless `onMalformed: 'skip'`; {@link ArgumentError} for
 *   bad options or a sample the file does not have.
 *
 * @example
 * ```ts
 * const { samples, variants, genotypes } = await readVcf(await readFile('cohort.vcf.gz'));
 * const g = genotypes[2 * variants.length + 10]; // sample 2, variant 10: 0, 1, 2 or −1
 * ```
 */
export async function readVcf(source: VcfSource, options?: ReadVcfOptions): Promise<VcfData> {
  const fn = 'readVcf';
  const parts: VcfBlock[] = [];
  for await (const block of blocks(source, options, 65536, fn)) parts.push(block);
  const { header, samples } = parts[0]!;
  const { skipped } = parts[parts.length - 1]!;
  const variants = parts.flatMap((p) => p.variants);
  const n = samples.length;
  const m = variants.length;
  const genotypes = new Int8Array(n * m);
  let offset = 0;
  for (const part of parts) {
    const k = part.variants.length;
    for (let s = 0; s < n; s++)
      genotypes.set(part.genotypes.subarray(s * k, (s + 1) * k), s * m + offset);
    offset += k;
  }
  return { header, samples, variants, genotypes, skipped };
}
