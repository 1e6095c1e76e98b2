// A Python tokenizer for the leak audit. What the audit needs from it is exactly which
// characters are code: every identifier Python would see (also inside f-string replacement
// fields, nested as Python 3.12 allows: f"{d["k"]}"), and none of the text of comments and
// string literals. test/audit.test.ts checks it against Python's own `ast` where python3 is
// installed. It never fails: text Python would reject is tokenized as well as it goes (such a
// program does not compile, so it opens nothing).
import { LineIndex } from '../util/line-index.js';

export type TokKind = 'name' | 'number' | 'string' | 'op' | 'newline';

export interface Tok {
  kind: TokKind;
  /** Source text; for names NFKC-normalised, as Python compares identifiers. */
  text: string;
  /** For strings: the literal body (without prefix and quotes). */
  value?: string;
  start: number;
  end: number;
  line: number;
  /** 0-based column: 0 for a statement at module level. */
  col: number;
}

const OPS3 = ['**=', '//=', '>>=', '<<=', '...'];
const OPS2 = ['->', ':=', '==', '!=', '<=', '>=', '**', '//', '<<', '>>', '+=', '-=', '*=', '/=', '%=', '&=', '|=', '^=', '@='];
/** Python's string prefixes, lower-cased (t: template strings, Python 3.14). */
const STRING_PREFIXES = new Set(['', 'r', 'u', 'f', 'b', 't', 'br', 'rb', 'fr', 'rf', 'tr', 'rt']);
const ID_START = /[\p{XID_Start}_]/u;
const ID_CONTINUE = /[\p{XID_Continue}]/u;
const NUMBER = /(?:0[xXoObB][0-9a-fA-F_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/y;

interface Scanned {
  end: number;
  bodyStart: number;
  bodyEnd: number;
  /** [start, end) of the code of each replacement field (f- and t-strings), format-spec fields included. */
  fields: [number, number][];
}

export class Tokenizer {
  readonly toks: Tok[] = [];
  /** [start, end) of each comment, to leave them out of quoted expressions. */
  readonly comments: [number, number][] = [];
  private readonly lines: LineIndex;

  constructor(private readonly src: string) {
    this.lines = new LineIndex(src);
  }

  lineOf(offset: number): number {
    return this.lines.line(offset);
  }

  private push(kind: TokKind, text: string, start: number, end: number, value?: string): void {
    const line = this.lineOf(start);
    this.toks.push({ kind, text, value, start, end, line, col: start - this.lines.start(line) });
  }

  /** Tokenizes src[from, to). `nested` is set inside f-string fields (no logical newlines there). */
  run(from = 0, to = this.src.length, nested = false): void {
    const s = this.src;
    let depth = 0;
    let i = from;
    while (i < to) {
      const c = s[i]!;
      if (c === '\n') {
        if (depth === 0 && !nested) this.push('newline', '\n', i, i + 1);
        i++;
      } else if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
        i++;
      } else if (c === '\\' && (s[i + 1] === '\n' || (s[i + 1] === '\r' && s[i + 2] === '\n'))) {
        i += s[i + 1] === '\n' ? 2 : 3; // explicit line joining
      } else if (c === '#') {
        const start = i;
        while (i < to && s[i] !== '\n') i++;
        this.comments.push([start, i]);
      } else if (this.stringAt(i, to)) {
        i = this.string(i, to);
      } else if (ID_START.test(String.fromCodePoint(s.codePointAt(i)!))) {
        let j = i + (s.codePointAt(i)! > 0xffff ? 2 : 1);
        while (j < to) {
          const cp = s.codePointAt(j)!;
          if (!ID_CONTINUE.test(String.fromCodePoint(cp))) break;
          j += cp > 0xffff ? 2 : 1;
        }
        this.push('name', s.slice(i, j).normalize('NFKC'), i, j);
        i = j;
      } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(s[i + 1] ?? ''))) {
        NUMBER.lastIndex = i;
        const m = NUMBER.exec(s);
        const j = Math.min(to, m ? i + m[0].length : i + 1);
        this.push('number', s.slice(i, j), i, j);
        i = j;
      } else {
        const three = s.slice(i, i + 3);
        const two = s.slice(i, i + 2);
        const op = OPS3.includes(three) && i + 3 <= to ? three : OPS2.includes(two) && i + 2 <= to ? two : String.fromCodePoint(s.codePointAt(i)!);
        if ('([{'.includes(op)) depth++;
        else if (')]}'.includes(op)) depth = Math.max(0, depth - 1);
        this.push('op', op, i, i + op.length);
        i += op.length;
      }
    }
    if (!nested) this.push('newline', '\n', to, to);
  }

  private stringAt(i: number, to: number): boolean {
    const m = /([A-Za-z]{0,2})(['"])/y;
    m.lastIndex = i;
    const r = m.exec(this.src);
    return !!r && i + r[0].length <= to && STRING_PREFIXES.has(r[1]!.toLowerCase());
  }

  /** Lexes one string literal from i; returns the offset after it. f-string fields become code tokens. */
  private string(i: number, to: number): number {
    const sc = this.scanString(i, to);
    this.push('string', this.src.slice(i, sc.end), i, sc.end, this.src.slice(sc.bodyStart, sc.bodyEnd));
    // in source order: a format spec's fields are found before the field they belong to ends
    for (const [a, b] of sc.fields.sort((x, y) => x[0] - y[0])) {
      this.push('op', '(', a, a); // a synthetic group, so that a field stays one argument
      this.run(a, b, true);
      this.push('op', ')', b, b);
    }
    return sc.end;
  }

  /**
   * The extent of the string literal at i. In f- and t-strings a replacement field is code up
   * to its `}` (or its `!conversion` / `:format spec`), and may hold strings with any quotes
   * (PEP 701); for code that older Pythons accept this is the same extent they find.
   */
  private scanString(i: number, to: number): Scanned {
    const s = this.src;
    const prefix = /[A-Za-z]*/y;
    prefix.lastIndex = i;
    const p = prefix.exec(s)![0].toLowerCase();
    let j = i + p.length;
    const q = s[j]!;
    const triple = s.slice(j, j + 3) === q.repeat(3);
    const quote = triple ? q.repeat(3) : q;
    j += quote.length;
    const bodyStart = j;
    const formatted = p.includes('f') || p.includes('t');
    const raw = p.includes('r');
    const fields: [number, number][] = [];
    while (j < to) {
      const c = s[j]!;
      if (c === '\\') {
        if (formatted && !raw && s.startsWith('\\N{', j)) {
          const close = s.indexOf('}', j);
          j = close < 0 || close >= to ? to : close + 1; // a named character, not a field
        } else if (formatted && (s[j + 1] === '{' || s[j + 1] === '}')) j++; // a backslash does not escape a brace
        else j += 2; // an escaped character never ends the string (also in raw strings)
        continue;
      }
      if (s.startsWith(quote, j)) return { end: j + quote.length, bodyStart, bodyEnd: j, fields };
      if (!triple && c === '\n') break; // unterminated: Python rejects it; stop at the line end
      if (formatted && c === '{') {
        if (s[j + 1] === '{') j += 2;
        else j = this.scanField(j + 1, to, fields);
        continue;
      }
      j++;
    }
    j = Math.min(j, to);
    return { end: j, bodyStart, bodyEnd: j, fields };
  }

  /** Scans a replacement field whose expression starts at k; records its code; returns the offset after its `}`. */
  private scanField(k: number, to: number, fields: [number, number][]): number {
    const s = this.src;
    const start = k;
    let depth = 0;
    let exprEnd = -1;
    while (k < to) {
      const c = s[k]!;
      if (this.stringAt(k, to)) {
        k = this.scanString(k, to).end;
        continue;
      }
      if (c === '#') {
        while (k < to && s[k] !== '\n') k++;
        continue;
      }
      if (ID_START.test(String.fromCodePoint(s.codePointAt(k)!))) {
        // a whole identifier: `if'{x}'` is the keyword and a plain string, not an f-string
        k += s.codePointAt(k)! > 0xffff ? 2 : 1;
        while (k < to && ID_CONTINUE.test(String.fromCodePoint(s.codePointAt(k)!))) k += s.codePointAt(k)! > 0xffff ? 2 : 1;
        continue;
      }
      if (c === '(' || c === '[' || c === '{') depth++;
      else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
      else if (c === '}') {
        if (depth === 0) {
          fields.push([start, exprEnd < 0 ? k : exprEnd]);
          return k + 1;
        }
        depth--;
      } else if (depth === 0 && c === '!' && s[k + 1] !== '=') {
        if (exprEnd < 0) exprEnd = k; // !r, !s, !a
      } else if (depth === 0 && c === ':') {
        if (exprEnd < 0) exprEnd = k;
        // the format spec: text with nested fields, up to the field's `}`
        k++;
        while (k < to && s[k] !== '}') {
          if (s[k] === '{') k = this.scanField(k + 1, to, fields);
          else k += s[k] === '\\' ? 2 : 1;
        }
        fields.push([start, exprEnd]);
        return Math.min(k + 1, to);
      }
      k++;
    }
    fields.push([start, exprEnd < 0 ? Math.min(k, to) : exprEnd]);
    return Math.min(k, to);
  }
}
