/**
 * Lines of UTF-8 text from chunks of bytes, without holding more than one chunk and one partial
 * line: how the text formats (VCF, CSV) are read from streams larger than memory.
 *
 * @module
 */

/**
 * Yields each line of the text (without its `\n` or `\r\n`), numbered from 1.
 *
 * @internal
 */
export async function* textLines(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
): AsyncGenerator<[line: string, number: number]> {
  const decoder = new TextDecoder('utf-8');
  let rest = '';
  let n = 0;
  for await (const chunk of chunks) {
    const text = rest + decoder.decode(chunk, { stream: true });
    let start = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield [text.slice(start, end), ++n];
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.decode();
  if (rest.length > 0) yield [rest.endsWith('\r') ? rest.slice(0, -1) : rest, ++n];
}
