// Source line numbers from offsets, counting '\n' only (chevrotain also counts a lone '\r' as a
// line break, which would double the lines of a CRLF file). Shared by the formatter and the audit.
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
  }

  /** 1-based line of an offset. */
  line(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** The offset where a 1-based line starts. */
  start(line: number): number {
    return this.starts[line - 1]!;
  }
}
