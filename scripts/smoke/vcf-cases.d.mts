/** BGZF as bgzip writes it: members with the BC extra field, then the empty end-of-file block. */
export function bgzf(bytes: Uint8Array, blockSize: number): Uint8Array;
/** The plain VCF, its BGZF and its two-member gzip. */
export function vcfCases(): { text: Uint8Array; bgzf: Uint8Array; members: Uint8Array };
